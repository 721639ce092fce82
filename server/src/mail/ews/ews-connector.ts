import type { ExchangeService, FolderId, Item } from 'ews-javascript-api';
import { ConnectorLoop } from '../connector-loop.js';
import { checkIntervalMs } from '../check-interval.js';
import { MailError, type ConnectorDeps } from '../connector.js';
import { resolveMailRoute } from '../mail-route.js';
import { describeEwsFailure, ewsMailError, isTransientResponseCode, serverBusyBackoff, DEFAULT_BUSY_BACKOFF_MS } from './ews-errors.js';
import { loadEws, type Ews } from './ews-lib.js';
import { createEwsService, ewsServiceUrl, setEwsCredentials, urlHost, type EwsAuth } from './ews-service.js';
import { chunk, decodeEwsCursor, encodeEwsCursor, planEwsPage, type EwsChange, type EwsChangeKind, type EwsCursor } from './ews-sync-plan.js';
import { FetchXhrApi } from './ews-xhr.js';
import type { IncomingServerRow } from '../../db/schema.js';
import { OVERSIZE_HEAD_BYTES, headOnly } from '../../ingest/plan.js';

const FOLDER = 'INBOX';
/** Changes per SyncFolderItems call, and so tickets per transaction. */
const SYNC_PAGE = 50;
/** Items per GetItem with MIME content: keeps one response to a few MB for ordinary mail. */
const GET_ITEM_BATCH = 10;
const UPDATE_BATCH = 50;
/** Real-time scanning polls this often (EWS streaming notifications are not used). */
const REQUEST_TIMEOUT_MS = 120_000;

export const ewsSourceKey = (serverId: string, itemId: string) => `ews:${serverId}:${itemId}`;

/**
 * Reads one mailbox over Exchange Web Services (on-premises Exchange). Same states as IMAP.
 *
 * Exactly once: SyncFolderItems pages the Inbox's changes; each page's tickets are committed in one
 * transaction together with the page's sync state and the ids still to be marked read / moved
 * (`pending`). Those post-commit actions run only after the commit and are then cleared; if the
 * process dies in between, the next session finds them in the cursor and finishes them. Items are
 * keyed on their id as seen in the Inbox (a move gives them a new one).
 */
export class EwsConnector extends ConnectorLoop {
  private xhr: FetchXhrApi | null = null;
  private ews: Ews | null = null;
  private readonly url: URL;

  constructor(server: IncomingServerRow, deps: ConnectorDeps) {
    super(server, deps, 'ews');
    this.url = ewsServiceUrl(server);
  }

  protected classify(err: unknown): MailError {
    if (!this.ews) {
      this.log.error({ err }, 'could not load the EWS client');
      return new MailError('INTERNAL', 'The EWS client could not be loaded');
    }
    const failure = describeEwsFailure(this.ews, err, this.xhr);
    if (failure.type === 'unknown') this.log.warn({ err }, 'unexpected EWS failure');
    return ewsMailError(failure, { oauth: this.server.authType === 'OAUTH', host: urlHost(this.url), mailbox: this.server.email });
  }

  protected async disconnect(): Promise<void> {
    this.xhr?.disconnect();
  }

  protected async session(): Promise<void> {
    const ews = (this.ews = await loadEws());
    // The same guard as every mail connection (no link-local, metadata or, unless allowed, loopback
    // targets), for the Exchange host and the proxy. The HTTP client then connects by name: the
    // certificate has to match it, and its connections go only to addresses the guard approves.
    const route = await resolveMailRoute(urlHost(this.url), this.deps.proxy, { allowLoopback: this.deps.allowLoopback });
    const xhr = (this.xhr = new FetchXhrApi({
      proxy: route.proxy,
      rejectUnauthorized: !this.server.allowSelfSignedCertificate,
      timeoutMs: REQUEST_TIMEOUT_MS,
      guard: { allowLoopback: this.deps.allowLoopback },
      redirects: 'same-origin',
    }));
    const service = createEwsService(ews, this.url, await this.auth(), xhr);
    // Routes the request to the mailbox's server in a multi-server (or Exchange Online) deployment.
    service.HttpHeaders.Add('X-AnchorMailbox', this.server.email);
    const mailbox = new ews.Mailbox(this.server.email);
    const inbox = new ews.FolderId(ews.WellKnownFolderName.Inbox, mailbox);
    const moveTo = this.server.afterProcessing === 'MOVE' ? await this.findMoveTarget(ews, service, mailbox) : null;
    this.backoff.connected(Date.now());
    await this.finishPending(ews, service, moveTo, new Map());
    while (!this.stopped) {
      await this.report({ connectionState: 'syncing' });
      await this.sync(ews, service, inbox, moveTo);
      await this.report({ connectionState: 'connected', lastSyncAt: new Date(), inboundQueueCount: 0, error: null });
      if (this.stopped) break;
      await this.sleep(this.pollMs());
      // A token lasts about an hour: ask for a current one each round (the token source refreshes it when due).
      if (this.server.authType === 'OAUTH' && !this.stopped) setEwsCredentials(ews, service, await this.auth());
    }
  }

  private pollMs(): number {
    return checkIntervalMs(this.server);
  }

  /**
   * One EWS call. With OAuth, a 401 gets one retry with a fresh token: a token can expire in the
   * middle of a long sync even though it was current when the round began.
   */
  private async call<T>(ews: Ews, service: ExchangeService, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const failure = describeEwsFailure(ews, err, this.xhr);
      if (this.server.authType !== 'OAUTH' || failure.type !== 'http' || failure.status !== 401 || this.stopped) throw err;
      setEwsCredentials(ews, service, await this.auth());
      return fn();
    }
  }

  private async auth(): Promise<EwsAuth> {
    if (this.server.authType === 'OAUTH') return { kind: 'oauth', accessToken: await this.deps.accessToken() };
    const password = this.deps.credentials.password;
    if (!password) throw new MailError('AUTH', 'No password is saved for this mailbox');
    return { kind: 'basic', username: this.server.username || this.server.email, password };
  }

  /** The folder processed mail goes to, by display name: directly under the Inbox, else directly under the mailbox root. */
  private async findMoveTarget(ews: Ews, service: ExchangeService, mailbox: InstanceType<Ews['Mailbox']>): Promise<FolderId> {
    const name = this.server.moveToFolder ?? '';
    const view = new ews.FolderView(2);
    view.PropertySet = new ews.PropertySet(ews.BasePropertySet.IdOnly, [ews.FolderSchema.DisplayName]);
    for (const parent of [ews.WellKnownFolderName.Inbox, ews.WellKnownFolderName.MsgFolderRoot]) {
      const found = await this.call(ews, service, () => service.FindFolders(new ews.FolderId(parent, mailbox), new ews.SearchFilter.IsEqualTo(ews.FolderSchema.DisplayName, name), view));
      const folder = found.Folders[0];
      if (folder) return folder.Id;
    }
    throw new MailError('PROTOCOL', `The folder "${name}" to move processed mail to does not exist under the Inbox or the mailbox root`);
  }

  private async sync(ews: Ews, service: ExchangeService, inbox: FolderId, moveTo: FolderId | null): Promise<void> {
    const cp = await this.deps.checkpoints.get(this.server.id, FOLDER);
    let cursor = decodeEwsCursor(cp?.cursor);
    // Size: a message over the size limit is read as its headers only (fetchMime), never whole.
    const shape = new ews.PropertySet(ews.BasePropertySet.IdOnly, [ews.EmailMessageSchema.IsRead, ews.ItemSchema.Size]);

    while (!this.stopped) {
      let page;
      try {
        const syncState = cursor.syncState;
        page = await this.call(ews, service, () => service.SyncFolderItems(inbox, shape, null as never, SYNC_PAGE, ews.SyncFolderItemsScope.NormalItems, syncState as string));
      } catch (err) {
        const failure = describeEwsFailure(ews, err, this.xhr);
        if (failure.type !== 'response' || failure.code !== 'ErrorInvalidSyncStateData' || !cursor.syncState) throw err;
        // Like a UIDVALIDITY change: start over, unread mail only, and let the source keys drop what we already have.
        this.log.warn('EWS sync state rejected; resynchronising unread mail only');
        cursor = { syncState: null, initialDone: false, pending: cursor.pending };
        continue;
      }
      const changes: EwsChange[] = page.GetEnumerator().map((c) => ({
        kind: ews.ChangeType[c.ChangeType] as EwsChangeKind,
        itemId: c.ItemId?.UniqueId ?? '',
        isRead: c.ChangeType === ews.ChangeType.Create ? ((c.Item as { IsRead?: boolean } | null)?.IsRead ?? null) : null,
      }));
      const sizes = new Map(page.GetEnumerator().map((c) => [c.ItemId?.UniqueId ?? '', (c.Item as { Size?: number } | null)?.Size ?? null]));
      const wanted = planEwsPage(changes, !cursor.initialDone);
      const committed = await this.deps.ingest.committedSourceKeys(wanted.map((id) => ewsSourceKey(this.server.id, id)));
      const toFetch = wanted.filter((id) => !committed.has(ewsSourceKey(this.server.id, id)));
      await this.report({ inboundQueueCount: toFetch.length });

      const { items, loaded } = await this.fetchMime(ews, service, toFetch, sizes);
      // Stopping mid-page: commit nothing, or the page's sync state would skip what was not fetched.
      if (this.stopped) return;
      const next: EwsCursor = {
        syncState: page.SyncState,
        initialDone: cursor.initialDone || !page.MoreChangesAvailable,
        pending: [...cursor.pending, ...items.map((i) => i.itemId)],
      };
      await this.deps.ingest.ingestBatch(
        this.server,
        items.map((i) => ({ sourceKey: ewsSourceKey(this.server.id, i.itemId), raw: i.raw, declaredSize: i.declaredSize })),
        (tx) => this.deps.checkpoints.save(tx, { serverId: this.server.id, folder: FOLDER, lastUid: 0, cursor: encodeEwsCursor(next) }),
      );
      cursor = await this.finishPending(ews, service, moveTo, loaded, next);
      if (!page.MoreChangesAvailable) return;
    }
  }

  /**
   * GetItem with MIME content, a few items per request; an item over the size limit with its
   * internet headers only (quarantined as such). Items that vanished meanwhile are skipped.
   */
  private async fetchMime(ews: Ews, service: ExchangeService, ids: string[], sizes: Map<string, number | null>): Promise<{ items: FetchedItem[]; loaded: Map<string, Item> }> {
    const items: FetchedItem[] = [];
    const loaded = new Map<string, Item>();
    const limit = ids.length ? await this.deps.ingest.maxMessageBytes() : 0;
    const mime = new ews.PropertySet(ews.BasePropertySet.IdOnly, [ews.ItemSchema.MimeContent]);
    const headers = new ews.PropertySet(ews.BasePropertySet.IdOnly, [ews.ItemSchema.InternetMessageHeaders]);
    const oversize = ids.filter((id) => headOnly(sizes.get(id), limit));
    for (const [group, shape] of [[ids.filter((id) => !oversize.includes(id)), mime], [oversize, headers]] as const) {
      for (const ids10 of chunk(group, GET_ITEM_BATCH)) {
        if (this.stopped) break; // the caller commits nothing then
        const responses = await this.call(ews, service, () => service.BindToItems(ids10.map((id) => new ews.ItemId(id)), shape));
        for (const [i, r] of responses.Responses.entries()) {
          const itemId = ids10[i]!;
          if (r.Result !== ews.ServiceResult.Success || !r.Item) {
            this.checkItemError(ews, r, 'GetItem');
            continue;
          }
          const raw = shape === mime ? mimeOf(r.Item) : headerSection(r.Item);
          if (!raw) {
            this.log.warn({ itemId }, 'EWS item has no MIME content; skipped');
            continue;
          }
          items.push({ itemId, raw, declaredSize: shape === mime ? undefined : sizes.get(itemId)! });
          loaded.set(itemId, r.Item);
        }
      }
    }
    // In the order the server listed them: threading and ticket numbers follow it.
    const order = new Map(ids.map((id, i) => [id, i]));
    return { items: items.sort((a, b) => order.get(a.itemId)! - order.get(b.itemId)!), loaded };
  }

  /** Per-item errors: busy or transient ones end the session (retried later); an item that is gone or broken is skipped. */
  private checkItemError(ews: Ews, r: { ErrorCode: number; ErrorDetails?: unknown }, operation: string): void {
    const busy = serverBusyBackoff(ews, r as Parameters<typeof serverBusyBackoff>[1]);
    if (busy !== undefined) {
      throw new MailError('THROTTLED', 'Exchange is busy and asked Mailroom to back off (ErrorServerBusy)', { retryAfterMs: busy ?? DEFAULT_BUSY_BACKOFF_MS });
    }
    const code = ews.ServiceError[r.ErrorCode] ?? 'ErrorInternalServerError';
    if (isTransientResponseCode(code)) throw new MailError('NETWORK', `The EWS request failed (${code})`);
    if (code !== 'ErrorItemNotFound') this.log.warn({ code, operation }, 'EWS item skipped');
  }

  /**
   * Marks read or moves the items whose tickets are committed, then clears them from the cursor.
   * Called after each commit, and at session start for anything a crash left behind.
   */
  private async finishPending(ews: Ews, service: ExchangeService, moveTo: FolderId | null, loaded: Map<string, Item>, known?: EwsCursor): Promise<EwsCursor> {
    const cursor = known ?? decodeEwsCursor((await this.deps.checkpoints.get(this.server.id, FOLDER))?.cursor);
    if (!cursor.pending.length) return cursor;
    for (const ids of chunk(cursor.pending, UPDATE_BATCH)) {
      if (moveTo) await this.moveItems(ews, service, ids, moveTo);
      else await this.markRead(ews, service, ids, loaded);
    }
    const done = { ...cursor, pending: [] };
    await this.deps.checkpoints.save(this.deps.ingest.db, { serverId: this.server.id, folder: FOLDER, lastUid: 0, cursor: encodeEwsCursor(done) });
    if (!known) this.log.info({ count: cursor.pending.length }, 'finished marking / moving already-committed EWS items');
    return done;
  }

  private async markRead(ews: Ews, service: ExchangeService, ids: string[], loaded: Map<string, Item>): Promise<void> {
    const items: Item[] = ids.flatMap((id) => (loaded.has(id) ? [loaded.get(id)!] : []));
    const missing = ids.filter((id) => !loaded.has(id));
    if (missing.length) {
      const responses = await this.call(ews, service, () => service.BindToItems(missing.map((id) => new ews.ItemId(id)), ews.PropertySet.IdOnly));
      for (const r of responses.Responses) {
        if (r.Result === ews.ServiceResult.Success && r.Item) items.push(r.Item);
        else this.checkItemError(ews, r, 'GetItem');
      }
    }
    if (!items.length) return;
    for (const item of items) (item as unknown as { IsRead: boolean }).IsRead = true;
    const responses = await this.call(ews, service, () => service.UpdateItems(items, null as never, ews.ConflictResolutionMode.AlwaysOverwrite, ews.MessageDisposition.SaveOnly, null as never));
    for (const r of responses.Responses) if (r.Result !== ews.ServiceResult.Success) this.checkItemError(ews, r, 'UpdateItem');
  }

  private async moveItems(ews: Ews, service: ExchangeService, ids: string[], moveTo: FolderId): Promise<void> {
    const responses = await this.call(ews, service, () => service.MoveItems(ids.map((id) => new ews.ItemId(id)), moveTo, false));
    // ErrorItemNotFound here usually means the move happened before a crash: the old id no longer resolves.
    for (const r of responses.Responses) if (r.Result !== ews.ServiceResult.Success) this.checkItemError(ews, r, 'MoveItem');
  }
}

interface FetchedItem { itemId: string; raw: Buffer; declaredSize?: number }

function mimeOf(item: Item): Buffer | null {
  const content = item.MimeContent?.Content;
  return content ? Buffer.from(content, 'base64') : null;
}

/** The item's internet headers as a header section (what an over-size message is quarantined with). */
function headerSection(item: Item): Buffer {
  const lines = (item.InternetMessageHeaders?.GetEnumerator() ?? []).map((h) => `${h.Name}: ${h.Value}\r\n`);
  return Buffer.from(`${lines.join('')}\r\n`, 'utf8').subarray(0, OVERSIZE_HEAD_BYTES);
}
