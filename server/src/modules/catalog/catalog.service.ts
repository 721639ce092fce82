import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { categories, technicianGroups } from '../../db/schema.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { isUuid } from '../../lib/uuid.js';

export type TechnicianGroupRow = typeof technicianGroups.$inferSelect;
export type CategoryRow = typeof categories.$inferSelect;

type CatalogTable = typeof technicianGroups | typeof categories;
/** Matches no row: `in ()` is not SQL. */
const NO_ID = '00000000-0000-0000-0000-000000000000';

/** Technician groups and categories share one shape: a named, case-insensitively unique entry. */
export class CatalogService {
  readonly groups;
  readonly categories;

  constructor(private readonly db: Db) {
    this.groups = this.crud(technicianGroups, 'TechnicianGroup', 'technician group');
    this.categories = this.crud(categories, 'Category', 'category');
  }

  /**
   * Groups and categories by id, both in one statement (`union all`): a page of tickets or
   * mailboxes shows both, and they share one shape.
   */
  async entries(groupIds: readonly string[], categoryIds: readonly string[]): Promise<{ groups: TechnicianGroupRow[]; categories: CategoryRow[] }> {
    const select = (table: CatalogTable, kind: 'group' | 'category', ids: string[]) =>
      this.db.select({ kind: sql<'group' | 'category'>`${kind}::text`.as('kind'), id: table.id, name: table.name, createdAt: table.createdAt }).from(table).where(inArray(table.id, ids.length ? ids : [NO_ID]));
    const rows = await select(technicianGroups, 'group', groupIds.filter(isUuid)).unionAll(select(categories, 'category', categoryIds.filter(isUuid)));
    const pick = (kind: string) => rows.filter((r) => r.kind === kind).map(({ kind: _kind, ...row }) => row);
    return { groups: pick('group'), categories: pick('category') };
  }

  private crud(table: CatalogTable, entityType: string, label: string) {
    const db = this.db;
    const validate = async (name: string, exceptId?: string): Promise<string | ValidationError> => {
      const trimmed = name.trim();
      if (!trimmed || trimmed.length > 200) return ValidationError.of([{ path: ['name'], message: 'Enter a name (1–200 characters)' }]);
      const [clash] = await db.select({ id: table.id }).from(table).where(sql`lower(${table.name}) = lower(${trimmed})`);
      if (clash && clash.id !== exceptId) return ValidationError.of([{ path: ['name'], message: `A ${label} with this name exists` }]);
      return trimmed;
    };
    return {
      list: () => db.select().from(table).orderBy(asc(table.name)),
      get: async (id: string) => (isUuid(id) ? (await db.select().from(table).where(eq(table.id, id)))[0] : undefined),
      create: async (name: string, actorUserId: string | null) => {
        const valid = await validate(name);
        if (valid instanceof ValidationError) return valid;
        return db.transaction(async (tx) => {
          const [row] = await tx.insert(table).values({ name: valid }).returning();
          await recordConfigChange(tx, { actorUserId, entityType, entityId: row!.id, action: 'CREATE', after: row });
          return row!;
        });
      },
      rename: async (id: string, name: string, actorUserId: string | null) => {
        const existing = isUuid(id) ? (await db.select().from(table).where(eq(table.id, id)))[0] : undefined;
        if (!existing) return new NotFoundError(`No such ${label}`);
        const valid = await validate(name, id);
        if (valid instanceof ValidationError) return valid;
        return db.transaction(async (tx) => {
          const [row] = await tx.update(table).set({ name: valid }).where(eq(table.id, id)).returning();
          await recordConfigChange(tx, { actorUserId, entityType, entityId: id, action: 'UPDATE', before: existing, after: row });
          return row!;
        });
      },
      delete: async (id: string, actorUserId: string | null) => {
        const existing = isUuid(id) ? (await db.select().from(table).where(eq(table.id, id)))[0] : undefined;
        if (!existing) return new NotFoundError(`No such ${label}`);
        await db.transaction(async (tx) => {
          await tx.delete(table).where(eq(table.id, id));
          await recordConfigChange(tx, { actorUserId, entityType, entityId: id, action: 'DELETE', before: existing });
        });
        return { id };
      },
    };
  }
}
