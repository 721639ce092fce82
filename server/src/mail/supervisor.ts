import type { IngestService } from '../ingest/ingest.service.js';
import type { Logger } from '../lib/logger.js';
import type { HealthService } from '../modules/health/health.service.js';
import type { IncomingServerRow, IncomingServerService, ServerChangeListener } from '../modules/incoming-servers/incoming-server.service.js';
import type { CheckpointStore } from './checkpoints.js';
import { MailError, type ConnectorFactory, type MailConnector } from './connector.js';
import { ImapConnector } from './imap/imap-connector.js';

const factories: Partial<Record<IncomingServerRow['protocol'], ConnectorFactory>> = {
  IMAP: (server, deps) => new ImapConnector(server, deps),
};

/**
 * Runs one connector per enabled server. Any change to a server replaces its connector; changes
 * for one server are applied in order, and a failing server never touches the others.
 */
export class Supervisor implements ServerChangeListener {
  private readonly connectors = new Map<string, MailConnector>();
  private readonly pending = new Map<string, Promise<void>>();
  private running = false;

  constructor(
    private readonly servers: IncomingServerService,
    private readonly deps: { ingest: IngestService; health: HealthService; checkpoints: CheckpointStore; logger: Logger; allowLoopback: boolean; faultPoint?: string },
  ) {}

  async start(): Promise<void> {
    this.running = true;
    for (const server of await this.servers.list()) this.serverChanged(server.id);
    await Promise.all(this.pending.values());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.pending.values());
    await Promise.all([...this.connectors.values()].map((c) => c.stop()));
    this.connectors.clear();
  }

  get size(): number {
    return this.connectors.size;
  }

  serverChanged(serverId: string): void {
    if (!this.running) return;
    const next = (this.pending.get(serverId) ?? Promise.resolve()).then(() => this.reload(serverId)).catch((err: unknown) => {
      this.deps.logger.error({ err, serverId }, 'could not (re)start the mailbox connector');
    });
    this.pending.set(serverId, next);
  }

  private async reload(serverId: string): Promise<void> {
    const current = this.connectors.get(serverId);
    if (current) {
      this.connectors.delete(serverId);
      await current.stop();
    }
    const server = await this.servers.get(serverId);
    if (!this.running) return;
    if (!server) {
      this.deps.health.forget(serverId);
      return;
    }
    if (!server.enabled) {
      await this.deps.health.report(serverId, { connectionState: 'disabled', inboundQueueCount: 0, error: null });
      return;
    }
    const factory = factories[server.protocol];
    if (!factory) {
      const err = new MailError('PROTOCOL', `Reading ${server.protocol} mailboxes is not available in this version of Mailroom`);
      await this.deps.health.report(serverId, { connectionState: 'connectError', error: { kind: err.kind, message: err.message } });
      return;
    }
    const credentials = this.servers.credentials(server);
    const connector = factory(server, {
      ...this.deps,
      credentials,
      proxy: null,
      accessToken: async () => {
        if (!credentials.oauth.accessToken) throw new MailError('OAUTH_TOKEN', 'OAuth sign-in has not been completed for this mailbox: sign in again from the server settings');
        return credentials.oauth.accessToken;
      },
    });
    this.connectors.set(serverId, connector);
    connector.start();
  }
}
