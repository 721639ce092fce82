import { and, count, desc, eq, getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { outboundMail, type OutboundMailRow, type OutboundStatus } from '../../db/schema.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { afterTimeCursor, encodeTimeCursor } from '../../lib/cursor.js';
import { isUuid } from '../../lib/uuid.js';

const { raw: _raw, ...listed } = getTableColumns(outboundMail);

export type OutboundMailView = Omit<OutboundMailRow, 'raw'>;
export interface OutboxFilter { status?: OutboundStatus | null; ticketId?: string | null }

function conditions(filter: OutboxFilter): SQL[] {
  const where: SQL[] = [];
  if (filter.status) where.push(eq(outboundMail.status, filter.status));
  if (filter.ticketId && isUuid(filter.ticketId)) where.push(eq(outboundMail.ticketId, filter.ticketId));
  return where;
}

/** What admins see of outgoing mail: the queue, what was sent, and what failed and why. */
export class Outbox {
  constructor(private readonly db: Db) {}

  list(filter: OutboxFilter, first = 50): Promise<OutboundMailView[]> {
    return this.db.select(listed).from(outboundMail).where(and(...conditions(filter))).orderBy(desc(outboundMail.createdAt), desc(outboundMail.id)).limit(Math.min(Math.max(first, 1), 500));
  }

  /** A page of the outbox, newest first, with how many there are in all. */
  async page(filter: OutboxFilter, first: number, after?: string | null) {
    const limit = Math.min(Math.max(first, 1), 500);
    const where = conditions(filter);
    const older = afterTimeCursor(outboundMail.createdAt, outboundMail.id, after);
    const rows = await this.db
      .select({ mail: listed, atText: sql<string>`${outboundMail.createdAt}::text` })
      .from(outboundMail)
      .where(and(...where, older))
      .orderBy(desc(outboundMail.createdAt), desc(outboundMail.id))
      .limit(limit + 1);
    const [{ n } = { n: 0 }] = await this.db.select({ n: count() }).from(outboundMail).where(and(...where));
    const edges = rows.slice(0, limit).map((r) => ({ cursor: encodeTimeCursor(r.atText, r.mail.id), node: r.mail }));
    return { edges, totalCount: n, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  async get(id: string): Promise<Omit<OutboundMailRow, 'raw'> | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select(listed).from(outboundMail).where(eq(outboundMail.id, id));
    return row;
  }

  /** A FAILED mail goes back in the queue with a fresh set of attempts, e.g. after the admin fixed the server. */
  async retry(id: string): Promise<Omit<OutboundMailRow, 'raw'> | NotFoundError | ValidationError> {
    const existing = await this.get(id);
    if (!existing) return new NotFoundError('No such outgoing mail');
    if (existing.status !== 'FAILED') return new ValidationError(existing.status === 'SENT' ? 'This mail has been sent already' : 'This mail is still queued');
    await this.db.update(outboundMail).set({ status: 'PENDING', attempts: 0, nextAttemptAt: new Date() }).where(and(eq(outboundMail.id, id), eq(outboundMail.status, 'FAILED')));
    return (await this.get(id))!;
  }
}
