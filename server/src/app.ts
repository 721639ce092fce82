import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { sql } from 'drizzle-orm';
import { createYoga, type Plugin } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Config } from './config.js';
import { openDatabase } from './db/client.js';
import type { Context, Viewer } from './graphql/context.js';
import { schema } from './graphql/schema.js';
import { createLogger, type Logger } from './lib/logger.js';
import { serveSpa } from './lib/static-files.js';
import { SESSION_COOKIE } from './modules/auth/auth.service.js';
import { createServices, type Services } from './services.js';

export interface App {
  services: Services;
  /** Starts HTTP + WebSocket and the mailbox pollers; resolves with the bound URL. */
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
  initialAdmin: { email: string; password?: string } | null;
}

function cookieValue(header: string | null | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

function bearer(header: string | null | undefined): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m ? m[1]!.trim() : null;
}

export async function buildApp(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<App> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const services = createServices(config, logger, database);
  await services.ingest.preference();
  const initialAdmin = await services.auth.ensureInitialAdmin(config.admin);

  const cookiesFor = new WeakMap<Request, string[]>();
  const setCookies: Plugin = {
    onResponse({ request, response }) {
      for (const c of cookiesFor.get(request) ?? []) response.headers.append('set-cookie', c);
    },
  };

  const yoga = createYoga<{ viewer?: Viewer | null; req?: IncomingMessage }, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    logging: logger.child({ source: 'graphql' }) as never,
    graphiql: { subscriptionsProtocol: 'WS' },
    maskedErrors: true,
    plugins: [EnvelopArmorPlugin({ maxDepth: { n: 12 }, costLimit: { maxCost: 20000 }, maxAliases: { n: 30 } }), setCookies],
    context: async (initial): Promise<Context> => {
      const responseCookies: string[] = [];
      if (initial.request) cookiesFor.set(initial.request, responseCookies);
      // WebSocket operations arrive with the viewer established in connection_init.
      const viewer = initial.viewer !== undefined
        ? initial.viewer
        : await services.auth.viewerFromToken(
            bearer(initial.request.headers.get('authorization')) ?? cookieValue(initial.request.headers.get('cookie'), SESSION_COOKIE),
          );
      return { viewer, services, responseCookies };
    },
  });

  const spa = serveSpa(config.webDist);
  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === '/graphql') return void yoga(req, res);
    if (pathname === '/healthz') return void healthz(res);
    if (pathname.startsWith('/api/')) return void api(req, res, pathname);
    spa(req, res, pathname);
  });

  async function healthz(res: ServerResponse): Promise<void> {
    try {
      await services.db.execute(sql`select 1`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', database: database.kind }));
    } catch {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'unavailable' }));
    }
  }

  async function api(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const viewer = await services.auth.viewerFromToken(bearer(req.headers.authorization) ?? cookieValue(req.headers.cookie, SESSION_COOKIE));
    const raw = /^\/api\/email-audit\/([0-9a-f-]{36})\/raw$/.exec(pathname);
    if (raw && req.method === 'GET') {
      if (!viewer?.canManageSupportChannels) return void res.writeHead(viewer ? 403 : 401).end();
      const found = await services.emailAudit.raw(raw[1]!);
      if (!found) return void res.writeHead(404).end();
      res.writeHead(200, {
        'content-type': 'message/rfc822',
        'content-disposition': `attachment; filename="message-${raw[1]}.eml"`,
        'x-content-type-options': 'nosniff',
      });
      return void res.end(found.raw);
    }
    res.writeHead(404).end();
  }

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsCleanup = useServer<Record<string, unknown>, { request: IncomingMessage; viewer?: Viewer }>(
    {
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      // Authenticate once in connection_init: a token in connectionParams, else the session cookie of the upgrade request.
      onConnect: async (ctx) => {
        const token = bearer(ctx.connectionParams?.authorization as string | undefined)
          ?? (typeof ctx.connectionParams?.token === 'string' ? ctx.connectionParams.token : null)
          ?? cookieValue(ctx.extra.request.headers.cookie, SESSION_COOKIE);
        const viewer = await services.auth.viewerFromToken(token);
        if (!viewer) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.viewer = viewer;
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          viewer: ctx.extra.viewer ?? null,
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
        if (errors.length) return errors;
        return args;
      },
    },
    wsServer,
  );

  let started = false;
  return {
    services,
    initialAdmin,
    async start() {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => resolve());
      });
      started = true;
      if (config.pollersEnabled) await services.supervisor.start();
      const { port } = httpServer.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      return { url: config.publicUrl ?? `http://${host}:${port}`, port };
    },
    async stop() {
      await services.supervisor.stop();
      await wsCleanup.dispose();
      wsServer.close();
      if (started) {
        httpServer.closeAllConnections();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      }
      await database.close();
    },
  };
}
