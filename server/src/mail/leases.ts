import { and, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { mailboxLeases } from '../db/schema.js';

/**
 * One reader per mailbox across processes sharing a PostgreSQL server: a row per mailbox with an
 * owner and an expiry, taken when free or expired and renewed well before it expires. Times come
 * from the database clock so processes with skewed clocks agree.
 */
export class LeaseManager {
  constructor(private readonly db: Db, readonly owner: string, private readonly ttlSeconds: number) {}

  async acquire(serverId: string): Promise<boolean> {
    return (await this.acquireMany([serverId])).has(serverId);
  }

  /** acquire() for many mailboxes in one statement (at start); returns the ones now ours. */
  async acquireMany(serverIds: readonly string[]): Promise<Set<string>> {
    if (!serverIds.length) return new Set();
    const expiresAt = sql`now() + make_interval(secs => ${this.ttlSeconds})`;
    const rows = await this.db
      .insert(mailboxLeases)
      .values(serverIds.map((serverId) => ({ serverId, owner: this.owner, expiresAt })))
      .onConflictDoUpdate({
        target: mailboxLeases.serverId,
        set: { owner: this.owner, expiresAt },
        setWhere: or(lt(mailboxLeases.expiresAt, sql`now()`), eq(mailboxLeases.owner, this.owner)),
      })
      .returning({ serverId: mailboxLeases.serverId });
    return new Set(rows.map((r) => r.serverId));
  }

  /** Extends the given leases; returns the ones still ours. */
  async renew(serverIds: string[]): Promise<Set<string>> {
    if (!serverIds.length) return new Set();
    const rows = await this.db
      .update(mailboxLeases)
      .set({ expiresAt: sql`now() + make_interval(secs => ${this.ttlSeconds})` })
      .where(and(inArray(mailboxLeases.serverId, serverIds), eq(mailboxLeases.owner, this.owner)))
      .returning({ serverId: mailboxLeases.serverId });
    return new Set(rows.map((r) => r.serverId));
  }

  async release(serverIds: string[]): Promise<void> {
    if (!serverIds.length) return;
    await this.db.delete(mailboxLeases).where(and(inArray(mailboxLeases.serverId, serverIds), eq(mailboxLeases.owner, this.owner)));
  }
}
