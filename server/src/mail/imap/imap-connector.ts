import { isIP } from 'node:net';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { DnsError, TargetRefusedError, resolveTarget } from '../address-guard.js';
import { faultPoint } from '../../lib/faults.js';
import { ConnectorLoop } from '../connector-loop.js';
import { MailError, type ConnectorDeps } from '../connector.js';
import { resolveMailRoute, routeProxyUrl } from '../mail-route.js';
import { classifyImapError } from './imap-errors.js';
import { planSync } from './imap-sync-plan.js';
import type { IncomingServerRow } from '../../db/schema.js';

const FOLDER = 'INBOX';
const BATCH = 250;
const MAX_BATCH_BYTES = 64 * 1024 * 1024;
/** IDLE is re-issued this often; some servers and middleboxes drop connections idle for longer. */
const MAX_IDLE_MS = 5 * 60_000;

export const imapSourceKey = (serverId: string, uidValidity: number, uid: number) => `imap:${serverId}:${uidValidity}:${uid}`;

export function imapClientOptions(server: IncomingServerRow, secret: { password: string | null; accessToken: string | null }, address: string): ImapFlowOptions {
  const user = server.username || server.email;
  // SNI and certificate checks use the configured name, while the socket goes to the address we vetted.
  const servername = server.host && !isIP(server.host) ? server.host : undefined;
  const tls = { rejectUnauthorized: !server.allowSelfSignedCertificate, servername, minVersion: 'TLSv1.2' as const };
  return {
    host: address,
    port: server.port ?? 993,
    secure: server.security === 'SSL',
    // imapflow upgrades opportunistically by default; NONE must stay plain and STARTTLS must be required.
    doSTARTTLS: server.security === 'TLS' ? true : server.security === 'NONE' ? false : undefined,
    servername,
    auth: server.authType === 'OAUTH' ? { user, accessToken: secret.accessToken ?? '' } : { user, pass: secret.password ?? '' },
    tls,
    logger: false,
    connectionTimeout: 15_000,
    greetingTimeout: 10_000,
    socketTimeout: 10 * 60_000,
    maxIdleTime: MAX_IDLE_MS,
    disableAutoIdle: true,
  } as ImapFlowOptions;
}

/**
 * Reads one IMAP mailbox. States: connecting → syncing → connected (IDLE or waiting for the next
 * poll) → syncing …; failures go to connectError (retried with backoff) or authenticationError
 * (stays until the credentials change, which restarts the connector).
 *
 * Exactly once: each batch of tickets is committed together with the checkpoint (UIDVALIDITY,
 * last UID), and `\Seen` is set only after that commit. A crash in between leaves the message
 * unseen but behind the checkpoint; the repair pass at the next connect marks it.
 */
export class ImapConnector extends ConnectorLoop {
  private client: ImapFlow | null = null;

  constructor(server: IncomingServerRow, deps: ConnectorDeps) {
    super(server, deps, 'imap');
  }

  protected classify(err: unknown): MailError {
    if (this.deps.proxy && (err as Error | undefined)?.message === 'Failed to setup proxy connection') {
      return new MailError('NETWORK', `Could not connect through the proxy "${this.deps.proxy.name}"`);
    }
    return classifyImapError(err);
  }

  protected async disconnect(): Promise<void> {
    const client = this.client;
    if (client) await client.logout().catch(() => client.close());
  }

  protected async session(): Promise<void> {
    const accessToken = this.server.authType === 'OAUTH' ? await this.deps.accessToken() : null;
    let address: string;
    try {
      const resolved = await resolveTarget(this.server.host ?? '', { allowLoopback: this.deps.allowLoopback });
      address = resolved[0]!.address;
    } catch (err) {
      if (err instanceof TargetRefusedError) throw new MailError('NETWORK', err.message, { permanent: true });
      if (err instanceof DnsError) throw new MailError('NETWORK', err.message);
      throw err;
    }

    // The proxy's own address passes the guard too, and imapflow is handed that address.
    const proxy = this.deps.proxy ? (await resolveMailRoute(address, this.deps.proxy, { allowLoopback: this.deps.allowLoopback })).proxy : null;
    const options = imapClientOptions(this.server, { password: this.deps.credentials.password, accessToken }, address);
    const client = new ImapFlow(proxy ? { ...options, proxy: routeProxyUrl(proxy) } : options);
    this.client = client;
    let closed = false;
    client.on('error', (err: Error) => this.log.debug({ err: err.message }, 'imap client error'));
    client.on('close', () => {
      closed = true;
      if (this.client === client) this.wake();
    });
    client.on('exists', () => {
      if (this.server.realTimeScanning && this.client === client) this.wake();
    });

    try {
      await client.connect();
      this.backoff.connected(Date.now());
      const lock = await client.getMailboxLock(FOLDER);
      try {
        await this.repairUnflagged(client);
        while (!this.stopped) {
          await this.report({ connectionState: 'syncing' });
          await this.sync(client);
          await this.report({ connectionState: 'connected', lastSyncAt: new Date(), inboundQueueCount: 0, error: null });
          if (this.stopped) break;
          if (this.server.realTimeScanning && !this.wakePending) void client.idle().catch(() => {});
          await this.sleep(this.server.realTimeScanning ? MAX_IDLE_MS : this.server.pollIntervalSeconds * 1000);
          if (closed && !this.stopped) throw new MailError('NETWORK', 'the mail server closed the connection');
        }
      } finally {
        lock.release();
      }
    } finally {
      this.client = null;
      if (!closed) await client.logout().catch(() => client.close());
    }
  }

  private uidValidity(client: ImapFlow): number {
    const mailbox = client.mailbox;
    if (!mailbox) throw new MailError('PROTOCOL', 'INBOX is not selected');
    return Number(mailbox.uidValidity);
  }

  /** After a crash between commit and `\Seen`: committed messages that are still unread get their flag now. */
  private async repairUnflagged(client: ImapFlow): Promise<void> {
    const cp = await this.deps.checkpoints.get(this.server.id, FOLDER);
    const uidValidity = this.uidValidity(client);
    if (!cp || cp.uidValidity !== uidValidity || cp.lastUid === 0) return;
    const unseen = (await client.search({ uid: `1:${cp.lastUid}`, seen: false }, { uid: true })) || [];
    if (!unseen.length) return;
    const committed = await this.deps.ingest.committedSourceKeys(unseen.map((uid) => imapSourceKey(this.server.id, uidValidity, uid)));
    const uids = unseen.filter((uid) => committed.has(imapSourceKey(this.server.id, uidValidity, uid)));
    if (uids.length) {
      await client.messageFlagsAdd(uids.join(','), ['\\Seen'], { uid: true });
      this.log.info({ count: uids.length }, 'marked already-committed messages as seen');
    }
  }

  private async sync(client: ImapFlow): Promise<void> {
    const mailbox = client.mailbox;
    if (!mailbox) throw new MailError('PROTOCOL', 'INBOX is not selected');
    const uidValidity = this.uidValidity(client);
    let cp = await this.deps.checkpoints.get(this.server.id, FOLDER);
    if (!cp || cp.uidValidity !== uidValidity) {
      if (cp) this.log.warn({ was: cp.uidValidity, now: uidValidity }, 'UIDVALIDITY changed; resynchronising unread mail only');
      const baselineUid = Math.max(0, Number(mailbox.uidNext) - 1);
      await this.deps.checkpoints.save(this.deps.ingest.db, { serverId: this.server.id, folder: FOLDER, uidValidity, lastUid: 0, baselineUid });
      cp = (await this.deps.checkpoints.get(this.server.id, FOLDER))!;
    }
    const newer = (await client.search({ uid: `${cp.lastUid + 1}:*` }, { uid: true })) || [];
    const unseenBaseline = cp.lastUid < cp.baselineUid
      ? (await client.search({ uid: `${cp.lastUid + 1}:${cp.baselineUid}`, seen: false }, { uid: true })) || []
      : [];
    const sizes = new Map<number, number>();
    if (newer.some((uid) => uid > cp.lastUid)) {
      for await (const msg of client.fetch(`${cp.lastUid + 1}:*`, { uid: true, size: true }, { uid: true })) sizes.set(msg.uid, msg.size ?? 0);
    }
    const plan = planSync({ lastUid: cp.lastUid, baselineUid: cp.baselineUid, newer, unseenBaseline, batchSize: BATCH, sizes, maxBatchBytes: MAX_BATCH_BYTES });
    let waiting = plan.toProcess;

    const fetchBatch = async (uids: number[]) => {
      const items: { sourceKey: string; raw: Buffer }[] = [];
      if (!uids.length) return items;
      for await (const msg of client.fetch(uids.join(','), { uid: true, source: true }, { uid: true })) {
        if (msg.source) items.push({ sourceKey: imapSourceKey(this.server.id, uidValidity, msg.uid), raw: msg.source });
      }
      return items;
    };
    // Fetch the next batch over IMAP while the current one is parsed and committed; `\Seen` for a
    // batch is queued only after its commit.
    let next = plan.batches.length ? fetchBatch(plan.batches[0]!.uids) : null;
    for (const [i, batch] of plan.batches.entries()) {
      if (this.stopped) return;
      await this.report({ inboundQueueCount: waiting });
      const items = await next!;
      next = i + 1 < plan.batches.length ? fetchBatch(plan.batches[i + 1]!.uids) : null;
      // A failed prefetch is reported by the next iteration; don't let it surface as unhandled meanwhile.
      next?.catch(() => {});
      await this.deps.ingest.ingestBatch(this.server, items, (tx) =>
        this.deps.checkpoints.save(tx, { serverId: this.server.id, folder: FOLDER, uidValidity, lastUid: batch.checkpointUid, baselineUid: cp.baselineUid }),
      );
      faultPoint(this.deps.faultPoint, 'imap.afterCommitBeforeSeen');
      if (batch.uids.length) await client.messageFlagsAdd(batch.uids.join(','), ['\\Seen'], { uid: true });
      waiting -= batch.uids.length;
    }
  }
}
