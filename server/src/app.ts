import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { eq, sql } from 'drizzle-orm';
import { createYoga, type Plugin } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Config } from './config.js';
import { openDatabase } from './db/client.js';
import { appSettings } from './db/schema.js';
import { SecretBox } from './lib/secrets.js';
import type { Context } from './graphql/context.js';
import { schema } from './graphql/schema.js';
import { createLogger, type Logger } from './lib/logger.js';
import { serveSpa } from './lib/static-files.js';
import { serveAttachment } from './modules/attachments/attachment.routes.js';
import { SESSION_COOKIE, type Viewer } from './modules/auth/auth.service.js';
import { serveQuarantinedRaw } from './modules/quarantine/quarantine.routes.js';
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

export class SecretKeyMismatch extends Error {}

/**
 * Stored passwords are sealed with MAILROOM_SECRET_KEY; a process with a different key (a lost
 * key file, or a second process without the shared key) would fail on every mailbox. Refuse early.
 */
async function verifySecretKey(services: Services, config: Config): Promise<void> {
  const box = new SecretBox(config.secretKey);
  const [settings] = await services.db.select().from(appSettings).where(eq(appSettings.id, 1));
  if (!settings?.secretKeyCheck) {
    await services.db
      .insert(appSettings)
      .values({ id: 1, secretKeyCheck: box.seal('mailroom') })
      .onConflictDoUpdate({ target: appSettings.id, set: { secretKeyCheck: box.seal('mailroom') } });
    return;
  }
  try {
    box.open(settings.secretKeyCheck);
  } catch {
    await services.database.close();
    throw new SecretKeyMismatch(
      'MAILROOM_SECRET_KEY does not match the key this database was set up with: stored mail passwords could not be read. ' +
        'Use the original key (every process sharing a database needs the same MAILROOM_SECRET_KEY).',
    );
  }
}

export async function buildApp(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<App> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const services = await createServices(config, logger, database);
  await verifySecretKey(services, config);
  await services.settings.emailPreference();
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
    if (pathname === '/oauth/callback') return void oauthCallback(req, res);
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

  /** The identity provider sends the admin's browser here with ?code&state (or ?error); we answer with a redirect to the servers page. */
  async function oauthCallback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end();
    try {
      const viewer = await services.auth.viewerFromToken(bearer(req.headers.authorization) ?? cookieValue(req.headers.cookie, SESSION_COOKIE));
      const outcome = await services.oauth.completeSignIn(new URL(req.url ?? '/', 'http://localhost').searchParams, viewer);
      const href = outcome.location.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
      res.writeHead(303, { location: outcome.location, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
      res.end(`<!doctype html><meta charset="utf-8"><title>Mailroom sign-in</title><p>${outcome.ok ? 'Signed in.' : 'The sign-in was refused.'} <a href="${href}">Continue</a></p>`);
    } catch (err) {
      logger.error({ err }, 'OAuth callback failed');
      res.writeHead(303, { location: '/admin/incoming-servers?oauth=error&reason=The+sign-in+could+not+be+completed', 'cache-control': 'no-store' }).end();
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
    const attachment = /^\/api\/attachments\/([0-9a-f-]{36})$/.exec(pathname);
    if (attachment && (req.method === 'GET' || req.method === 'HEAD')) return serveAttachment(services, viewer, req, res, attachment[1]!);
    const quarantined = /^\/api\/quarantine\/([0-9a-f-]{36})\/raw$/.exec(pathname);
    if (quarantined && req.method === 'GET') return serveQuarantinedRaw(services, viewer, res, quarantined[1]!);
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
      if (config.pollersEnabled) {
        services.outboundWorker.start();
        services.housekeeping.start();
      }
      services.credentialWatch.start();
      const { port } = httpServer.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      return { url: config.publicUrl ?? `http://${host}:${port}`, port };
    },
    async stop() {
      await services.supervisor.stop();
      await services.outboundWorker.stop();
      await services.housekeeping.stop();
      await services.credentialWatch.stop();
      services.health.stop();
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
