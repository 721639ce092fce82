/**
 * Where a Graph mailbox's reading stands, kept in the checkpoint's `cursor` column and committed
 * in the same transaction as each page's tickets:
 * - `link`: the delta URL to ask next — an @odata.nextLink in the middle of a round, the
 *   @odata.deltaLink between rounds (null = never synced);
 * - `initialDone`: the first round over the Inbox is complete (until then only unread mail is taken);
 * - `pending`: messages whose tickets are committed but which are not yet marked read / moved.
 */
export interface GraphCursor {
  link: string | null;
  initialDone: boolean;
  pending: string[];
}

export function decodeGraphCursor(text: string | null | undefined): GraphCursor {
  const empty: GraphCursor = { link: null, initialDone: false, pending: [] };
  if (!text) return empty;
  try {
    const v = JSON.parse(text) as Partial<GraphCursor>;
    return {
      link: typeof v.link === 'string' ? v.link : null,
      initialDone: v.initialDone === true,
      pending: Array.isArray(v.pending) ? v.pending.filter((id): id is string => typeof id === 'string') : [],
    };
  } catch {
    return empty;
  }
}

export function encodeGraphCursor(cursor: GraphCursor): string {
  return JSON.stringify(cursor);
}

/**
 * The first request of a mailbox's first round. `changeType=created` makes later rounds report only
 * messages new to the Inbox (delivered or moved in), not read-flag changes, our own included;
 * Graph carries the query options into every nextLink / deltaLink.
 */
export const INITIAL_DELTA_PATH = "/mailFolders('Inbox')/messages/delta?changeType=created&$select=id,isRead,receivedDateTime";

export interface DeltaEntry { id: string; isRead: boolean | null; removed: boolean }

export interface DeltaPage {
  entries: DeltaEntry[];
  nextLink: string | null;
  deltaLink: string | null;
}

export class DeltaFormatError extends Error {}

/** One page of a delta response; refuses anything that is not the documented shape. */
export function parseDeltaPage(json: unknown): DeltaPage {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { value?: unknown }).value)) throw new DeltaFormatError('delta page without a value array');
  const page = json as { value: unknown[]; '@odata.nextLink'?: unknown; '@odata.deltaLink'?: unknown };
  const nextLink = typeof page['@odata.nextLink'] === 'string' ? page['@odata.nextLink'] : null;
  const deltaLink = typeof page['@odata.deltaLink'] === 'string' ? page['@odata.deltaLink'] : null;
  if (!nextLink && !deltaLink) throw new DeltaFormatError('delta page with neither nextLink nor deltaLink');
  const entries: DeltaEntry[] = [];
  for (const raw of page.value) {
    if (typeof raw !== 'object' || raw === null) continue;
    const v = raw as { id?: unknown; isRead?: unknown; '@removed'?: unknown };
    if (typeof v.id !== 'string' || !v.id) continue;
    entries.push({ id: v.id, isRead: typeof v.isRead === 'boolean' ? v.isRead : null, removed: v['@removed'] !== undefined });
  }
  return { entries, nextLink, deltaLink };
}

/**
 * Which messages of one delta page to read. During the first round every message in the Inbox is
 * listed: like IMAP's baseline, mail already there and read is left alone. Later rounds list only
 * messages new to the Inbox, taken whatever their read flag (a person reading one first must not
 * make it disappear). Removed entries never create tickets.
 */
export function planDeltaPage(entries: DeltaEntry[], initialPass: boolean): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.removed || seen.has(e.id)) continue;
    if (initialPass && e.isRead === true) continue;
    seen.add(e.id);
    ids.push(e.id);
  }
  return ids;
}
