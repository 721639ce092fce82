import { hostWithoutBrackets } from '../address-guard.js';
import { ConnectorLoop } from '../connector-loop.js';
import { checkIntervalMs } from '../check-interval.js';
import { MailError, type ConnectorDeps } from '../connector.js';
import { resolveMailRoute } from '../mail-route.js';
import { GraphClient, graphBaseUrl, graphError } from './graph-client.js';
import { INITIAL_DELTA_PATH, decodeGraphCursor, encodeGraphCursor, parseDeltaPage, planDeltaPage, type GraphCursor } from './graph-delta.js';
import { graphMailError } from './graph-errors.js';
import type { IncomingServerRow } from '../../db/schema.js';
import { OVERSIZE_HEAD_BYTES, type IncomingItem } from '../../ingest/plan.js';

const FOLDER = 'INBOX';
/** Real-time scanning polls this often: Graph change notifications (webhooks) need a public HTTPS URL Mailroom may not have. */
const REQUEST_TIMEOUT_MS = 60_000;

export const graphSourceKey = (serverId: string, immutableId: string) => `graph:${serverId}:${immutableId}`;

/**
 * Reads one Exchange Online / Microsoft 365 mailbox over Microsoft Graph. Same states as IMAP.
 *
 * Exactly once: delta pages over the Inbox; each page's tickets are committed in one transaction
 * with the link to ask next and the ids still to be marked read / moved (`pending`), which are
 * handled only after the commit and then cleared — at the next start if the process died first.
 * Immutable ids keep a message's source key stable when it moves between folders.
 */
export class GraphConnector extends ConnectorLoop {
  private abort: AbortController | null = null;
  private readonly baseUrl: URL;

  constructor(server: IncomingServerRow, deps: ConnectorDeps) {
    super(server, deps, 'graph');
    this.baseUrl = graphBaseUrl(server);
  }

  protected classify(err: unknown): MailError {
    const failure = graphMailError(err, { mailbox: this.server.email });
    if (failure.kind === 'INTERNAL') this.log.warn({ err }, 'unexpected Microsoft Graph failure');
    return failure;
  }

  protected async disconnect(): Promise<void> {
    this.abort?.abort();
  }

  protected async session(): Promise<void> {
    if (this.server.authType !== 'OAUTH') {
      throw new MailError('AUTH', 'Microsoft Graph accepts OAuth sign-in only: choose OAuth (Sign in with Microsoft) for this mailbox', { permanent: true });
    }
    const route = await resolveMailRoute(hostWithoutBrackets(this.baseUrl.hostname), this.deps.proxy, { allowLoopback: this.deps.allowLoopback });
    const abort = (this.abort = new AbortController());
    const client = new GraphClient({
      baseUrl: this.baseUrl,
      mailbox: this.server.email,
      http: {
        proxy: route.proxy,
        rejectUnauthorized: !this.server.allowSelfSignedCertificate,
        timeoutMs: REQUEST_TIMEOUT_MS,
        guard: { allowLoopback: this.deps.allowLoopback },
        redirects: 'same-origin',
      },
      accessToken: (opts) => this.deps.accessToken(opts),
      signal: abort.signal,
      onThrottled: (waitMs, status) => this.log.info({ waitMs, status }, 'Microsoft Graph throttled a request; waiting as asked'),
    });
    const moveTo = this.server.afterProcessing === 'MOVE' ? await this.findMoveTarget(client) : null;
    this.backoff.connected(Date.now());
    await this.finishPending(client, moveTo);
    while (!this.stopped) {
      await this.report({ connectionState: 'syncing' });
      await this.sync(client, moveTo);
      await this.report({ connectionState: 'connected', lastSyncAt: new Date(), inboundQueueCount: 0, error: null });
      if (this.stopped) break;
      await this.sleep(this.pollMs());
      // Ask the token source again each round: it refreshes the token when it is about to expire.
      client.forgetToken();
    }
  }

  private pollMs(): number {
    return checkIntervalMs(this.server);
  }

  /** The folder processed mail goes to, by display name: directly under the Inbox, else at the top of the mailbox. */
  private async findMoveTarget(client: GraphClient): Promise<string> {
    const name = this.server.moveToFolder ?? '';
    const filter = `?$filter=${encodeURIComponent(`displayName eq '${name.replace(/'/g, "''")}'`)}&$select=id,displayName`;
    for (const parent of ["/mailFolders('Inbox')/childFolders", '/mailFolders']) {
      const found = await client.json<{ value: { id: string }[] }>('GET', client.mailboxUrl(parent + filter));
      if (found.value[0]?.id) return found.value[0].id;
    }
    throw new MailError('PROTOCOL', `The folder "${name}" to move processed mail to does not exist under the Inbox or at the top of the mailbox`);
  }

  private async sync(client: GraphClient, moveTo: string | null): Promise<void> {
    let cursor = decodeGraphCursor((await this.deps.checkpoints.get(this.server.id, FOLDER))?.cursor);
    let url = cursor.link ?? client.mailboxUrl(INITIAL_DELTA_PATH);
    while (!this.stopped) {
      const res = await client.request('GET', url);
      if (res.status === 410 && cursor.link) {
        // The delta token expired (or the mailbox moved): start a new round, unread mail only;
        // source keys drop what we already have. Like a UIDVALIDITY change, never a flood.
        this.log.warn('Microsoft Graph delta state expired; resynchronising unread mail only');
        cursor = { link: null, initialDone: false, pending: cursor.pending };
        url = client.mailboxUrl(INITIAL_DELTA_PATH);
        continue;
      }
      if (res.status !== 200) throw graphError(res);
      const page = parseDeltaPage(JSON.parse(res.body.toString('utf8')));

      const wanted = planDeltaPage(page.entries, !cursor.initialDone);
      const committed = await this.deps.ingest.committedSourceKeys(wanted.map((id) => graphSourceKey(this.server.id, id)));
      const toFetch = wanted.filter((id) => !committed.has(graphSourceKey(this.server.id, id)));
      await this.report({ inboundQueueCount: toFetch.length });
      const items = await this.fetchMime(client, toFetch);
      if (this.stopped) return;

      const next: GraphCursor = {
        link: page.nextLink ?? page.deltaLink,
        initialDone: cursor.initialDone || page.deltaLink !== null,
        pending: [...cursor.pending, ...items.map((i) => i.id)],
      };
      await this.deps.ingest.ingestBatch(
        this.server,
        items.map((i) => i.item),
        (tx) => this.deps.checkpoints.save(tx, { serverId: this.server.id, folder: FOLDER, lastUid: 0, cursor: encodeGraphCursor(next) }),
      );
      cursor = await this.finishPending(client, moveTo, next);
      if (!page.nextLink) return;
      url = page.nextLink;
    }
  }

  /**
   * The MIME source of each message, up to four downloads at a time. A message deleted meanwhile is
   * skipped. Graph tells no size before the download, so the body is read as a stream and one over
   * the size limit is cut off there: its first bytes are quarantined, never held whole.
   */
  private async fetchMime(client: GraphClient, ids: string[]): Promise<{ id: string; item: IncomingItem }[]> {
    const limit = ids.length ? await this.deps.ingest.maxMessageBytes() : 0;
    const results = await Promise.all(ids.map(async (id) => {
      const res = await client.request('GET', client.mailboxUrl(`/messages/${encodeURIComponent(id)}/$value`), { accept: '*/*', cap: { limit, keep: OVERSIZE_HEAD_BYTES } });
      if (res.status === 404) return null;
      if (res.status !== 200) throw graphError(res);
      return { id, item: { sourceKey: graphSourceKey(this.server.id, id), raw: res.body, declaredSize: res.overLimit?.size, sizeAtLeast: res.overLimit?.atLeast } };
    }));
    return results.filter((r) => r !== null);
  }

  /**
   * Marks read or moves the messages whose tickets are committed, then clears them from the cursor.
   * Called after each commit, and at session start for anything a crash left behind.
   */
  private async finishPending(client: GraphClient, moveTo: string | null, known?: GraphCursor): Promise<GraphCursor> {
    const cursor = known ?? decodeGraphCursor((await this.deps.checkpoints.get(this.server.id, FOLDER))?.cursor);
    if (!cursor.pending.length) return cursor;
    await Promise.all(cursor.pending.map(async (id) => {
      const url = client.mailboxUrl(`/messages/${encodeURIComponent(id)}${moveTo ? '/move' : ''}`);
      const res = moveTo ? await client.request('POST', url, { json: { destinationId: moveTo } }) : await client.request('PATCH', url, { json: { isRead: true } });
      // 404: gone already (deleted, or moved before a crash and the id is the one it had then).
      if (res.status !== 404 && (res.status < 200 || res.status > 299)) throw graphError(res);
    }));
    const done = { ...cursor, pending: [] };
    await this.deps.checkpoints.save(this.deps.ingest.db, { serverId: this.server.id, folder: FOLDER, lastUid: 0, cursor: encodeGraphCursor(done) });
    if (!known) this.log.info({ count: cursor.pending.length }, 'finished marking / moving already-committed Graph messages');
    return done;
  }
}
