import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Context as Context_, SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { OriginPolicy } from '../lib/origins.js';
import { credentialOf } from '../lib/request-auth.js';
import type { AuthService, Viewer } from '../modules/auth/auth.service.js';
import { FORBIDDEN_CLOSE, type LiveSessions } from '../modules/auth/live-sessions.js';
import type { Context } from './context.js';

/** A WebSocket message larger than this closes the socket (graphql-ws messages are small). */
const MAX_WS_PAYLOAD_BYTES = 1024 * 1024;

/**
 * Operations one socket may hold at once (the SPA holds a handful). Without a cap, one signed-in
 * client sending 20,000 subscribe messages took the server from 113 to 715 MB and /healthz 7.5 s
 * to answer; the ones over it are refused before any work (no session read, no parse).
 */
export const MAX_OPERATIONS_PER_SOCKET = 100;

type SocketExtra = { request: IncomingMessage; socket: { close(code: number, reason: string): void }; viewer?: Viewer; forget?: () => void };

/**
 * graphql-ws on the HTTP server's /graphql, routed through yoga's envelop so auth and plugins
 * behave as over HTTP. A socket authenticates once in connection_init and is registered with
 * the live sessions, which close it (4403) when its token or user stops being valid.
 */
export function serveGraphqlOverWebSocket(
  httpServer: Server,
  yoga: YogaServerInstance<{ viewer: Viewer | null; req?: IncomingMessage }, Context>,
  deps: { auth: AuthService; sessions: LiveSessions; origins: OriginPolicy },
): { dispose(): Promise<void> } {
  const { auth, sessions, origins } = deps;
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: MAX_WS_PAYLOAD_BYTES,
    // A page on another origin must not open a socket that carries the admin's cookie.
    verifyClient: ({ req }: { req: IncomingMessage }, done: (ok: boolean, status?: number, message?: string) => void) =>
      origins.allows(req.headers.origin, req.headers.host) ? done(true) : done(false, 403, 'Cross-origin WebSocket refused'),
  });

  /** One operation's arguments for execution, or the errors that refuse it. */
  async function prepare(ctx: Context_<Record<string, unknown>, SocketExtra>, payload: SubscribePayload) {
    // Re-read the grant for every operation: a socket outlives sign-outs and role changes.
    const viewer = ctx.extra.viewer ? await auth.viewerByTokenId(ctx.extra.viewer.tokenId) : null;
    if (!viewer) {
      ctx.extra.socket.close(FORBIDDEN_CLOSE, 'Session ended');
      return [new GraphQLError('Session ended')];
    }
    ctx.extra.viewer = viewer;
    const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
      ...ctx,
      req: ctx.extra.request,
      viewer,
      params: payload,
    });
    const args = {
      schema: s,
      operationName: payload.operationName,
      document: parse(payload.query),
      variableValues: payload.variables,
      contextValue: await contextFactory(),
      rootValue: { execute, subscribe },
    };
    const errors = validate(args.schema, args.document);
    return errors.length ? [...errors] : args;
  }

  const wsCleanup = useServer<Record<string, unknown>, SocketExtra>(
    {
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      // Authenticate once in connection_init: a token in connectionParams, else the session cookie of the upgrade request.
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const token = credentialOf({ authorization: typeof params.authorization === 'string' ? params.authorization : null, cookie: ctx.extra.request.headers.cookie })
          ?? (typeof params.token === 'string' ? params.token : null);
        const viewer = await auth.viewerFromToken(token);
        if (!viewer) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.viewer = viewer;
        ctx.extra.forget = sessions.register({
          tokenId: viewer.tokenId,
          userId: viewer.user.id,
          expiresAt: viewer.tokenExpiresAt,
          close: (code, reason) => ctx.extra.socket.close(code, reason),
        });
        return true;
      },
      onClose: (ctx) => ctx.extra.forget?.(),
      onSubscribe: (ctx, _id, payload) => {
        // graphql-ws lists the socket's operations, this one included, from its subscribe message
        // to its end or the client's complete: the ones over the cap are refused before any work.
        if (Object.keys(ctx.subscriptions).length > MAX_OPERATIONS_PER_SOCKET) {
          return [new GraphQLError(`At most ${MAX_OPERATIONS_PER_SOCKET} operations at once on one connection`, { extensions: { code: 'TOO_MANY_OPERATIONS' } })];
        }
        return prepare(ctx, payload);
      },
    },
    wsServer,
  );

  return {
    async dispose() {
      await wsCleanup.dispose();
      wsServer.close();
    },
  };
}
