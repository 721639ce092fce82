import { and, desc, eq, inArray, isNull, lt, or, sql, type Column, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { ticketParticipants, tickets, type TicketStatus } from '../../db/schema.js';
import { isUuid } from '../../lib/uuid.js';

export interface TicketFilter {
  technicianGroupId?: string | null;
  categoryId?: string | null;
  incomingServerId?: string | null;
  status?: TicketStatus | null;
  statuses?: TicketStatus[] | null;
  assigneeId?: string | null;
  /** Assigned to the viewer. */
  mine?: boolean | null;
  unassigned?: boolean | null;
  /** In one of the viewer's groups. */
  myGroups?: boolean | null;
  priorityId?: string | null;
  requestTypeId?: string | null;
  search?: string | null;
}

export type TicketOrder = 'LAST_ACTIVITY' | 'CREATED';

/** What `mine` and `myGroups` refer to. */
export interface FilterViewer { userId: string; groupIds: string[] }

const NOTHING = sql`false`;
const MAX_SEARCH = 500;
const ADDRESS = /[^\s<>(),;:"'[\]]+@[^\s<>(),;:"'[\]]+\.[a-z0-9-]{2,}/gi;
const TICKET_NUMBER = /^\[?\s*#?\s*(?:REQ\s*-?\s*)?(\d{1,9})\s*\]?$/i;

/** An id filter: a malformed id matches nothing (rather than failing the query). */
const byId = (column: Column, id: string) => (isUuid(id) ? eq(column, id) : NOTHING);

export function filterConditions(q: Queryable, filter: TicketFilter, viewer: FilterViewer): SQL[] {
  const where: SQL[] = [];
  if (filter.technicianGroupId) where.push(byId(tickets.technicianGroupId, filter.technicianGroupId));
  if (filter.categoryId) where.push(byId(tickets.categoryId, filter.categoryId));
  if (filter.incomingServerId) where.push(byId(tickets.incomingServerId, filter.incomingServerId));
  if (filter.priorityId) where.push(byId(tickets.priorityId, filter.priorityId));
  if (filter.requestTypeId) where.push(byId(tickets.requestTypeId, filter.requestTypeId));
  if (filter.assigneeId) where.push(byId(tickets.assigneeId, filter.assigneeId));
  if (filter.status) where.push(eq(tickets.status, filter.status));
  if (filter.statuses?.length) where.push(inArray(tickets.status, filter.statuses));
  if (filter.mine) where.push(eq(tickets.assigneeId, viewer.userId));
  if (filter.unassigned) where.push(isNull(tickets.assigneeId));
  if (filter.myGroups) where.push(viewer.groupIds.length ? inArray(tickets.technicianGroupId, viewer.groupIds) : NOTHING);
  const search = filter.search ? searchCondition(q, filter.search) : undefined;
  if (search) where.push(search);
  return where;
}

/**
 * Full-text search (websearch_to_tsquery: words, "phrases", -exclusions, or) over the generated
 * tsvector, plus exact look-ups the text search would blur: a ticket number (REQ-42, #42, 42)
 * and any address taking part in a ticket (requester or Cc).
 */
export function searchCondition(q: Queryable, search: string): SQL | undefined {
  const text = search.trim().slice(0, MAX_SEARCH);
  if (!text) return undefined;
  const any: SQL[] = [sql`${tickets.searchVector} @@ websearch_to_tsquery('simple', ${text})`];
  const number = TICKET_NUMBER.exec(text);
  if (number) any.push(eq(tickets.number, Number(number[1])));
  const addresses = [...new Set((text.match(ADDRESS) ?? []).map((a) => a.toLowerCase()))].slice(0, 10);
  if (addresses.length) {
    // = ANY(ARRAY(…)), not IN (…): an uncorrelated array is computed once, and the condition stays
    // one the primary key's index answers, so PostgreSQL can OR the three indexes in one bitmap.
    const participating = q.select({ id: ticketParticipants.ticketId }).from(ticketParticipants).where(inArray(ticketParticipants.email, addresses));
    any.push(sql`${tickets.id} = any(array(${participating}))`);
  }
  return or(...any);
}

interface Cursor { number: number; at: Date | null }

export function encodeCursor(order: TicketOrder, row: { number: number; lastActivityAt: Date }): string {
  const value = order === 'CREATED' ? `c:${row.number}` : `a:${row.lastActivityAt.getTime()}:${row.number}`;
  return Buffer.from(value).toString('base64url');
}

function decodeCursor(order: TicketOrder, cursor: string): Cursor | null {
  const text = Buffer.from(cursor, 'base64url').toString();
  const created = /^c:(\d{1,10})$/.exec(text);
  if (order === 'CREATED') return created ? { number: Number(created[1]), at: null } : null;
  const activity = /^a:(\d{1,15}):(\d{1,10})$/.exec(text);
  return activity ? { number: Number(activity[2]), at: new Date(Number(activity[1])) } : null;
}

/** The keyset condition for the rows after `cursor`, newest first; null for a cursor of another order or none at all. */
export function afterCursor(order: TicketOrder, cursor: string | null | undefined): SQL | null {
  const c = cursor ? decodeCursor(order, cursor) : null;
  if (!c) return null;
  if (order === 'CREATED' || !c.at) return lt(tickets.number, c.number);
  return sql`(${tickets.lastActivityAt}, ${tickets.number}) < (${c.at.toISOString()}::timestamptz, ${c.number})`;
}

export function orderBy(order: TicketOrder): SQL[] {
  return order === 'CREATED' ? [desc(tickets.number)] : [desc(tickets.lastActivityAt), desc(tickets.number)];
}

export const whereAll = (conditions: (SQL | undefined)[]) => and(...conditions.filter((c): c is SQL => c !== undefined));
