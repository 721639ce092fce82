/**
 * Where an EWS mailbox's reading stands, kept in the checkpoint's `cursor` column and committed
 * in the same transaction as each batch's tickets:
 * - `syncState`: SyncFolderItems' opaque sync state after the last committed batch (null = never synced);
 * - `initialDone`: the first full pass over the Inbox has finished (until then only unread mail is taken);
 * - `pending`: items whose tickets are committed but which are not yet marked read / moved. Cleared once
 *   that is done, so a crash in between is repaired at the next start instead of leaving mail unread.
 */
export interface EwsCursor {
  syncState: string | null;
  initialDone: boolean;
  pending: string[];
}

export const EMPTY_EWS_CURSOR: EwsCursor = { syncState: null, initialDone: false, pending: [] };

export function decodeEwsCursor(text: string | null | undefined): EwsCursor {
  if (!text) return { ...EMPTY_EWS_CURSOR };
  try {
    const v = JSON.parse(text) as Partial<EwsCursor>;
    return {
      syncState: typeof v.syncState === 'string' ? v.syncState : null,
      initialDone: v.initialDone === true,
      pending: Array.isArray(v.pending) ? v.pending.filter((id): id is string => typeof id === 'string') : [],
    };
  } catch {
    return { ...EMPTY_EWS_CURSOR };
  }
}

export function encodeEwsCursor(cursor: EwsCursor): string {
  return JSON.stringify(cursor);
}

export type EwsChangeKind = 'Create' | 'Update' | 'Delete' | 'ReadFlagChange';

export interface EwsChange { kind: EwsChangeKind; itemId: string; isRead: boolean | null }

/**
 * Which items of one SyncFolderItems page become messages to read. Only `Create` counts: a new
 * item in the Inbox (delivered, or moved in). During the first pass every existing item comes as
 * a `Create`; then, like IMAP's baseline, mail already there and read is left alone. After that,
 * new items are taken whatever their read flag, so a person opening the mailbox first can't make
 * mail disappear. Updates, read-flag changes and deletions never create tickets.
 */
export function planEwsPage(changes: EwsChange[], initialPass: boolean): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const c of changes) {
    if (c.kind !== 'Create' || seen.has(c.itemId)) continue;
    if (initialPass && c.isRead === true) continue;
    seen.add(c.itemId);
    ids.push(c.itemId);
  }
  return ids;
}

export function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
