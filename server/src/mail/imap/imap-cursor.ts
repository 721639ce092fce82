/**
 * The IMAP part of a mailbox checkpoint that is not a UID watermark, stored as JSON in the
 * checkpoint's `cursor` column and committed together with each batch of tickets:
 * - `move`: UIDs whose tickets are committed but that still have to be moved to the processed
 *   folder. Cleared after the move; a crash in between leaves them here for the next session.
 * - `resyncUpTo`: after a UIDVALIDITY change, the mail that was already in the folder (UIDs up to
 *   this) may have been read under the old UIDs, so it is matched against what the mailbox stored.
 */
export interface ImapCursor {
  move: number[];
  resyncUpTo: number;
}

const EMPTY: ImapCursor = { move: [], resyncUpTo: 0 };

const isUid = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;

export function decodeImapCursor(text: string | null | undefined): ImapCursor {
  if (!text) return { ...EMPTY, move: [] };
  try {
    const raw = JSON.parse(text) as Partial<Record<keyof ImapCursor, unknown>>;
    return {
      move: Array.isArray(raw.move) ? raw.move.filter(isUid) : [],
      resyncUpTo: isUid(raw.resyncUpTo) ? raw.resyncUpTo : 0,
    };
  } catch {
    return { ...EMPTY, move: [] };
  }
}

export function encodeImapCursor(cursor: ImapCursor): string | null {
  if (!cursor.move.length && !cursor.resyncUpTo) return null;
  return JSON.stringify({ move: cursor.move, resyncUpTo: cursor.resyncUpTo });
}
