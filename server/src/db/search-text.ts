import { sql, type SQL } from 'drizzle-orm';
import { tickets } from './schema/tickets.js';

/**
 * `tickets.search_text` is what ticket search reads (its tsvector is a generated column). It is
 * bounded: a tsvector holds at most 1 MB and to_tsvector's time grows with its input, so a
 * hostile megabyte of unique words must neither fail the write nor slow every later one.
 */
export const SEARCH_TEXT_MAX = 200_000;
/** One message's share: a huge mail can't crowd out the rest of the conversation. */
export const SEARCH_PIECE_MAX = 20_000;

/** The parts of one message (or of a new ticket) as one bounded piece of search text. */
export function searchPiece(...parts: (string | null | undefined)[]): string {
  return parts
    .filter((p): p is string => Boolean(p))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, SEARCH_PIECE_MAX);
}

/** The new value of search_text with `piece` appended, for an UPDATE's set(). */
export function appendSearchText(piece: string): SQL {
  return sql`left(coalesce(${tickets.searchText}, '') || ${`\n${piece}`}, ${SEARCH_TEXT_MAX})`;
}
