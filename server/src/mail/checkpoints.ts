import { and, eq } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.js';
import { mailboxCheckpoints } from '../db/schema.js';

export type Checkpoint = typeof mailboxCheckpoints.$inferSelect;

export class CheckpointStore {
  constructor(private readonly db: Db) {}

  async get(serverId: string, folder: string): Promise<Checkpoint | undefined> {
    const [row] = await this.db
      .select()
      .from(mailboxCheckpoints)
      .where(and(eq(mailboxCheckpoints.serverId, serverId), eq(mailboxCheckpoints.folder, folder)));
    return row;
  }

  /** Usually called inside the ingest transaction, so the checkpoint moves together with the tickets. */
  async save(q: Queryable, cp: { serverId: string; folder: string; uidValidity?: number | null; lastUid: number; baselineUid?: number; cursor?: string | null }): Promise<void> {
    const values = { ...cp, updatedAt: new Date() };
    await q
      .insert(mailboxCheckpoints)
      .values(values)
      .onConflictDoUpdate({ target: [mailboxCheckpoints.serverId, mailboxCheckpoints.folder], set: values });
  }

  /** Only the cursor, e.g. once the post-commit actions it lists are done. */
  async setCursor(q: Queryable, serverId: string, folder: string, cursor: string | null): Promise<void> {
    await q
      .update(mailboxCheckpoints)
      .set({ cursor, updatedAt: new Date() })
      .where(and(eq(mailboxCheckpoints.serverId, serverId), eq(mailboxCheckpoints.folder, folder)));
  }
}
