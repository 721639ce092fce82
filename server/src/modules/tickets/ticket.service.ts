import { and, asc, count, desc, eq, inArray, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { messages, requesters, tickets } from '../../db/schema.js';
import { isUuid } from '../../lib/uuid.js';

export type TicketRow = typeof tickets.$inferSelect;
export type RequesterRow = typeof requesters.$inferSelect;
export type MessageRow = Omit<typeof messages.$inferSelect, 'raw'>;

export interface TicketFilter { technicianGroupId?: string | null; categoryId?: string | null; incomingServerId?: string | null; status?: 'OPEN' | 'CLOSED' | null }

export const ticketNumber = (n: number) => `REQ-${n}`;

const encodeCursor = (n: number) => Buffer.from(`t:${n}`).toString('base64url');
const decodeCursor = (c: string) => {
  const m = /^t:(\d+)$/.exec(Buffer.from(c, 'base64url').toString());
  return m ? Number(m[1]) : null;
};

const messageColumns = {
  id: messages.id, direction: messages.direction, inReplyTo: messages.inReplyTo, references: messages.references,
  toAddresses: messages.toAddresses, ccAddresses: messages.ccAddresses, serverId: messages.serverId, sourceKey: messages.sourceKey, ticketId: messages.ticketId, messageId: messages.messageId,
  contentHash: messages.contentHash, fromAddress: messages.fromAddress, fromName: messages.fromName, subject: messages.subject,
  bodyText: messages.bodyText, bodyHtml: messages.bodyHtml, sentAt: messages.sentAt, receivedAt: messages.receivedAt, rawSize: messages.rawSize,
};

export class TicketService {
  constructor(private readonly db: Db) {}

  async get(id: string): Promise<TicketRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select().from(tickets).where(eq(tickets.id, id));
    return row;
  }

  async getByNumber(number: number): Promise<TicketRow | undefined> {
    const [row] = await this.db.select().from(tickets).where(eq(tickets.number, number));
    return row;
  }

  async count(filter: TicketFilter = {}): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(tickets).where(and(...this.conditions(filter)));
    return row?.n ?? 0;
  }

  private conditions(filter: TicketFilter): SQL[] {
    const conditions: SQL[] = [];
    if (filter.technicianGroupId) conditions.push(eq(tickets.technicianGroupId, filter.technicianGroupId));
    if (filter.categoryId) conditions.push(eq(tickets.categoryId, filter.categoryId));
    if (filter.incomingServerId) conditions.push(eq(tickets.incomingServerId, filter.incomingServerId));
    if (filter.status) conditions.push(eq(tickets.status, filter.status));
    return conditions;
  }

  /** Newest first, keyset-paginated on the ticket number. */
  async list(first: number, after: string | null | undefined, filter: TicketFilter = {}) {
    const limit = Math.min(Math.max(first, 1), 200);
    const conditions = this.conditions(filter);
    const afterNumber = after ? decodeCursor(after) : null;
    if (afterNumber !== null) conditions.push(lt(tickets.number, afterNumber));
    const rows = await this.db.select().from(tickets).where(and(...conditions)).orderBy(desc(tickets.number)).limit(limit + 1);
    const page = rows.slice(0, limit);
    return {
      edges: page.map((node) => ({ cursor: encodeCursor(node.number), node })),
      pageInfo: { hasNextPage: rows.length > limit, endCursor: page.length ? encodeCursor(page[page.length - 1]!.number) : null },
      filter,
    };
  }

  async requesters(ids: readonly string[]): Promise<RequesterRow[]> {
    if (!ids.length) return [];
    return this.db.select().from(requesters).where(inArray(requesters.id, [...ids]));
  }

  messagesOf(ticketId: string): Promise<MessageRow[]> {
    return this.db.select(messageColumns).from(messages).where(eq(messages.ticketId, ticketId)).orderBy(asc(messages.receivedAt));
  }
}
