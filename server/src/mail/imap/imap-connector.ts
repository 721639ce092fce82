import { ImapFlow } from 'imapflow';
import { DnsError, TargetRefusedError, resolveTarget } from '../address-guard.js';
import { faultPoint } from '../../lib/faults.js';
import { settle } from '../../lib/settle.js';
import type { Checkpoint } from '../checkpoints.js';
import { ConnectorLoop } from '../connector-loop.js';
import { SyncNotice } from '../sync-notice.js';
import { checkIntervalMs } from '../check-interval.js';
import { MailError, type ConnectorDeps } from '../connector.js';
import { resolveMailRoute, routeProxyUrl } from '../mail-route.js';
import { decodeImapCursor, encodeImapCursor, type ImapCursor } from './imap-cursor.js';
import { classifyImapError } from './imap-errors.js';
import { findMoveTarget } from './imap-folders.js';
import { NewsCheck, SessionStale } from './imap-news.js';
import { IdlePush } from './imap-push.js';
import { LOGIN_BUDGET_MS, loginWithin } from './imap-login.js';
import { imapClientOptions, imapSourceKey } from './imap-options.js';
import { UidFinder, downloadSizes, highestUid, prefetchBytes, searchUids, type NewerUids } from './imap-search.js';
import { planSync, sameView, serverNumber, uidSet, type MailboxView } from './imap-sync-plan.js';
import type { IncomingServerRow } from '../../db/schema.js';
import type { MessageSink } from '../ports.js';
import type { PendingMessage } from '../../ingest/outcomes.js';
import { OVERSIZE_HEAD_BYTES } from '../../ingest/plan.js';

const FOLDER = 'INBOX';
const BATCH = 250;
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

/** What one sync found out about the mailbox beyond the tickets it made (see NewerUids). */
type SyncResult = Omit<NewerUids, 'uids' | 'sizes'> & { took: number };

/**
 * Reads one IMAP mailbox. States: connecting → syncing → connected (IDLE or waiting for the next
 * poll) → syncing …, or `degraded` when the server says there is mail it won't show; failures go
 * to connectError (retried with backoff) or authenticationError (stays until the credentials
 * change, which restarts the connector).
 *
 * Every check asks the server for news in a way every server answers (NewsCheck: NOOP, STATUS,
 * a new SELECT every half minute), and the UID search is cross-checked against its numbers, with
 * broader searches when they disagree (UidFinder).
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
  /** Per session: how this server's UIDs are found (a search that missed mail is not asked again). */
  private finder: UidFinder;
  private readonly news: NewsCheck;
  private problem: string | null = null;
  private announced = false; // EXISTS arrived since the last check
  /** Per session: the checkpoint as this session last read or committed it (only the lease holder writes it). */
  private known: { cp: Checkpoint | undefined } | null = null;
  private idled = false; // the wait before this check was spent in IDLE
  /** Whether this server's IDLE pushes (read from its health when the connector first logs in). */
  private push: IdlePush | null = null;

  constructor(server: IncomingServerRow, deps: ConnectorDeps) {
    super(server, deps, 'imap');
    this.finder = new UidFinder(this.log);
    this.news = new NewsCheck(this.log);
  }

  private get ingest(): MessageSink {
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
    this.finder = new UidFinder(this.log);
    this.problem = null;
    let closed = false;
    client.on('error', (err: Error) => this.log.debug({ err: err.message }, 'imap client error'));
    client.on('close', () => {
      closed = true;
      if (this.client === client) this.wake();
    });
    client.on('exists', () => {
      if (this.client !== client) return;
      this.announced = true;
      if (this.server.realTimeScanning) this.wake();
    });

    try {
      await loginWithin(client, LOGIN_BUDGET_MS);
      this.backoff.connected(Date.now());
      const push = (this.push ??= new IdlePush((await this.deps.health.get(this.server.id)).idlePush, this.log));
      const named = push.identified(client.serverInfo?.name);
      if (named !== undefined) await this.report({ idlePush: named });
      const lock = await client.getMailboxLock(FOLDER);
      this.news.selected();
      try {
        this.moveTarget = this.server.afterProcessing === 'MOVE' ? await findMoveTarget(client, this.server.moveToFolder ?? '') : null;
        this.known = { cp: await this.finishPending(client, await this.checkpoint()) }; // read once a session
        await this.repairUnflagged(client, this.known.cp);
        let firstSync = true;
        while (!this.stopped) {
          const announced = this.announced && this.server.realTimeScanning; // a poll's own NOOP announces too
          const idled = this.idled;
          this.announced = this.idled = false;
          const view = await this.news.ask(client, { announced });
          if (!sameView(this.lastView, view) || this.problem) {
            // The first sync of a session says "syncing" if it lasts; later ones only when there
            // is mail to take (sync() does): a check every 15 s must not make the card flicker.
            const notice = new SyncNotice((patch) => this.report(patch));
            if (firstSync) notice.set({ connectionState: 'syncing' });
            firstSync = false;
            try {
              const result = await this.sync(client, view, notice);
              this.lastView = result.settled ? view : null;
              this.problem = result.problem;
              // New mail that IDLE announced, or that a check found while IDLE kept quiet.
              if (result.took && announced) push.announced();
              else if (result.took && idled && push.missed() === false) await this.report({ idlePush: false });
            } finally {
              notice.end();
            }
          }
          // Nothing new is news too: confirmed current ("last checked"; stored sparingly).
          await this.reportSynced();
          if (this.stopped) break;
          if (this.server.realTimeScanning && !this.wakePending) {
            this.idled = true;
            void client.idle().catch(() => {});
          }
          // While idling the mailbox is asked for news as well: a silent IDLE costs at most this long
          // (every 15 s while degraded: no push announces that hidden mail became readable).
          await this.sleep(checkIntervalMs(this.server, this.problem ? null : push.pushes));
          if (closed && !this.stopped) throw new MailError('NETWORK', 'the mail server closed the connection');
        }
      } catch (err) {
        if (!(err instanceof SessionStale)) throw err;
        this.log.warn({ reason: err.message }, 'INBOX changed under the session (recreated?); reconnecting');
      } finally {
        lock.release();
      }
    } finally {
      [this.client, this.known] = [null, null];
      if (!closed) await client.logout().catch(() => client.close());
    }
  }

  private async reportSynced(): Promise<void> {
    await this.report(this.problem
      ? { connectionState: 'degraded', lastSyncAt: new Date(), error: { kind: 'PROTOCOL', message: this.problem } }
      : { connectionState: 'connected', lastSyncAt: new Date(), inboundQueueCount: 0, error: null });
  }

  private checkpoint(): Promise<Checkpoint | undefined> {
    return this.ours('reading the mailbox checkpoint', () => this.deps.checkpoints.get(this.server.id, FOLDER));
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
  private async finishPending(client: ImapFlow, cp: Checkpoint | undefined): Promise<Checkpoint | undefined> {
    const cursor = decodeImapCursor(cp?.cursor);
    if (!cp || !cursor.move.length) return cp;
    const current = serverNumber(client.mailbox ? client.mailbox.uidValidity : null);
    if (cp.uidValidity === current) {
      // UIDs already moved before the crash are gone; only what is still here is moved.
      const present = (await searchUids(client, { uid: uidSet(cursor.move) })) ?? cursor.move;
      await this.afterCommit(client, present.filter((uid) => cursor.move.includes(uid)));
      this.log.info({ count: present.length }, 'finished moving already-committed messages');
    }
    const rest = encodeImapCursor({ ...cursor, move: [] });
    await this.ours('saving the mailbox checkpoint', () => this.deps.checkpoints.setCursor(this.ingest.db, this.server.id, FOLDER, rest));
    return { ...cp, cursor: rest };
  }

  /** After a crash between commit and `\Seen`: committed messages that are still unread get their flag now. */
  private async repairUnflagged(client: ImapFlow, cp: Checkpoint | undefined): Promise<void> {
    const uidValidity = serverNumber(client.mailbox ? client.mailbox.uidValidity : null);
    if (!cp || cp.uidValidity !== uidValidity || uidValidity === null || cp.lastUid === 0) return;
    const unseen = (await searchUids(client, { uid: `1:${cp.lastUid}`, seen: false })) ?? [];
    if (!unseen.length) return;
    const committed = await this.ours('reading committed messages', () => this.ingest.committedSourceKeys(unseen.map((uid) => imapSourceKey(this.server.id, uidValidity, uid))));
    const uids = unseen.filter((uid) => committed.has(imapSourceKey(this.server.id, uidValidity, uid)));
    if (uids.length) {
      await client.messageFlagsAdd(uidSet(uids), ['\\Seen'], { uid: true });
      this.log.info({ count: uids.length }, 'marked already-committed messages as seen');
    }
  }

  private async sync(client: ImapFlow, view: MailboxView, notice: SyncNotice): Promise<SyncResult> {
    const uidValidity = view.uidValidity;
    // The email preference is read while the server is searched (settled: stop() may leave it).
    const preparing = settle(this.ours('reading the email preference', () => this.ingest.preparer()));
    let cp = this.known ? this.known.cp : await this.checkpoint();
    let cursor: ImapCursor = decodeImapCursor(cp?.cursor);
    if (!cp || cp.uidValidity !== uidValidity) {
      const baselineUid = await highestUid(client, view);
      // A reset, not a first sight: mail here now (or restored later) may have been read under the old UIDs.
      const reset = Boolean(cp && cp.uidValidity !== null);
      if (reset) this.log.warn({ was: cp!.uidValidity, now: uidValidity }, 'UIDVALIDITY changed; resynchronising unread mail only, matched against what this mailbox stored');
      cursor = { move: [], resync: reset };
      const fresh = { serverId: this.server.id, folder: FOLDER, uidValidity, lastUid: 0, baselineUid, cursor: encodeImapCursor(cursor) };
      await this.ours('saving the mailbox checkpoint', () => this.deps.checkpoints.save(this.ingest.db, fresh));
      cp = { ...fresh, updatedAt: new Date() };
      this.known = { cp };
    }
    const { lastUid, baselineUid } = cp;
    const newer = await this.finder.newerThan(client, view, lastUid, prefetchBytes(this.lastView, view));
    const unseenBaseline = lastUid < baselineUid
      ? ((await searchUids(client, { uid: `${lastUid + 1}:${baselineUid}`, seen: false })) ?? [])
      : [];
    // RFC822.SIZE: what a batch will download, and which messages are fetched as their first bytes only.
    const prepared = await preparing;
    if (!prepared.ok) throw prepared.error;
    const prepare = prepared.value;
    const { sizes, oversize } = await downloadSizes(client, newer, prepare.maxMessageBytes);
    const plan = planSync({ lastUid, baselineUid, newer: newer.uids, unseenBaseline, batchSize: BATCH, sizes, maxBatchBytes: MAX_BATCH_BYTES });
    let waiting = plan.toProcess;
    // Health (once the sync has lasted: SyncNotice) is written while a batch is fetched, and is in before that batch commits.
    if (waiting) notice.set({ connectionState: 'syncing', inboundQueueCount: waiting });
    // Each message goes to the parser pool as soon as it arrives, so parsing overlaps the fetch.
    const fetchBatch = async (uids: number[]) => {
      const items: PendingMessage[] = [];
      const take = (uid: number, raw: Buffer) => prepare({ sourceKey: imapSourceKey(this.server.id, uidValidity, uid), raw, recheckStored: cursor.resync, declaredSize: oversize.get(uid) });
      const prefetched = (uid: number) => (oversize.has(uid) ? undefined : newer.sources?.get(uid));
      for (const uid of uids) if (prefetched(uid)) items.push(take(uid, prefetched(uid)!));
      const whole = uids.filter((uid) => !oversize.has(uid) && !prefetched(uid));
      const heads = uids.filter((uid) => oversize.has(uid));
      for (const [part, source] of [[whole, true], [heads, { maxLength: OVERSIZE_HEAD_BYTES }]] as const) {
        if (!part.length) continue;
        for await (const msg of client.fetch(uidSet(part), { uid: true, source }, { uid: true })) if (msg.source) items.push(take(msg.uid, msg.source));
      }
      // In UID order, as they arrived: threading and ticket numbers follow it.
      const uidOf = new Map(uids.map((uid) => [imapSourceKey(this.server.id, uidValidity, uid), uid]));
      return items.sort((a, b) => uidOf.get(a.item.sourceKey)! - uidOf.get(b.item.sourceKey)!);
    };
    // Fetch (and parse) the next batch while the current one is committed; `\Seen` (and the move) only after its commit.
    // Prefetches are settled promises: one left behind by stop() or a failed commit fails with the connection, unawaited.
    let next = plan.batches.length ? settle(fetchBatch(plan.batches[0]!.uids)) : null;
    for (const [i, batch] of plan.batches.entries()) {
      if (this.stopped) break;
      if (i > 0) notice.set({ inboundQueueCount: waiting });
      const fetched = await next!;
      if (!fetched.ok) throw fetched.error;
      next = i + 1 < plan.batches.length ? settle(fetchBatch(plan.batches[i + 1]!.uids)) : null;
      await notice.flushed();
      const committed: ImapCursor = { ...cursor, move: this.moveTarget ? batch.uids : [] };
      await this.ours('saving tickets and the mailbox checkpoint', () => this.ingest.ingestPrepared(this.server, fetched.value, (tx) =>
        this.deps.checkpoints.save(tx, { serverId: this.server.id, folder: FOLDER, uidValidity, lastUid: batch.checkpointUid, baselineUid, cursor: encodeImapCursor(committed) }),
      ));
      this.known = { cp: { ...cp, lastUid: batch.checkpointUid, cursor: encodeImapCursor(committed), updatedAt: new Date() } };
      faultPoint(this.deps.faultPoint, 'imap.afterCommitBeforeSeen');
      await this.afterCommit(client, batch.uids);
      if (committed.move.length) {
        await this.ours('saving the mailbox checkpoint', () => this.deps.checkpoints.setCursor(this.ingest.db, this.server.id, FOLDER, encodeImapCursor(cursor)));
        this.known = { cp: { ...cp, lastUid: batch.checkpointUid, cursor: encodeImapCursor(cursor), updatedAt: new Date() } };
      }
      waiting -= batch.uids.length;
    }
    return { problem: newer.problem, settled: newer.settled && !this.stopped, took: plan.toProcess };
  }
}
