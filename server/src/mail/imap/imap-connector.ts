import { isIP } from 'node:net';
import { ImapFlow, type ImapFlowOptions, type SearchObject } from 'imapflow';
import type { IngestService } from '../../ingest/ingest.service.js';
import type { IncomingServerRow } from '../../modules/incoming-servers/incoming-server.service.js';
import { DnsError, TargetRefusedError, resolveTarget } from '../address-guard.js';
import { faultPoint } from '../../lib/faults.js';
import type { Checkpoint } from '../checkpoints.js';
import { ConnectorLoop } from '../connector-loop.js';
import { MailError, type ConnectorDeps } from '../connector.js';
import { resolveMailRoute, routeProxyUrl } from '../mail-route.js';
import { decodeImapCursor, encodeImapCursor, type ImapCursor } from './imap-cursor.js';
import { classifyImapError } from './imap-errors.js';
import { resolveFolder } from './imap-folders.js';
import { planSync, sameView, searchMayHaveMissed, serverNumber, uidSet, type MailboxView } from './imap-sync-plan.js';

const FOLDER = 'INBOX';
const BATCH = 250;
const MAX_BATCH_BYTES = 64 * 1024 * 1024;
/** IDLE is re-issued this often; some servers and middleboxes drop connections idle for longer. */
const MAX_IDLE_MS = 5 * 60_000;
/**
 * While idling, the mailbox is also asked for news this often: some servers' IDLE looks for new
 * mail only every minute (Cyrus without idled, Courier without FAM) or never pushes at all, and a
 * silent IDLE must cost at most this long.
 */
export const IDLE_CHECK_MS = 15_000;
/** A check that found nothing new moves "last sync" at most this often (each move is a write and an event). */
const QUIET_REPORT_MS = 60_000;
/**
 * INBOX is selected again this often. Some servers answer NOOP and STATUS from the session's own
 * view: Courier keeps reporting the old UIDVALIDITY of a Maildir deleted and recreated under the
 * session, and only a new SELECT (which then fails there) tells.
 */
const RESELECT_MS = 30_000;

/**
 * INBOX changed under the session (recreated: a new UIDVALIDITY, or it can no longer be selected):
 * a new session is needed, not a backoff. Not a new SELECT: some servers (GNU Mailutils) keep
 * serving the deleted mailbox to the session that had it open.
 */
class SessionStale extends Error {}

export const imapSourceKey = (serverId: string, uidValidity: number, uid: number) => `imap:${serverId}:${uidValidity}:${uid}`;

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects: a prefetch nobody awaits any more (stop, a failed commit) must not become an unhandled rejection. */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
}

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

/** What one sync found out about the mailbox beyond the tickets it made. */
interface SyncResult {
  /** Set when the server says there is mail Mailroom cannot see: the mailbox is `degraded`, with this reason. */
  problem: string | null;
  /** False when the sync could not account for the server's numbers: the next check must sync again. */
  settled: boolean;
}

/**
 * Reads one IMAP mailbox. States: connecting → syncing → connected (IDLE or waiting for the next
 * poll) → syncing …, or `degraded` when the server says there is mail it won't show; failures go
 * to connectError (retried with backoff) or authenticationError (stays until the credentials
 * change, which restarts the connector).
 *
 * Every check asks the server for news in a way every server answers — NOOP (Courier announces
 * new mail only then), then STATUS (UIDNEXT, which SELECT may lack, and UIDVALIDITY, which changes
 * when the mailbox is recreated under the session), and a new SELECT every half minute (for servers
 * whose STATUS only repeats the session's view) — and the UID search is cross-checked against
 * those numbers, with broader searches when they disagree.
 *
 * Exactly once: each batch of tickets is committed together with the checkpoint (UIDVALIDITY,
 * last UID, and the UIDs still to be moved), and `\Seen` / the move happen only after that
 * commit. A crash in between leaves the message unseen (or unmoved) but behind the checkpoint;
 * the next session marks it (the repair pass) or moves it (the cursor's pending list).
 */
export class ImapConnector extends ConnectorLoop {
  private client: ImapFlow | null = null;
  /** Per session: the processed-mail folder as the server names it (MOVE only). */
  private moveTarget: string | null = null;
  /** Per session: what the last settled sync saw; an unchanged view needs no search. */
  private lastView: MailboxView | null = null;
  /** Per session: the server's UID range search was caught missing mail, so every sync lists all UIDs. */
  private broadSearch: 'search' | 'fetch' | null = null;
  private problem: string | null = null;
  private lastReportAt = 0;
  private selectedAt = 0;
  private firstCheck = true;
  /** The last session ended because STATUS reported another UIDVALIDITY than SELECT. */
  private staleByStatus = false;
  /** Cleared for a server whose STATUS disagrees with SELECT even in a fresh session (it would reconnect for ever). */
  private statusValidityTrusted = true;

  constructor(server: IncomingServerRow, deps: ConnectorDeps) {
    super(server, deps, 'imap');
  }

  private get ingest(): IngestService {
    return this.deps.ingest;
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
    this.lastView = null;
    this.broadSearch = null;
    this.problem = null;
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
      this.selectedAt = Date.now();
      this.firstCheck = true;
      try {
        this.moveTarget = this.server.afterProcessing === 'MOVE' ? await this.findMoveTarget(client) : null;
        await this.finishPending(client);
        await this.repairUnflagged(client);
        let firstSync = true;
        while (!this.stopped) {
          const view = await this.askForNews(client);
          if (!sameView(this.lastView, view) || this.problem) {
            // Later checks say "syncing" only when there is mail to take (sync() does): a check
            // every 15 s must not make the card flicker.
            if (firstSync) await this.report({ connectionState: 'syncing' });
            firstSync = false;
            const result = await this.sync(client, view);
            this.lastView = result.settled ? view : null;
            this.problem = result.problem;
            await this.reportSynced();
          } else if (Date.now() - this.lastReportAt >= QUIET_REPORT_MS) {
            await this.reportSynced();
          }
          if (this.stopped) break;
          if (this.server.realTimeScanning && !this.wakePending) void client.idle().catch(() => {});
          await this.sleep(this.server.realTimeScanning ? IDLE_CHECK_MS : this.server.pollIntervalSeconds * 1000);
          if (closed && !this.stopped) throw new MailError('NETWORK', 'the mail server closed the connection');
        }
      } catch (err) {
        if (!(err instanceof SessionStale)) throw err;
        this.log.warn({ reason: err.message }, 'INBOX changed under the session (recreated?); reconnecting');
      } finally {
        lock.release();
      }
    } finally {
      this.client = null;
      if (!closed) await client.logout().catch(() => client.close());
    }
  }

  private async reportSynced(): Promise<void> {
    this.lastReportAt = Date.now();
    await this.report(this.problem
      ? { connectionState: 'degraded', lastSyncAt: new Date(), error: { kind: 'PROTOCOL', message: this.problem } }
      : { connectionState: 'connected', lastSyncAt: new Date(), inboundQueueCount: 0, error: null });
  }

  /**
   * NOOP, then STATUS: new mail becomes visible to the session (some servers announce it only on
   * NOOP or IDLE), UIDNEXT is learnt even when SELECT left it out, and a mailbox deleted and
   * recreated under the session (a new UIDVALIDITY, or a SELECT that now fails) ends the session.
   */
  private async askForNews(client: ImapFlow): Promise<MailboxView> {
    const selected = () => serverNumber(client.mailbox ? client.mailbox.uidValidity : null);
    if (Date.now() - this.selectedAt >= RESELECT_MS) {
      const before = selected();
      await client.mailboxOpen(FOLDER).catch((err: { responseStatus?: string }) => {
        throw err?.responseStatus === 'NO' ? new SessionStale('INBOX can no longer be selected') : err;
      });
      this.selectedAt = Date.now();
      if (selected() !== before) throw new SessionStale(`a new SELECT reports UIDVALIDITY ${selected()} instead of ${before}`);
    }
    await client.noop();
    const status = await client.status(FOLDER, { messages: true, uidNext: true, uidValidity: true }).catch(() => false as const);
    const statusValidity = status ? serverNumber(status.uidValidity) : null;
    if (statusValidity !== null && statusValidity !== selected() && this.statusValidityTrusted) {
      if (this.firstCheck && this.staleByStatus) {
        this.statusValidityTrusted = false;
        this.log.warn('STATUS reports another UIDVALIDITY than SELECT even in a new session; relying on SELECT');
      } else {
        this.staleByStatus = true;
        throw new SessionStale(`STATUS reports UIDVALIDITY ${statusValidity} instead of ${selected()}`);
      }
    }
    this.firstCheck = false;
    this.staleByStatus = false;
    const mailbox = client.mailbox;
    if (!mailbox) throw new MailError('PROTOCOL', 'INBOX is not selected');
    const uidValidity = serverNumber(mailbox.uidValidity) ?? statusValidity;
    if (uidValidity === null) throw new MailError('PROTOCOL', 'The mail server gave no UIDVALIDITY for INBOX, so Mailroom cannot tell its messages apart');
    const fromStatus = status && statusValidity === uidValidity;
    return {
      uidValidity,
      exists: serverNumber(mailbox.exists, { allowZero: true }) ?? (fromStatus ? serverNumber(status.messages, { allowZero: true }) : null) ?? 0,
      uidNext: serverNumber(mailbox.uidNext) ?? (fromStatus ? serverNumber(status.uidNext) : null),
    };
  }

  private checkpoint(): Promise<Checkpoint | undefined> {
    return this.ours('reading the mailbox checkpoint', () => this.deps.checkpoints.get(this.server.id, FOLDER));
  }

  /** UIDs matching `query`, or null when the server refused the search (imapflow reports that as `false`). */
  private async searchUids(client: ImapFlow, query: SearchObject): Promise<number[] | null> {
    const found = await client.search(query, { uid: true });
    return Array.isArray(found) ? found : null;
  }

  /** UIDs by FETCH over sequence numbers: works where a server's SEARCH does not. */
  private async fetchUids(client: ImapFlow, range: string): Promise<number[]> {
    const uids: number[] = [];
    for await (const msg of client.fetch(range, { uid: true })) if (serverNumber(msg.uid)) uids.push(msg.uid);
    return uids;
  }

  /** The UID the next message will get, minus one: from UIDNEXT, else the last message's UID (never NaN). */
  private async highestUid(client: ImapFlow, view: MailboxView): Promise<number> {
    if (view.uidNext !== null) return view.uidNext - 1;
    if (view.exists === 0) return 0;
    return (await this.fetchUids(client, '*')).reduce((a, b) => Math.max(a, b), 0);
  }

  /** The folder processed mail goes to, as the server names it (its own delimiter, under INBOX or not). */
  private async findMoveTarget(client: ImapFlow): Promise<string> {
    const name = this.server.moveToFolder ?? '';
    const folders = await client.list();
    const target = resolveFolder(name, folders.map((f) => ({ path: f.path, delimiter: f.delimiter })), client.namespace?.prefix ?? '');
    if (target && target.toUpperCase() !== FOLDER) return target;
    const known = folders.map((f) => f.path).filter((p) => p.toUpperCase() !== FOLDER).slice(0, 10);
    throw new MailError('PROTOCOL', `The folder "${name}" to move processed mail to does not exist on the mail server${known.length ? ` (its folders: ${known.join(', ')})` : ' (it has no folders besides INBOX)'}`);
  }

  /** `\Seen` for committed messages, then the move when the mailbox moves processed mail. */
  private async afterCommit(client: ImapFlow, uids: number[]): Promise<void> {
    if (!uids.length) return;
    await client.messageFlagsAdd(uidSet(uids), ['\\Seen'], { uid: true });
    if (!this.moveTarget) return;
    // MOVE where the server has it, else COPY + \Deleted + UID EXPUNGE (EXPUNGE without UIDPLUS): imapflow picks.
    const moved = await client.messageMove(uidSet(uids), this.moveTarget, { uid: true });
    if (!moved) throw new MailError('PROTOCOL', `The mail server refused to move processed mail to "${this.moveTarget}"`);
  }

  /** Moves (or marks) what a crash left between a commit and its post-commit actions, then clears the list. */
  private async finishPending(client: ImapFlow): Promise<void> {
    const cp = await this.checkpoint();
    const cursor = decodeImapCursor(cp?.cursor);
    if (!cp || !cursor.move.length) return;
    const current = serverNumber(client.mailbox ? client.mailbox.uidValidity : null);
    if (cp.uidValidity === current) {
      // UIDs already moved before the crash are gone; only what is still here is moved.
      const present = (await this.searchUids(client, { uid: uidSet(cursor.move) })) ?? cursor.move;
      await this.afterCommit(client, present.filter((uid) => cursor.move.includes(uid)));
      this.log.info({ count: present.length }, 'finished moving already-committed messages');
    }
    await this.ours('saving the mailbox checkpoint', () => this.deps.checkpoints.setCursor(this.ingest.db, this.server.id, FOLDER, encodeImapCursor({ ...cursor, move: [] })));
  }

  /** After a crash between commit and `\Seen`: committed messages that are still unread get their flag now. */
  private async repairUnflagged(client: ImapFlow): Promise<void> {
    const cp = await this.checkpoint();
    const uidValidity = serverNumber(client.mailbox ? client.mailbox.uidValidity : null);
    if (!cp || cp.uidValidity !== uidValidity || uidValidity === null || cp.lastUid === 0) return;
    const unseen = (await this.searchUids(client, { uid: `1:${cp.lastUid}`, seen: false })) ?? [];
    if (!unseen.length) return;
    const committed = await this.ours('reading committed messages', () => this.ingest.committedSourceKeys(unseen.map((uid) => imapSourceKey(this.server.id, uidValidity, uid))));
    const uids = unseen.filter((uid) => committed.has(imapSourceKey(this.server.id, uidValidity, uid)));
    if (uids.length) {
      await client.messageFlagsAdd(uidSet(uids), ['\\Seen'], { uid: true });
      this.log.info({ count: uids.length }, 'marked already-committed messages as seen');
    }
  }

  /**
   * The UIDs above `lastUid`. The UID range search first; when the server's numbers say it may
   * have missed mail, the last message's UID decides, and if mail is indeed missing the search
   * falls back to SEARCH ALL, then to FETCH over sequence numbers (for the rest of the session).
   */
  private async newerUids(client: ImapFlow, view: MailboxView, lastUid: number): Promise<{ uids: number[]; problem: string | null; settled: boolean }> {
    const above = (uids: number[]) => uids.filter((uid) => uid > lastUid);
    if (this.broadSearch === 'fetch' && view.exists > 0) return { uids: above(await this.fetchUids(client, '1:*')), problem: null, settled: true };
    const query: SearchObject = this.broadSearch === 'search' ? { all: true } : { uid: `${lastUid + 1}:*` };
    const found = await this.searchUids(client, query);
    if (!searchMayHaveMissed(view, lastUid, found === null ? null : above(found))) return { uids: above(found ?? []), problem: null, settled: true };

    const seen = above(found ?? []).reduce((a, b) => Math.max(a, b), lastUid);
    const last = (await this.fetchUids(client, '*'))[0] ?? null;
    // UIDNEXT moved on because mail above our checkpoint was expunged: nothing is missing. Not
    // settled all the same when STATUS said so: the selected view may lag behind it, so the next
    // check looks again.
    if (last !== null && last <= seen) return { uids: above(found ?? []), problem: null, settled: view.uidNext === null };

    const all = await this.searchUids(client, { all: true });
    if (all && last !== null && all.some((uid) => uid >= last)) {
      this.log.warn({ lastUid, last }, 'the server\'s UID range search missed mail; using SEARCH ALL for this session');
      this.broadSearch = 'search';
      return { uids: above(all), problem: null, settled: true };
    }
    const fetched = view.exists > 0 ? await this.fetchUids(client, '1:*') : [];
    if (fetched.some((uid) => uid > seen && (last === null || uid >= last))) {
      this.log.warn({ lastUid, last }, 'the server\'s SEARCH misses mail; listing UIDs with FETCH for this session');
      this.broadSearch = 'fetch';
      return { uids: above(fetched), problem: null, settled: true };
    }
    const uidNext = view.uidNext === null ? '' : `, next UID ${view.uidNext}`;
    const problem = `The mail server says INBOX holds ${view.exists} message${view.exists === 1 ? '' : 's'}${uidNext}, but neither UID SEARCH, SEARCH ALL nor FETCH return mail newer than UID ${lastUid}: Mailroom cannot read it`;
    this.log.warn({ exists: view.exists, uidNext: view.uidNext, lastUid, last }, 'the server reports mail it does not return');
    return { uids: above(found ?? []), problem, settled: false };
  }

  private async sync(client: ImapFlow, view: MailboxView): Promise<SyncResult> {
    const uidValidity = view.uidValidity;
    let cp = await this.checkpoint();
    let cursor: ImapCursor = decodeImapCursor(cp?.cursor);
    if (!cp || cp.uidValidity !== uidValidity) {
      const baselineUid = await this.highestUid(client, view);
      // A reset, not a first sight: mail here now (or restored later) may have been read under the old UIDs.
      const reset = Boolean(cp && cp.uidValidity !== null);
      if (reset) this.log.warn({ was: cp!.uidValidity, now: uidValidity }, 'UIDVALIDITY changed; resynchronising unread mail only, matched against what this mailbox stored');
      cursor = { move: [], resync: reset };
      const fresh = { serverId: this.server.id, folder: FOLDER, uidValidity, lastUid: 0, baselineUid, cursor: encodeImapCursor(cursor) };
      await this.ours('saving the mailbox checkpoint', () => this.deps.checkpoints.save(this.ingest.db, fresh));
      cp = { ...fresh, updatedAt: new Date() };
    }
    const { lastUid, baselineUid } = cp;
    const newer = await this.newerUids(client, view, lastUid);
    const unseenBaseline = lastUid < baselineUid
      ? ((await this.searchUids(client, { uid: `${lastUid + 1}:${baselineUid}`, seen: false })) ?? [])
      : [];
    const sizes = new Map<number, number>();
    if (newer.uids.length) {
      for await (const msg of client.fetch(uidSet(newer.uids), { uid: true, size: true }, { uid: true })) sizes.set(msg.uid, msg.size ?? 0);
    }
    const plan = planSync({ lastUid, baselineUid, newer: newer.uids, unseenBaseline, batchSize: BATCH, sizes, maxBatchBytes: MAX_BATCH_BYTES });
    let waiting = plan.toProcess;
    if (waiting) await this.report({ connectionState: 'syncing' });

    const fetchBatch = async (uids: number[]) => {
      const items: { sourceKey: string; raw: Buffer; recheckStored: boolean }[] = [];
      if (!uids.length) return items;
      for await (const msg of client.fetch(uidSet(uids), { uid: true, source: true }, { uid: true })) {
        if (msg.source) items.push({ sourceKey: imapSourceKey(this.server.id, uidValidity, msg.uid), raw: msg.source, recheckStored: cursor.resync });
      }
      return items;
    };
    // Fetch the next batch over IMAP while the current one is parsed and committed; `\Seen` (and
    // the move) for a batch happen only after its commit. Prefetches are settled promises: one
    // left behind by stop() or a failed commit fails with the connection, and nobody awaits it.
    let next = plan.batches.length ? settle(fetchBatch(plan.batches[0]!.uids)) : null;
    for (const [i, batch] of plan.batches.entries()) {
      if (this.stopped) break;
      await this.report({ inboundQueueCount: waiting });
      const fetched = await next!;
      if (!fetched.ok) throw fetched.error;
      next = i + 1 < plan.batches.length ? settle(fetchBatch(plan.batches[i + 1]!.uids)) : null;
      const committed: ImapCursor = { ...cursor, move: this.moveTarget ? batch.uids : [] };
      await this.ours('saving tickets and the mailbox checkpoint', () => this.ingest.ingestBatch(this.server, fetched.value, (tx) =>
        this.deps.checkpoints.save(tx, { serverId: this.server.id, folder: FOLDER, uidValidity, lastUid: batch.checkpointUid, baselineUid, cursor: encodeImapCursor(committed) }),
      ));
      faultPoint(this.deps.faultPoint, 'imap.afterCommitBeforeSeen');
      await this.afterCommit(client, batch.uids);
      if (committed.move.length) {
        await this.ours('saving the mailbox checkpoint', () => this.deps.checkpoints.setCursor(this.ingest.db, this.server.id, FOLDER, encodeImapCursor(cursor)));
      }
      waiting -= batch.uids.length;
    }
    return { problem: newer.problem, settled: newer.settled && !this.stopped };
  }
}
