import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { categories, priorities, requestTypes, technicianGroups } from '../../db/schema.js';
import { InUseError, NotFoundError, ValidationError } from '../../lib/errors.js';
import type { PubSub } from '../../lib/pubsub.js';
import { isUuid } from '../../lib/uuid.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { deleteGuarded } from '../references/references.js';

export type TechnicianGroupRow = typeof technicianGroups.$inferSelect;
export type CategoryRow = typeof categories.$inferSelect;

type CatalogTable = typeof technicianGroups | typeof categories;

const NAMED_LISTS = { group: technicianGroups, category: categories, priority: priorities, requestType: requestTypes } as const;
export type CatalogKind = keyof typeof NAMED_LISTS;
export interface CatalogEntry { kind: CatalogKind; id: string; name: string; createdAt: Date }

/** Technician groups and categories share one shape: a named, case-insensitively unique entry. */
export class CatalogService {
  readonly groups;
  readonly categories;

  constructor(private readonly db: Db, private readonly pubsub: PubSub) {
    this.groups = this.crud(technicianGroups, 'TechnicianGroup', 'technician group');
    this.categories = this.crud(categories, 'Category', 'category');
  }

  /**
   * Named entries by id from the four lists a ticket row shows — technician groups, categories,
   * priorities and request types — in one statement (`union all`): they share id, name, createdAt.
   */
  async entries(ids: Partial<Record<CatalogKind, readonly string[]>>): Promise<CatalogEntry[]> {
    const selects = (Object.keys(NAMED_LISTS) as CatalogKind[])
      .map((kind) => ({ kind, table: NAMED_LISTS[kind], wanted: (ids[kind] ?? []).filter(isUuid) }))
      .filter((l) => l.wanted.length)
      .map(({ kind, table, wanted }) => this.db.select({ kind: sql<CatalogKind>`${kind}::text`.as('kind'), id: table.id, name: table.name, createdAt: table.createdAt }).from(table).where(inArray(table.id, wanted)));
    if (!selects.length) return [];
    return selects.slice(1).reduce<Promise<CatalogEntry[]>>((all, next) => (all as typeof next).unionAll(next), selects[0]!);
  }

  private crud(table: CatalogTable, entityType: 'TechnicianGroup' | 'Category', label: string) {
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
      /** Refused while servers, rules, requests or technicians use it, unless they move to `replacementId`. */
      delete: async (id: string, actorUserId: string | null, replacementId?: string | null): Promise<{ id: string } | NotFoundError | ValidationError | InUseError> => {
        const existing = isUuid(id) ? (await db.select().from(table).where(eq(table.id, id)))[0] : undefined;
        if (!existing) return new NotFoundError(`No such ${label}`);
        return deleteGuarded(db, this.pubsub, {
          kind: entityType, id, name: existing.name, replacementId, actorUserId,
          remove: async (tx, replacement) => {
            await tx.delete(table).where(eq(table.id, id));
            await recordConfigChange(tx, { actorUserId, entityType, entityId: id, action: 'DELETE', before: existing, after: replacement ? { replacedBy: replacement.name } : undefined });
          },
        });
      },
    };
  }
}
