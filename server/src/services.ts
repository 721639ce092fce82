import type { Config } from './config.js';
import type { Database, Db } from './db/client.js';
import { IngestService } from './ingest/ingest.service.js';
import type { Logger } from './lib/logger.js';
import { createEventBus, type PubSub } from './lib/pubsub.js';
import { SecretBox } from './lib/secrets.js';
import { CheckpointStore } from './mail/checkpoints.js';
import { Supervisor } from './mail/supervisor.js';
import { AuthService } from './modules/auth/auth.service.js';
import { CatalogService } from './modules/catalog/catalog.service.js';
import { EmailAuditService } from './modules/email-audit/email-audit.service.js';
import { HealthService } from './modules/health/health.service.js';
import { ConnectionTester } from './modules/incoming-servers/connection-tester.js';
import { IncomingServerService } from './modules/incoming-servers/incoming-server.service.js';
import { TicketService } from './modules/tickets/ticket.service.js';

export interface Services {
  config: Config;
  logger: Logger;
  db: Db;
  database: Database;
  pubsub: PubSub;
  auth: AuthService;
  catalog: CatalogService;
  servers: IncomingServerService;
  health: HealthService;
  tickets: TicketService;
  ingest: IngestService;
  emailAudit: EmailAuditService;
  connectionTester: ConnectionTester;
  checkpoints: CheckpointStore;
  supervisor: Supervisor;
}

export function createServices(config: Config, logger: Logger, database: Database): Services {
  const db = database.db;
  const pubsub = createEventBus();
  const secrets = new SecretBox(config.secretKey);
  const servers = new IncomingServerService(db, secrets, pubsub);
  const health = new HealthService(db, pubsub, logger.child({ source: 'health' }));
  const ingest = new IngestService(db, pubsub, logger.child({ source: 'ingest' }));
  const checkpoints = new CheckpointStore(db);
  const supervisor = new Supervisor(servers, { ingest, health, checkpoints, logger: logger.child({ source: 'supervisor' }), allowLoopback: config.allowLoopbackMailServers, faultPoint: config.faultPoint });
  servers.onChange(supervisor);
  return {
    config,
    logger,
    db,
    database,
    pubsub,
    auth: new AuthService(db, logger.child({ source: 'auth' })),
    catalog: new CatalogService(db),
    servers,
    health,
    tickets: new TicketService(db),
    ingest,
    emailAudit: new EmailAuditService(db, ingest),
    connectionTester: new ConnectionTester(servers, config.allowLoopbackMailServers),
    checkpoints,
    supervisor,
  };
}
