import DataLoader from 'dataloader';
import { and, eq, getTableColumns, type SQL } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.js';
import { insertSet, updateOnConflict } from '../db/insert-set.js';
import { mailboxCheckpoints } from '../db/schema.js';

export type Checkpoint = typeof mailboxCheckpoints.$inferSelect;
type CheckpointWrite = { serverId: string; folder: string; uidValidity?: number | null; lastUid: number; baselineUid?: number; cursor?: string | null; updatedAt: Date };

const COLUMNS = getTableColumns(mailboxCheckpoints);
/** `on conflict … do update` of the columns a save names (the others keep their value), per set of names. */
const upserts = new Map<string, SQL>();
function upsertOf(keys: string[]): SQL {
  const signature = keys.join(',');
  let upsert = upserts.get(signature);
  if (!upsert) upserts.set(signature, (upsert = updateOnConflict([COLUMNS.serverId, COLUMNS.folder], keys.map((k) => COLUMNS[k as keyof typeof COLUMNS]))));
  return upsert;
}

export class CheckpointStore {
  constructor(private readonly db: Db) {}

  async get(serverId: string, folder: string): Promise<Checkpoint | undefined> {
    const [row] = await this.db
      .select()
      .from(mailboxCheckpoints)
      .where(and(eq(mailboxCheckpoints.serverId, serverId), eq(mailboxCheckpoints.folder, folder)));
    return row;
  }

  /**
   * The saves made on one transaction in one tick — a group commit's checkpoints, one per mailbox
   * (ingest/ingest.service.ts) — go as one statement: each was an upsert built by drizzle and
   * executed on its own. DataLoader does the per-tick batching; keyed by transaction and by the
   * columns a save names (IMAP names UIDVALIDITY, the others do not and must leave it alone).
   */
  private readonly loaders = new WeakMap<Queryable, Map<string, DataLoader<CheckpointWrite, void>>>();

  /** Usually called inside the ingest transaction, so the checkpoint moves together with the tickets. */
  save(q: Queryable, cp: Omit<CheckpointWrite, 'updatedAt'>): Promise<void> {
    const row: CheckpointWrite = { ...cp, updatedAt: new Date() };
    const keys = Object.keys(row).filter((k) => row[k as keyof CheckpointWrite] !== undefined).sort();
    let byKeys = this.loaders.get(q);
    if (!byKeys) this.loaders.set(q, (byKeys = new Map()));
    let loader = byKeys.get(keys.join(','));
    if (!loader) {
      loader = new DataLoader<CheckpointWrite, void>(async (rows) => {
        // The same folder twice in one tick: the later save wins (one statement can't update a row twice).
        const last = new Map(rows.map((r) => [`${r.serverId}\u0000${r.folder}`, r]));
        await insertSet(q, mailboxCheckpoints, [...last.values()], upsertOf(keys));
        return rows.map(() => undefined);
      }, { cache: false, maxBatchSize: 1000 });
      byKeys.set(keys.join(','), loader);
    }
    return loader.load(row);
  }

  /** Only the cursor, e.g. once the post-commit actions it lists are done. */
  async setCursor(q: Queryable, serverId: string, folder: string, cursor: string | null): Promise<void> {
    await q
      .update(mailboxCheckpoints)
      .set({ cursor, updatedAt: new Date() })
      .where(and(eq(mailboxCheckpoints.serverId, serverId), eq(mailboxCheckpoints.folder, folder)));
  }
}
