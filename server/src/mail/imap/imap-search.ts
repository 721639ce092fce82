import type { ImapFlow, SearchObject } from 'imapflow';
import type { Logger } from '../../lib/logger.js';
import { downloadBytes, headOnly } from '../../ingest/plan.js';
import { searchMayHaveMissed, serverNumber, uidSet, type MailboxView } from './imap-sync-plan.js';

/** UIDs matching `query`, or null when the server refused the search (imapflow reports that as `false`). */
export async function searchUids(client: ImapFlow, query: SearchObject): Promise<number[] | null> {
  const found = await client.search(query, { uid: true });
  return Array.isArray(found) ? found : null;
}

/**
 * UIDs above `lastUid` with their RFC822.SIZE, in one `UID FETCH n:*`: what a search and a size
 * fetch found in two round trips. Null when the server refused it. (`n:*` returns the last message
 * even when it is older than n; the caller keeps only UIDs above lastUid.)
 *
 * With `prefetchBytes`, the same FETCH brings each message's first bytes too (BODY.PEEK[]<0.n>,
 * which sets no flag): a message shorter than that arrived whole, and needs no FETCH of its own.
 */
export async function fetchNewer(client: ImapFlow, lastUid: number, prefetchBytes = 0): Promise<{ uids: number[]; sizes: Map<number, number>; sources: Map<number, Buffer> } | null> {
  const uids: number[] = [];
  const sizes = new Map<number, number>();
  const sources = new Map<number, Buffer>();
  try {
    const query = prefetchBytes > 0 ? { uid: true, size: true, source: { maxLength: prefetchBytes } } : { uid: true, size: true };
    for await (const msg of client.fetch(`${lastUid + 1}:*`, query, { uid: true })) {
      if (!serverNumber(msg.uid)) continue;
      uids.push(msg.uid);
      if (typeof msg.size === 'number') sizes.set(msg.uid, msg.size);
      // Shorter than asked for: the whole message (a partial FETCH stops at its end) — unless
      // RFC822.SIZE says there is more (a server that cut it short): that one is fetched whole.
      const whole = msg.source && msg.source.length < prefetchBytes && !(typeof msg.size === 'number' && msg.size > msg.source.length);
      if (whole && msg.uid > lastUid) sources.set(msg.uid, msg.source!);
    }
  } catch (err) {
    if ((err as { responseStatus?: string } | null)?.responseStatus) return null; // NO / BAD: the server refused
    throw err;
  }
  return { uids, sizes, sources };
}

/**
 * When a check expects a few new messages (IDLE announced one: a few more than the last settled
 * view), the FETCH that finds their UIDs brings their first PREFETCH_BYTES too: a mail shorter
 * than that needs no FETCH of its own, one round trip fewer for nearly every pushed mail. A longer
 * one costs that much extra, once.
 */
const PREFETCH_BYTES = 64 * 1024;
const PREFETCH_MAX_MESSAGES = 5;
export function prefetchBytes(settled: MailboxView | null, now: MailboxView): number {
  const more = settled ? now.exists - settled.exists : 0;
  return more > 0 && more <= PREFETCH_MAX_MESSAGES ? PREFETCH_BYTES : 0;
}

/**
 * RFC822.SIZE per UID, as it counts against a batch's bytes, and the messages over the size limit
 * — those are fetched as their first bytes only (BODY.PEEK[]<0.n>) and quarantined, never pulled
 * whole. Sizes the range FETCH brought are not asked again.
 */
export async function downloadSizes(client: ImapFlow, newer: NewerUids, limit: number): Promise<{ sizes: Map<number, number>; oversize: Map<number, number> }> {
  const sizes = new Map<number, number>();
  const oversize = new Map<number, number>();
  const sized = (uid: number, size: number | undefined) => {
    if (headOnly(size, limit)) oversize.set(uid, size!);
    sizes.set(uid, downloadBytes(size, limit));
  };
  for (const uid of newer.uids) if (newer.sizes?.has(uid)) sized(uid, newer.sizes.get(uid));
  const unsized = newer.uids.filter((uid) => !sizes.has(uid));
  if (unsized.length) for await (const msg of client.fetch(uidSet(unsized), { uid: true, size: true }, { uid: true })) sized(msg.uid, msg.size);
  return { sizes, oversize };
}

/** UIDs by FETCH over sequence numbers: works where a server's SEARCH does not. */
export async function fetchUids(client: ImapFlow, range: string): Promise<number[]> {
  const uids: number[] = [];
  for await (const msg of client.fetch(range, { uid: true })) if (serverNumber(msg.uid)) uids.push(msg.uid);
  return uids;
}

/** The UID the next message will get, minus one: from UIDNEXT, else the last message's UID (never NaN). */
export async function highestUid(client: ImapFlow, view: MailboxView): Promise<number> {
  if (view.uidNext !== null) return view.uidNext - 1;
  if (view.exists === 0) return 0;
  return (await fetchUids(client, '*')).reduce((a, b) => Math.max(a, b), 0);
}

export interface NewerUids {
  uids: number[];
  /** RFC822.SIZE of the UIDs it has them for (the range FETCH brings them). */
  sizes?: Map<number, number>;
  /** Whole messages the range FETCH brought along (asked with `prefetchBytes`). */
  sources?: Map<number, Buffer>;
  /** Set when the server says there is mail Mailroom cannot see: the mailbox is `degraded`, with this reason. */
  problem: string | null;
  /** False when the server's numbers could not be accounted for: the next check must search again. */
  settled: boolean;
}

/**
 * Finds the UIDs above the checkpoint, one per session. The UID range FETCH first (UIDs and sizes
 * at once); when the server's numbers say it may have missed mail, the last message's UID decides,
 * and if mail is indeed missing the search falls back to SEARCH ALL, then to FETCH over sequence
 * numbers, and keeps using what worked for the rest of the session (GNU Mailutils' `UID SEARCH UID
 * n:*` returns nothing while `UID SEARCH ALL` works).
 */
export class UidFinder {
  private broad: 'search' | 'fetch' | null = null;

  constructor(private readonly log: Logger) {}

  /** `prefetchBytes`: the range FETCH brings messages up to that size whole (see fetchNewer). */
  async newerThan(client: ImapFlow, view: MailboxView, lastUid: number, prefetchBytes = 0): Promise<NewerUids> {
    const above = (uids: number[]) => uids.filter((uid) => uid > lastUid);
    if (this.broad === 'fetch' && view.exists > 0) return { uids: above(await fetchUids(client, '1:*')), problem: null, settled: true };
    let found: number[] | null;
    let sizes: Map<number, number> | undefined;
    let sources: Map<number, Buffer> | undefined;
    if (this.broad === 'search') found = await searchUids(client, { all: true });
    else if (view.exists === 0) found = [];
    else {
      const range = await fetchNewer(client, lastUid, prefetchBytes);
      found = range?.uids ?? null;
      sizes = range?.sizes;
      sources = range?.sources;
    }
    if (!searchMayHaveMissed(view, lastUid, found === null ? null : above(found))) return { uids: above(found ?? []), sizes, sources, problem: null, settled: true };

    const seen = above(found ?? []).reduce((a, b) => Math.max(a, b), lastUid);
    const last = (await fetchUids(client, '*'))[0] ?? null;
    // UIDNEXT moved on because mail above our checkpoint was expunged: nothing is missing. Not
    // settled all the same when STATUS said so: the selected view may lag behind it, so the next
    // check looks again.
    if (last !== null && last <= seen) return { uids: above(found ?? []), problem: null, settled: view.uidNext === null };

    const all = await searchUids(client, { all: true });
    if (all && last !== null && all.some((uid) => uid >= last)) {
      this.log.warn({ lastUid, last }, 'the server\'s UID range search missed mail; using SEARCH ALL for this session');
      this.broad = 'search';
      return { uids: above(all), problem: null, settled: true };
    }
    const fetched = view.exists > 0 ? await fetchUids(client, '1:*') : [];
    if (fetched.some((uid) => uid > seen && (last === null || uid >= last))) {
      this.log.warn({ lastUid, last }, 'the server\'s SEARCH misses mail; listing UIDs with FETCH for this session');
      this.broad = 'fetch';
      return { uids: above(fetched), problem: null, settled: true };
    }
    const uidNext = view.uidNext === null ? '' : `, next UID ${view.uidNext}`;
    const problem = `The mail server says INBOX holds ${view.exists} message${view.exists === 1 ? '' : 's'}${uidNext}, but neither UID SEARCH, SEARCH ALL nor FETCH return mail newer than UID ${lastUid}: Mailroom cannot read it`;
    this.log.warn({ exists: view.exists, uidNext: view.uidNext, lastUid, last }, 'the server reports mail it does not return');
    return { uids: above(found ?? []), problem, settled: false };
  }
}
