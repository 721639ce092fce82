import { and, desc, eq, getTableColumns, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { outboundMail, type OutboundMailRow, type OutboundStatus } from '../../db/schema.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { isUuid } from '../../lib/uuid.js';

const { raw: _raw, ...listed } = getTableColumns(outboundMail);

/** What admins see of outgoing mail: the queue, what was sent, and what failed and why. */
export class Outbox {
  constructor(private readonly db: Db) {}

  list(filter: { status?: OutboundStatus | null; ticketId?: string | null }, first = 50): Promise<Omit<OutboundMailRow, 'raw'>[]> {
    const where: SQL[] = [];
    if (filter.status) where.push(eq(outboundMail.status, filter.status));
    if (filter.ticketId && isUuid(filter.ticketId)) where.push(eq(outboundMail.ticketId, filter.ticketId));
    return this.db.select(listed).from(outboundMail).where(and(...where)).orderBy(desc(outboundMail.createdAt)).limit(Math.min(Math.max(first, 1), 500));
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
