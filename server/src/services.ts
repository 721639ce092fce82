import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from './config.js';
import { LeaseManager } from './mail/leases.js';
import type { Database, Db } from './db/client.js';
import { AttachmentStore } from './ingest/attachments.js';
import { Housekeeping } from './ingest/housekeeping.js';
import { IngestService } from './ingest/ingest.service.js';
import { ParserPool } from './ingest/parser-pool.js';
import type { Logger } from './lib/logger.js';
import { createEventBus, type PubSub } from './lib/pubsub.js';
import { SecretBox } from './lib/secrets.js';
import { CheckpointStore } from './mail/checkpoints.js';
import { OAuthTokenService } from './mail/oauth/token-service.js';
import { mailIdentity, type MailIdentity } from './ingest/identity.js';
import { OutboundWorker } from './mail/outbound/outbound-worker.js';
import { Outbox } from './modules/outgoing-servers/outbox.service.js';
import { Supervisor } from './mail/supervisor.js';
import { AuthService } from './modules/auth/auth.service.js';
import { CatalogService } from './modules/catalog/catalog.service.js';
import { ConfigAuditTrail } from './modules/config-audit/config-audit.trail.js';
import { EmailAuditService } from './modules/email-audit/email-audit.service.js';
import { EmailPreferenceService } from './modules/email-preference/email-preference.service.js';
import { EmailIngestStats } from './modules/email-audit/email-audit.stats.js';
import { CredentialWatch } from './modules/health/credential-warnings.js';
import { HealthService } from './modules/health/health.service.js';
import { NotificationService } from './modules/notifications/notification.service.js';
import { ConnectionTester } from './modules/incoming-servers/connection-tester.js';
import { IncomingServerService } from './modules/incoming-servers/incoming-server.service.js';
import { OAuthService } from './modules/oauth/oauth.service.js';
import { OutgoingServerService } from './modules/outgoing-servers/outgoing-server.service.js';
import { ProxyServerService } from './modules/proxy-servers/proxy-server.service.js';
import { QuarantineService, type Reprocessor } from './modules/quarantine/quarantine.service.js';
import { RemoteImageService } from './modules/remote-images/remote-image.service.js';
import { SettingsService } from './modules/settings/settings.service.js';
import { RuleService } from './modules/rules/rule.service.js';
import { TicketService } from './modules/tickets/ticket.service.js';
import { TicketAccess } from './modules/tickets/ticket-access.js';
import { TicketReplyService } from './modules/tickets/ticket-reply.service.js';
import { TicketWorkService } from './modules/tickets/ticket-work.service.js';
import { TicketListService } from './modules/catalog/ticket-lists.service.js';
import { PeopleService } from './modules/auth/people.service.js';
import { TicketNotifier } from './modules/notifications/ticket-notifier.js';

export interface Services {
  config: Config;
  logger: Logger;
  db: Db;
  database: Database;
  pubsub: PubSub;
  auth: AuthService;
  catalog: CatalogService;
  servers: IncomingServerService;
  proxies: ProxyServerService;
  health: HealthService;
  notifications: NotificationService;
  credentialWatch: CredentialWatch;
  configAudit: ConfigAuditTrail;
  ingestStats: EmailIngestStats;
  tickets: TicketService;
  ticketWork: TicketWorkService;
  ticketReplies: TicketReplyService;
  ticketLists: TicketListService;
  ticketNotifier: TicketNotifier;
  people: PeopleService;
  rules: RuleService;
  ingest: IngestService;
  emailAudit: EmailAuditService;
  emailPreference: EmailPreferenceService;
  connectionTester: ConnectionTester;
  checkpoints: CheckpointStore;
  supervisor: Supervisor;
  tokens: OAuthTokenService;
  oauth: OAuthService;
  mailIdentity: MailIdentity;
  outgoingServers: OutgoingServerService;
  outbox: Outbox;
  outboundWorker: OutboundWorker;
  attachments: AttachmentStore;
  quarantine: QuarantineService;
  remoteImages: RemoteImageService;
  settings: SettingsService;
  housekeeping: Housekeeping;
}

export async function createServices(config: Config, logger: Logger, database: Database): Promise<Services> {
  const db = database.db;
  const pubsub = await createEventBus(database.notify, logger.child({ source: 'pubsub' }));
  const secrets = new SecretBox(config.secretKey);
  const servers = new IncomingServerService(db, secrets, pubsub);
  const proxies = new ProxyServerService(db, secrets, pubsub);
  const notifications = new NotificationService(db, pubsub, logger.child({ source: 'notifications' }));
  const health = new HealthService(db, pubsub, logger.child({ source: 'health' }), {
    notifier: notifications,
    timing: { recoveryStableMs: config.health.recoveryStableMs, flapWindowMs: config.health.flapWindowMs },
  });
  const identity = mailIdentity({ publicUrl: config.publicUrl, secretKey: config.secretKey });
  const outgoingServers = new OutgoingServerService(db, secrets, pubsub, { allowLoopback: config.allowLoopbackMailServers });
  const attachments = new AttachmentStore(config.dataDir, db, logger.child({ source: 'attachments' }));
  const outboundWorker = new OutboundWorker(db, outgoingServers, logger.child({ source: 'outbound' }), { allowLoopback: config.allowLoopbackMailServers });
  const settings = new SettingsService(db, pubsub);
  const ticketNotifier = new TicketNotifier(db, notifications, logger.child({ source: 'ticket-notifications' }));
  const ingest = new IngestService(db, pubsub, logger.child({ source: 'ingest' }), {
    identity, attachments, preference: () => settings.emailPreference(), onQueued: () => outboundWorker.kick(),
    parser: new ParserPool({ logger: logger.child({ source: 'parser' }), faultPoint: config.faultPoint }), faultPoint: config.faultPoint,
    onCommitted: ({ created, replied }) => {
      void ticketNotifier.ticketsCreated(created);
      void ticketNotifier.requesterReplied(replied);
    },
  });
  outboundWorker.onChange((mail) => {
    if (mail.ticketId) pubsub.publish('ticketUpdated', mail.ticketId);
  });
  outboundWorker.onFailure((mail) => void ticketNotifier.sendFailed(mail));
  const auth = new AuthService(db, logger.child({ source: 'auth' }), pubsub);
  const ticketAccess = new TicketAccess(db);
  const tickets = new TicketService(db, ticketAccess);
  const ticketLists = new TicketListService(db);
  const ticketWork = new TicketWorkService(db, tickets, ticketAccess, ticketLists, pubsub);
  const ticketReplies = new TicketReplyService(db, ticketWork, pubsub, {
    identity, attachments, maxSizes: () => settings.emailPreference(), onQueued: () => outboundWorker.kick(),
  });
  const checkpoints = new CheckpointStore(db);
  const tokens = new OAuthTokenService(servers, config, logger.child({ source: 'oauth' }));
  const leases = new LeaseManager(db, `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, config.leaseTtlSeconds);
  const supervisor = new Supervisor(
    servers,
    { ingest, health, checkpoints, logger: logger.child({ source: 'supervisor' }), allowLoopback: config.allowLoopbackMailServers, faultPoint: config.faultPoint, proxies, tokens },
    leases,
    pubsub,
  );
  supervisor.setLeaseRenewInterval(Math.max(500, (config.leaseTtlSeconds * 1000) / 3));
  const quarantine = new QuarantineService(db, ingest, logger.child({ source: 'quarantine' }));
  return {
    config,
    logger,
    db,
    database,
    pubsub,
    auth,
    catalog: new CatalogService(db, pubsub),
    servers,
    proxies,
    health,
    notifications,
    credentialWatch: new CredentialWatch(db, servers, notifications, logger.child({ source: 'credentials' }), { intervalMs: config.health.credentialCheckIntervalMs }),
    configAudit: new ConfigAuditTrail(db),
    ingestStats: new EmailIngestStats(db),
    tickets,
    ticketWork,
    ticketReplies,
    ticketLists,
    ticketNotifier,
    people: new PeopleService(db, auth, pubsub),
    rules: new RuleService(db, ticketLists),
    ingest,
    emailAudit: new EmailAuditService(db),
    emailPreference: new EmailPreferenceService(db, () => settings.forgetEmailPreference()),
    connectionTester: new ConnectionTester(servers, config.allowLoopbackMailServers, proxies, tokens),
    checkpoints,
    supervisor,
    tokens,
    oauth: new OAuthService(db, secrets, servers, tokens, config, proxies, logger.child({ source: 'oauth' })),
    mailIdentity: identity,
    outgoingServers,
    outbox: new Outbox(db),
    outboundWorker,
    attachments,
    quarantine,
    remoteImages: new RemoteImageService(db, { allowLoopback: config.allowLoopbackMailServers }),
    settings,
    housekeeping: new Housekeeping(
      [{ name: 'quarantine retention', run: () => quarantine.purgeExpired() }, { name: 'orphaned attachments', run: () => attachments.sweepOrphans() }],
      logger.child({ source: 'housekeeping' }),
    ),
  };
}
