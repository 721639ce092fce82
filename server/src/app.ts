import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { eq, sql } from 'drizzle-orm';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Config } from './config.js';
import { openDatabase } from './db/client.js';
import { appSettings } from './db/schema.js';
import { SecretBox } from './lib/secrets.js';
import type { Context } from './graphql/context.js';
import { schema } from './graphql/schema.js';
import { serveGraphqlOverWebSocket } from './graphql/ws-server.js';
import { EventLoopWatch } from './lib/event-loop-watch.js';
import { createLogger, type Logger } from './lib/logger.js';
import { serveSpa } from './lib/static-files.js';
import { sendEml } from './lib/eml-response.js';
import { clientIp, credentialOfNode } from './lib/request-auth.js';
import { originPolicy } from './lib/origins.js';
import { serveAttachment } from './modules/attachments/attachment.routes.js';
import type { Viewer } from './modules/auth/auth.service.js';
import { LiveSessions } from './modules/auth/live-sessions.js';
import { serveQuarantinedRaw } from './modules/quarantine/quarantine.routes.js';
import { serveRemoteImage } from './modules/remote-images/remote-image.routes.js';
import { serveMessageRaw } from './modules/tickets/ticket.routes.js';
import { upgradeTicketData } from './modules/tickets/ticket-upgrade.js';
import { createServices, type Services } from './services.js';

export interface App {
  services: Services;
  /** Starts HTTP + WebSocket and the mailbox pollers; resolves with the bound URL. */
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
  initialAdmin: { email: string; password?: string } | null;
}

/** A GraphQL request body larger than this is refused before it is read (uploads have their own cap). */
const MAX_GRAPHQL_BODY_BYTES = 1024 * 1024;
/** Room around a reply's attachments in a multipart request: the operation, the map, part headers. */
const MULTIPART_OVERHEAD_BYTES = 2 * 1024 * 1024;
/** yoga's own bound on what it reads; the email preference (checked before reading) is usually far lower. */
const MAX_MULTIPART_BYTES = 160 * 1024 * 1024;

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
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger });
  const services = await createServices(config, logger, database);
  await verifySecretKey(services, config);
  await services.settings.emailPreference();
  const initialAdmin = await services.auth.ensureInitialAdmin(config.admin);
  await upgradeTicketData(services.db, services.ticketLists, logger.child({ source: 'upgrade' }));

  const cookiesFor = new WeakMap<Request, string[]>();
  const setCookies: Plugin = {
    onResponse({ request, response }) {
      for (const c of cookiesFor.get(request) ?? []) response.headers.append('set-cookie', c);
    },
  };

  const origins = originPolicy(config.publicUrl, config.allowedOrigins);
  const sessions = new LiveSessions(services.pubsub, services.auth, logger.child({ source: 'sessions' }));
  const eventLoop = new EventLoopWatch(logger.child({ source: 'event-loop' }));

  const isAdmin = (viewer: Viewer | null | undefined) => Boolean(viewer?.user.isSuperAdmin || viewer?.canManageSupportChannels);

  // The schema is no secret to an admin (and the SPA is built from the printed SDL), but it is a
  // map for anyone else: introspection answers admins only. Both transports hand yoga the viewer.
  const introspectionForAdmins: Plugin<{ viewer?: Viewer | null }> = {
    onValidate({ context, addValidationRule }) {
      if (!isAdmin(context.viewer)) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };

  const yoga = createYoga<{ viewer: Viewer | null; req?: IncomingMessage }, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    logging: logger.child({ source: 'graphql' }) as never,
    graphiql: (_request, ctx) => (isAdmin(ctx?.viewer) ? { subscriptionsProtocol: 'WS' } : false),
    landingPage: false,
    maskedErrors: true,
    maxRequestBodySize: MAX_MULTIPART_BYTES,
    // Only the installation's own origins get CORS headers, with credentials; others get none.
    cors: (request) => {
      const origin = request.headers.get('origin');
      return origin && origins.allows(origin, request.headers.get('host')) ? { origin: [origin], credentials: true } : false;
    },
    plugins: [
      // A form post or a multipart upload (no preflight) must carry the SPA's header.
      useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] }),
      // Depth and cost count fields: by default graphql-armor also counts every fragment spread and
      // inline fragment as a level (and multiplies the cost by 1.5 for each), so a result union's
      // `... on X { ...Fields }` cost three levels for none.
      EnvelopArmorPlugin({ maxDepth: { n: 12, flattenFragments: true }, costLimit: { maxCost: 20000, flattenFragments: true }, maxAliases: { n: 30 } }),
      introspectionForAdmins,
      setCookies,
    ],
    context: async (initial): Promise<Context> => {
      const responseCookies: string[] = [];
      if (initial.request) cookiesFor.set(initial.request, responseCookies);
      // HTTP requests arrive with the viewer read in route(), WebSocket operations with the one of connection_init.
      return { viewer: initial.viewer, services, responseCookies, clientIp: clientIp(initial.req, config.trustProxy) };
    },
  });

  const spa = serveSpa(config.webDist);
  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    // Whatever a request holds, it must never end the process: every route's failure ends in a response.
    route(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url?.slice(0, 200) }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal error\n');
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      return void res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('Bad request\n');
    }
    const unsafe = req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS';
    // Browsers send Origin on every cross-origin request and every POST: a foreign one is refused
    // here, whatever the cookie's SameSite would have let through.
    if ((unsafe || pathname === '/graphql') && req.method !== 'OPTIONS' && !origins.allows(req.headers.origin, req.headers.host)) {
      return void res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('Cross-origin request refused\n');
    }
    if (pathname === '/graphql') {
      if (req.method === 'POST') {
        const length = Number(req.headers['content-length'] ?? NaN);
        const multipart = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
        if (!Number.isFinite(length)) return void res.writeHead(411).end();
        if (!multipart && length > MAX_GRAPHQL_BODY_BYTES) return void res.writeHead(413).end();
        // Uploads (reply attachments) are read into memory: refuse more than a reply may carry before reading any of it.
        if (multipart && length > (await services.settings.emailPreference()).maxMessageBytes + MULTIPART_OVERHEAD_BYTES) return void res.writeHead(413).end();
      }
      const viewer = await services.auth.viewerFromToken(credentialOfNode(req.headers));
      await yoga(req, res, { viewer });
      return;
    }
    if (pathname === '/healthz') return healthz(res);
    if (pathname.startsWith('/api/')) return api(req, res, pathname);
    if (pathname === '/oauth/callback') return oauthCallback(req, res);
    spa(req, res);
  }

  async function healthz(res: ServerResponse): Promise<void> {
    try {
      await services.db.execute(sql`select 1`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', database: database.kind, eventLoopMaxDelayMs: eventLoop.worstRecentMs(), eventLoopMaxHeldMs: eventLoop.worstRecentHeldMs() }));
    } catch {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'unavailable' }));
    }
  }

  /** The identity provider sends the admin's browser here with ?code&state (or ?error); we answer with a redirect to the servers page. */
  async function oauthCallback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end();
    try {
      const viewer = await services.auth.viewerFromToken(credentialOfNode(req.headers));
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
    const viewer = await services.auth.viewerFromToken(credentialOfNode(req.headers));
    const raw = /^\/api\/email-audit\/([0-9a-f-]{36})\/raw$/.exec(pathname);
    if (raw && req.method === 'GET') {
      if (!viewer?.canManageSupportChannels) return void res.writeHead(viewer ? 403 : 401).end();
      const found = await services.emailAudit.raw(raw[1]!);
      if (!found) return void res.writeHead(404).end();
      return sendEml(res, found.raw, `message-${raw[1]}.eml`);
    }
    const attachment = /^\/api\/attachments\/([0-9a-f-]{36})$/.exec(pathname);
    if (attachment && (req.method === 'GET' || req.method === 'HEAD')) return serveAttachment(services, viewer, req, res, attachment[1]!);
    const message = /^\/api\/messages\/([0-9a-f-]{36})\/raw$/.exec(pathname);
    if (message && req.method === 'GET') return serveMessageRaw(services, viewer, res, message[1]!);
    const quarantined = /^\/api\/quarantine\/([0-9a-f-]{36})\/raw$/.exec(pathname);
    if (quarantined && req.method === 'GET') return serveQuarantinedRaw(services, viewer, res, quarantined[1]!);
    const remote = /^\/api\/messages\/([0-9a-f-]{36})\/remote-images\/(\d{1,4})$/.exec(pathname);
    if (remote && req.method === 'GET') return serveRemoteImage(services, viewer, res, remote[1]!, Number(remote[2]));
    res.writeHead(404).end();
  }

  const ws = serveGraphqlOverWebSocket(httpServer, yoga, { auth: services.auth, sessions, origins });

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
      sessions.start();
      if (config.pollersEnabled) await services.supervisor.start();
      if (config.pollersEnabled) {
        services.outboundWorker.start();
        services.housekeeping.start();
      }
      services.credentialWatch.start();
      eventLoop.start();
      const { port } = httpServer.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      return { url: config.publicUrl ?? `http://${host}:${port}`, port };
    },
    async stop() {
      eventLoop.stop();
      await services.supervisor.stop();
      await services.outboundWorker.stop();
      await services.housekeeping.stop();
      await services.credentialWatch.stop();
      services.health.stop();
      await sessions.stop();
      await ws.dispose();
      if (started) {
        httpServer.closeAllConnections();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      }
      await services.ingest.stop();
      await database.close();
    },
  };
}
