import type { Logger } from '../lib/logger.js';
import type { PubSub } from '../lib/pubsub.js';
import type { CheckpointStore } from './checkpoints.js';
import type { LeaseManager } from './leases.js';
import { MailError, type ConnectorFactory, type MailConnector } from './connector.js';
import { importInSteps } from '../lib/import-in-steps.js';
import type { HealthReporter, IncomingServerDirectory, MessageSink } from './ports.js';
import type { ProxyConfig } from './proxy.js';
import type { IncomingServerRow } from '../db/schema.js';

/** What start() already knows of a mailbox: its row, and whether its lease is ours (undefined: not asked). */
interface Known { server: IncomingServerRow; leased: boolean | undefined }

// Each protocol's connector (and its client library: imapflow alone is ~10 MB of heap) loads when
// the first mailbox of that protocol starts, not with the process.
const factories: Partial<Record<IncomingServerRow['protocol'], () => Promise<ConnectorFactory>>> = {
  IMAP: () => importInSteps([() => import('socks'), () => import('imapflow')])
    .then(() => import('./imap/imap-connector.js')).then((m) => (server, deps) => new m.ImapConnector(server, deps)),
  POP3: () => importInSteps([() => import('socks'), () => import('./pop3/pop3-client.js')])
    .then(() => import('./pop3/pop3-connector.js')).then((m) => (server, deps) => new m.Pop3Connector(server, deps)),
  EWS: () => import('./ews/ews-connector.js').then((m) => (server, deps) => new m.EwsConnector(server, deps)),
  GRAPH: () => import('./graph/graph-connector.js').then((m) => (server, deps) => new m.GraphConnector(server, deps)),
};

/**
 * Runs one connector per enabled server. Any change to a server replaces its connector; changes
 * for one server are applied in order, and a failing server never touches the others.
 */
export class Supervisor {
  private readonly connectors = new Map<string, MailConnector>();
  private readonly pending = new Map<string, Promise<void>>();
  private running = false;

  constructor(
    private readonly servers: IncomingServerDirectory,
    private readonly deps: { ingest: MessageSink; health: HealthReporter; checkpoints: CheckpointStore; logger: Logger; allowLoopback: boolean; faultPoint?: string; proxies: { config(id: string): Promise<ProxyConfig | null> }; tokens: { accessToken(server: IncomingServerRow, proxy: ProxyConfig | null, opts?: { rejected?: string }): Promise<string> } },
    /** null with the embedded database: one process owns it, so there is nobody to share mailboxes with. */
    private readonly leases: LeaseManager | null = null,
    private readonly pubsub: PubSub | null = null,
  ) {}

  private leaseTimer: NodeJS.Timeout | null = null;
  private changes: AsyncIterator<string> | null = null;

  async start(): Promise<void> {
    this.running = true;
    if (this.pubsub) {
      // Changes made by any process (an admin's edit lands on whichever process served it).
      const changes = this.pubsub.subscribe('incomingServerChanged');
      this.changes = changes[Symbol.asyncIterator]();
      void (async () => {
        for await (const id of changes) this.serverChanged(id);
      })();
    }
    // Every mailbox at once: one list and one lease statement, not two statements per mailbox.
    const servers = await this.servers.list();
    const leased = await this.leases?.acquireMany(servers.filter((s) => s.enabled).map((s) => s.id));
    for (const server of servers) this.serverChanged(server.id, { server, leased: leased?.has(server.id) });
    await Promise.all(this.pending.values());
    if (this.leases) this.leaseTimer = setInterval(() => void this.renewLeases(), this.leaseRenewMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await this.changes?.return?.();
    await Promise.all(this.pending.values());
    await Promise.all([...this.connectors.values()].map((c) => c.stop()));
    await this.leases?.release([...this.connectors.keys()]).catch(() => {});
    this.connectors.clear();
  }

  /** Renew what we hold, give up what we lost, and try again for mailboxes another process held. */
  private leaseRenewMs = 10_000;
  private readonly waitingForLease = new Set<string>();

  setLeaseRenewInterval(ms: number): void {
    this.leaseRenewMs = ms;
  }

  private async renewLeases(): Promise<void> {
    if (!this.leases || !this.running) return;
    try {
      // Judged against the connectors the renewal was sent for: one started while it was on its
      // way took its own lease just now, and restarting it as "lost" would make every mailbox
      // that starts during a renewal reconnect (a storm when hundreds start at once).
      const sent = [...this.connectors];
      const held = await this.leases.renew(sent.map(([id]) => id));
      for (const [id, connector] of sent) {
        if (!held.has(id) && this.connectors.get(id) === connector) {
          this.deps.logger.warn({ serverId: id }, 'lost the mailbox lease; another process reads it now');
          this.serverChanged(id);
        }
      }
      for (const id of this.waitingForLease) this.serverChanged(id);
    } catch (err) {
      this.deps.logger.warn({ err }, 'could not renew mailbox leases');
    }
  }

  get size(): number {
    return this.connectors.size;
  }

  /** `known`: the row just read and whether its lease was just taken (start), so neither is asked again. */
  serverChanged(serverId: string, known?: Known): void {
    if (!this.running) return;
    const next = (this.pending.get(serverId) ?? Promise.resolve()).then(() => this.reload(serverId, known)).catch((err: unknown) => {
      this.deps.logger.error({ err, serverId }, 'could not (re)start the mailbox connector');
    });
    this.pending.set(serverId, next);
  }

  private async reload(serverId: string, known?: Known): Promise<void> {
    const current = this.connectors.get(serverId);
    if (current) {
      this.connectors.delete(serverId);
      await current.stop();
    }
    const server = known ? known.server : await this.servers.get(serverId);
    if (!this.running) return;
    this.waitingForLease.delete(serverId);
    if (!server || !server.enabled) await this.leases?.release([serverId]);
    if (!server) {
      this.deps.health.forget(serverId);
      return;
    }
    if (server.enabled && this.leases && !(known?.leased ?? (await this.leases.acquire(serverId)))) {
      this.waitingForLease.add(serverId); // another process reads it; it reports health too
      return;
    }
    if (!server.enabled) {
      await this.deps.health.report(serverId, { connectionState: 'disabled', inboundQueueCount: 0, error: null });
      return;
    }
    const load = factories[server.protocol];
    if (!load) {
      const err = new MailError('PROTOCOL', `Reading ${server.protocol} mailboxes is not available in this version of Mailroom`);
      await this.deps.health.report(serverId, { connectionState: 'connectError', error: { kind: err.kind, message: err.message } });
      return;
    }
    const proxy = server.proxyServerId ? ((await this.deps.proxies.config(server.proxyServerId)) ?? null) : null;
    if (server.proxyServerId && !proxy) {
      // Never fall back to a direct connection: the proxy may be the only way out that is allowed.
      const err = new MailError('NETWORK', 'The proxy server chosen for this mailbox no longer exists: choose another one');
      await this.deps.health.report(serverId, { connectionState: 'connectError', error: { kind: err.kind, message: err.message } });
      return;
    }
    const credentials = this.servers.credentials(server);
    const factory = await load();
    this.deps.ingest.keepParserWarm();
    const connector = factory(server, {
      ...this.deps,
      credentials,
      proxy,
      accessToken: (opts) => this.deps.tokens.accessToken(server, proxy, opts),
    });
    this.connectors.set(serverId, connector);
    connector.start();
  }
}
