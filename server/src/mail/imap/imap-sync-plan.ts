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
