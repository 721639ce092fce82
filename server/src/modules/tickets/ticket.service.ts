import { and, asc, count, desc, eq, getTableColumns, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { messages, outboundMail, requesters, ticketEvents, ticketViews, tickets, type MessageKind } from '../../db/schema.js';
import { isUuid } from '../../lib/uuid.js';
import type { Viewer } from '../auth/auth.service.js';
import type { TicketAccess } from './ticket-access.js';
import { afterCursor, encodeCursor, filterConditions, orderBy, whereAll, type TicketFilter, type TicketOrder } from './ticket-query.js';

export type { TicketFilter, TicketOrder } from './ticket-query.js';

const { searchVector: _vector, searchText: _text, ...listed } = getTableColumns(tickets);
export type TicketRow = Omit<typeof tickets.$inferSelect, 'searchVector' | 'searchText'>;
export type RequesterRow = typeof requesters.$inferSelect;
export type MessageRow = Omit<typeof messages.$inferSelect, 'raw'>;
export type TicketEventRow = typeof ticketEvents.$inferSelect;
export type DeliveryRow = Pick<typeof outboundMail.$inferSelect, 'id' | 'status' | 'attempts' | 'lastError' | 'sentAt'>;

export const ticketNumber = (n: number) => `REQ-${n}`;

const { raw: _raw, ...messageColumns } = getTableColumns(messages);

/** What a message is, also for rows written before messages carried their kind. */
export function messageKind(m: Pick<MessageRow, 'kind' | 'direction'>): MessageKind {
  return m.kind ?? (m.direction === 'OUTBOUND' ? 'ACKNOWLEDGMENT' : m.direction === 'INTERNAL' ? 'NOTE' : 'INCOMING');
}

/**
 * A ticket as the list reads it: with its requester and the viewer's read marker, read in the
 * page's statement (they differ from row to row, unlike the named lists), so resolving them sends
 * nothing more. They travel on the row, not in a DataLoader's cache: the loaders keep none (see
 * graphql/loaders.ts), and a row's relations are exactly as fresh as the row.
 */
export interface ListedTicket extends TicketRow {
  readAlong?: { requester: RequesterRow; seenAt: Date | null };
}

/** Whether the requester's side wrote since the user last opened the ticket (`seenAt`; null: never, so unread). */
export const isUnread = (seenAt: Date | null | undefined, requesterActivityAt: Date) => !seenAt || seenAt < requesterActivityAt;

export interface TicketPage {
  edges: { cursor: string; node: ListedTicket }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** For totalCount, computed only when asked for; `atMost` stops counting there. */
  count: (atMost?: number | null) => Promise<number>;
}

/** Reading tickets, always through the viewer's scope (ticket-access.ts); the unscoped reads are for the server's own use. */
export class TicketService {
  constructor(private readonly db: Db, readonly access: TicketAccess) {}

  /** Unscoped: for the server's own use (ingest, workers, admin-only paths). */
  async get(id: string): Promise<TicketRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select(listed).from(tickets).where(eq(tickets.id, id));
    return row;
  }

  /** The ticket if the viewer may see it; undefined whether it doesn't exist or is out of reach. */
  async getVisible(viewer: Viewer, id: string, fresh = false): Promise<TicketRow | undefined> {
    const row = await this.get(id);
    return row && (await this.access.canSee(viewer, row, fresh)) ? row : undefined;
  }

  async getByNumber(number: number): Promise<TicketRow | undefined> {
    const [row] = await this.db.select(listed).from(tickets).where(eq(tickets.number, number));
    return row;
  }

  private async where(viewer: Viewer, filter: TicketFilter): Promise<SQL[]> {
    const scope = await this.access.scope(viewer);
    // The scope holds a technician's groups already; an admin's are not part of it.
    const groupIds = !filter.myGroups ? [] : scope.admin ? await this.access.groupsOf(viewer.user.id) : scope.memberOf;
    const scoped = this.access.condition(scope);
    return [...(scoped ? [scoped] : []), ...filterConditions(this.db, filter, { userId: viewer.user.id, groupIds })];
  }

  /**
   * `atMost`: count no further. Counting every match of a common word visits (and decompresses the
   * search vector of) a large share of all tickets; a capped count stops as soon as it is reached.
   */
  async count(viewer: Viewer, filter: TicketFilter = {}, atMost?: number | null): Promise<number> {
    const [row] = await this.counting(whereAll(await this.where(viewer, filter)), atMost);
    return row?.n ?? 0;
  }

  /** The count's query, to run or to nest in the page's statement. */
  private counting(where: SQL | undefined, atMost: number | null | undefined) {
    if (atMost == null) return this.db.select({ n: count() }).from(tickets).where(where);
    const capped = this.db.select({ one: sql`1` }).from(tickets).where(where).limit(Math.max(atMost, 0)).as('capped');
    return this.db.select({ n: count() }).from(capped);
  }

  /**
   * Newest activity (or newest ticket) first, keyset-paginated. `count`: the totalCount the caller
   * will ask for, counted in the page's statement (an init plan, run once); any other is counted apart.
   */
  async list(viewer: Viewer, opts: { first: number; after?: string | null; filter?: TicketFilter; order?: TicketOrder; count?: { atMost: number | null } }): Promise<TicketPage> {
    const order = opts.order ?? 'LAST_ACTIVITY';
    const filter = opts.filter ?? {};
    const limit = Math.min(Math.max(opts.first, 1), 200);
    const conditions = await this.where(viewer, filter);
    const after = afterCursor(order, opts.after);
    const asked = opts.count;
    // Left joins on unique keys (the requester's and the viewer's marker's primary keys): one row
    // per ticket, so the limit and the keyset order are those of the tickets alone.
    const read = await this.db
      .select({
        ticket: listed, requester: getTableColumns(requesters), seenAt: ticketViews.seenAt,
        total: (asked ? sql<number | null>`(${this.counting(whereAll(conditions), asked.atMost)})` : sql<number | null>`null`).mapWith(Number),
      })
      .from(tickets)
      .leftJoin(requesters, eq(requesters.id, tickets.requesterId))
      .leftJoin(ticketViews, and(eq(ticketViews.ticketId, tickets.id), eq(ticketViews.userId, viewer.user.id)))
      .where(whereAll([...conditions, after ?? undefined]))
      .orderBy(...orderBy(order))
      .limit(limit + 1);
    const rows: ListedTicket[] = read.map((r) => ({ ...r.ticket, ...(r.requester && { readAlong: { requester: r.requester, seenAt: r.seenAt } }) }));
    const page = rows.slice(0, limit);
    // An empty page tells nothing of the tickets before its cursor; without a cursor, none match.
    const total = asked && (read.length ? read[0]!.total : after ? null : 0);
    return {
      edges: page.map((node) => ({ cursor: encodeCursor(order, node), node })),
      pageInfo: { hasNextPage: rows.length > limit, endCursor: page.length ? encodeCursor(order, page[page.length - 1]!) : null },
      count: (atMost) => (total != null && (atMost ?? null) === asked!.atMost ? Promise.resolve(total) : this.count(viewer, filter, atMost)),
    };
  }

  async requesters(ids: readonly string[]): Promise<RequesterRow[]> {
    if (!ids.length) return [];
    return this.db.select().from(requesters).where(inArray(requesters.id, [...ids]));
  }

  /** The messages of every ticket in `ticketIds`, oldest first. */
  messagesOfMany(ticketIds: readonly string[]): Promise<MessageRow[]> {
    if (!ticketIds.length) return Promise.resolve([]);
    return this.db.select(messageColumns).from(messages).where(inArray(messages.ticketId, [...ticketIds])).orderBy(asc(messages.receivedAt));
  }

  async message(id: string): Promise<MessageRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select(messageColumns).from(messages).where(eq(messages.id, id));
    return row;
  }

  /** A ticket message's raw mail, when the viewer may see its ticket (notes have none). */
  async rawMessage(viewer: Viewer, id: string): Promise<{ raw: Buffer; messageId: string | null } | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.db.select({ raw: messages.raw, messageId: messages.messageId, ticketId: messages.ticketId }).from(messages).where(eq(messages.id, id));
    if (!row?.ticketId || !row.raw.length || !(await this.getVisible(viewer, row.ticketId))) return null;
    return row;
  }

  /** The outbound mail behind a reply or an acknowledgment. */
  async delivery(messageId: string | null): Promise<DeliveryRow | null> {
    if (!messageId) return null;
    const [row] = await this.db
      .select({ id: outboundMail.id, status: outboundMail.status, attempts: outboundMail.attempts, lastError: outboundMail.lastError, sentAt: outboundMail.sentAt })
      .from(outboundMail)
      .where(eq(outboundMail.messageId, messageId));
    return row ?? null;
  }

  history(ticketId: string): Promise<TicketEventRow[]> {
    return this.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, ticketId)).orderBy(asc(ticketEvents.at));
  }

  /** Tickets a late reply to this one opened, newest first, as far as the viewer may see them. */
  async followUps(viewer: Viewer, ticketId: string): Promise<TicketRow[]> {
    const scoped = this.access.condition(await this.access.scope(viewer));
    return this.db.select(listed).from(tickets).where(and(eq(tickets.previousTicketId, ticketId), scoped)).orderBy(desc(tickets.number));
  }

  /** Whether each ticket is unread for the user (isUnread), in their order. */
  async unreadMany(userId: string, list: readonly Pick<TicketRow, 'id' | 'requesterActivityAt'>[]): Promise<boolean[]> {
    if (!list.length) return [];
    const views = await this.db.select({ ticketId: ticketViews.ticketId, seenAt: ticketViews.seenAt }).from(ticketViews)
      .where(and(eq(ticketViews.userId, userId), inArray(ticketViews.ticketId, [...new Set(list.map((t) => t.id))])));
    const seen = new Map(views.map((v) => [v.ticketId, v.seenAt]));
    return list.map((t) => isUnread(seen.get(t.id), t.requesterActivityAt));
  }
}
