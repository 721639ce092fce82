export interface SyncPlanInput {
  lastUid: number;
  baselineUid: number;
  /** UIDs the server returned for `lastUid+1:*` (it may include lastUid itself when nothing is newer). */
  newer: number[];
  /** Unread UIDs in `lastUid+1:baselineUid`. */
  unseenBaseline: number[];
  batchSize: number;
  /** RFC822.SIZE per UID, when known: a batch also stops at `maxBatchBytes` so big mail can't pile up in memory. */
  sizes?: Map<number, number>;
  maxBatchBytes?: number;
}

export interface SyncBatch { uids: number[]; checkpointUid: number }

/**
 * Which UIDs to fetch and how far each batch moves the checkpoint. Mail that was already in the
 * folder at first sight (≤ baseline) is taken only if unread; everything newer is taken regardless of
 * flags, so a person reading the mailbox can't make mail disappear. Skipped UIDs still advance the checkpoint.
 */
export function planSync(input: SyncPlanInput): { batches: SyncBatch[]; toProcess: number } {
  const unseen = new Set(input.unseenBaseline);
  const candidates = [...new Set(input.newer)].filter((uid) => uid > input.lastUid).sort((a, b) => a - b);
  const take = candidates.filter((uid) => uid > input.baselineUid || unseen.has(uid));
  const highest = candidates.length ? candidates[candidates.length - 1]! : input.lastUid;
  const batches: SyncBatch[] = [];
  const maxBytes = input.maxBatchBytes ?? Infinity;
  let uids: number[] = [];
  let bytes = 0;
  for (const uid of take) {
    const size = input.sizes?.get(uid) ?? 0;
    if (uids.length && (uids.length >= input.batchSize || bytes + size > maxBytes)) {
      batches.push({ uids, checkpointUid: uids[uids.length - 1]! });
      uids = [];
      bytes = 0;
    }
    uids.push(uid);
    bytes += size;
  }
  if (uids.length) batches.push({ uids, checkpointUid: highest });
  if (!batches.length && highest > input.lastUid) batches.push({ uids: [], checkpointUid: highest });
  return { batches, toProcess: take.length };
}

/** What the server says about the selected INBOX: SELECT, then NOOP and STATUS on every check. */
export interface MailboxView {
  uidValidity: number;
  /** Messages in the folder (EXISTS, or STATUS MESSAGES). */
  exists: number;
  /** Null when the server gave none: UIDNEXT is only a SHOULD in SELECT (Courier omits it) and STATUS may fail. */
  uidNext: number | null;
}

/** A UID, UIDVALIDITY or count the server sent, as a safe number; null for anything else (never NaN). */
export function serverNumber(value: unknown, { allowZero = false } = {}): number | null {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && (n > 0 || (allowZero && n === 0)) ? n : null;
}

export function sameView(a: MailboxView | null, b: MailboxView): boolean {
  return a !== null && a.uidValidity === b.uidValidity && a.exists === b.exists && a.uidNext === b.uidNext;
}

/**
 * Whether the server's own numbers say there may be mail the UID search did not return: UIDNEXT
 * beyond the highest UID we know of (or, without UIDNEXT, any message at all), or a refused search.
 * Only then is the answer checked against the last message's UID, which costs a round trip.
 */
export function searchMayHaveMissed(view: MailboxView, lastUid: number, found: number[] | null): boolean {
  if (view.exists === 0) return false;
  if (found === null) return true;
  const highest = found.reduce((a, b) => Math.max(a, b), lastUid);
  return view.uidNext === null ? true : view.uidNext - 1 > highest;
}

/** A UID set for a command line, runs folded ("1:4,7,9:12"): a 10,000-message backlog stays a short command. */
export function uidSet(uids: number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
