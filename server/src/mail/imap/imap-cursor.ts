/**
 * The IMAP part of a mailbox checkpoint that is not a UID watermark, stored as JSON in the
 * checkpoint's `cursor` column and committed together with each batch of tickets:
 * - `move`: UIDs whose tickets are committed but that still have to be moved to the processed
 *   folder. Cleared after the move; a crash in between leaves them here for the next session.
 * - `resync`: this UIDVALIDITY began with a reset (the mailbox was recreated or restored), so any
 *   of its messages may have been read under the old UIDs: each is matched against what the
 *   mailbox stored before, whatever the duplicate window.
 */
export interface ImapCursor {
  move: number[];
  resync: boolean;
}

const isUid = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;

export function decodeImapCursor(text: string | null | undefined): ImapCursor {
  if (!text) return { move: [], resync: false };
  try {
    const raw = JSON.parse(text) as Partial<Record<keyof ImapCursor, unknown>>;
    return { move: Array.isArray(raw.move) ? raw.move.filter(isUid) : [], resync: raw.resync === true };
  } catch {
    return { move: [], resync: false };
  }
}

export function encodeImapCursor(cursor: ImapCursor): string | null {
  if (!cursor.move.length && !cursor.resync) return null;
  return JSON.stringify({ move: cursor.move, resync: cursor.resync });
}
