import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { categories, companies, configAudit, incomingServers, outgoingServers, proxyServers, technicianGroups, users } from '../../db/schema.js';
import { isUuid } from '../../lib/uuid.js';
import { afterTimeCursor, encodeTimeCursor } from '../../lib/cursor.js';

export type ConfigAuditRow = typeof configAudit.$inferSelect;
export type ConfigAuditUser = typeof users.$inferSelect;
export interface ConfigAuditEntry extends ConfigAuditRow { actor: ConfigAuditUser | null }

export interface JsonChange { path: string; before: unknown; after: unknown }
/** A change whose values are ids of other things, with those things' names where known. */
export interface NamedChange extends JsonChange { beforeName: string | null; afterName: string | null }

/** Fields whose value is the id of a named thing (also inside rule actions: `actions.categoryId`). */
const REFERENCES = /(^|\.)(technicianGroupId|categoryId|companyId|proxyServerId|outgoingServerId|serverId)$/;
const NAMED_TABLES = [technicianGroups, categories, companies, proxyServers, outgoingServers, incomingServers] as const;

/** Bookkeeping that changes on every write and says nothing to a reader. */
const IGNORED = new Set(['updatedAt']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Field-by-field differences between two JSON snapshots: objects are compared key by key
 * (paths like `oauth.clientId`), arrays and scalars as whole values. A created entity lists every
 * field that is set, a deleted one every field it had. Redacted secrets read "[redacted]" on both
 * sides, so a replaced secret does not show as a change here (the write-time redaction only keeps
 * whether one was set).
 */
export function diffJson(before: unknown, after: unknown, path = ''): JsonChange[] {
  if (isObject(before) || isObject(after)) {
    const b = isObject(before) ? before : {};
    const a = isObject(after) ? after : {};
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    return keys.filter((k) => !(path === '' && IGNORED.has(k))).flatMap((k) => diffJson(b[k], a[k], path ? `${path}.${k}` : k));
  }
  return same(before, after) ? [] : [{ path, before: before ?? null, after: after ?? null }];
}

export interface ConfigAuditFilter { entityType?: string | null; entityId?: string | null }

/** The configuration audit trail, newest first, with the acting user. */
export class ConfigAuditTrail {
  constructor(private readonly db: Db) {}

  /**
   * The changes of an entry with ids named: from the thing as it is now, else from the name it had
   * when the trail recorded its deletion.
   */
  async namedChanges(entry: Pick<ConfigAuditEntry, 'before' | 'after'>): Promise<NamedChange[]> {
    const changes = diffJson(entry.before, entry.after);
    const ids = [...new Set(changes.filter((c) => REFERENCES.test(c.path)).flatMap((c) => [c.before, c.after]).filter((v): v is string => typeof v === 'string' && isUuid(v)))];
    const names = new Map<string, string>();
    if (ids.length) {
      for (const table of NAMED_TABLES) {
        for (const row of await this.db.select({ id: table.id, name: table.name }).from(table).where(inArray(table.id, ids))) names.set(row.id, row.name);
      }
      const gone = ids.filter((id) => !names.has(id));
      if (gone.length) {
        const deleted = await this.db.select({ id: configAudit.entityId, before: configAudit.before }).from(configAudit).where(and(eq(configAudit.action, 'DELETE'), inArray(configAudit.entityId, gone)));
        for (const d of deleted) {
          const name = (d.before as { name?: unknown } | null)?.name;
          if (d.id && typeof name === 'string') names.set(d.id, `${name} (deleted)`);
        }
      }
    }
    const nameOf = (v: unknown) => (typeof v === 'string' ? (names.get(v) ?? null) : null);
    return changes.map((c) => ({ ...c, beforeName: REFERENCES.test(c.path) ? nameOf(c.before) : null, afterName: REFERENCES.test(c.path) ? nameOf(c.after) : null }));
  }

  async list(filter: ConfigAuditFilter, first: number, after?: string | null) {
    const limit = Math.min(Math.max(first, 1), 500);
    const where: SQL[] = [];
    if (filter.entityType) where.push(eq(configAudit.entityType, filter.entityType));
    if (filter.entityId) where.push(eq(configAudit.entityId, filter.entityId));
    const older = afterTimeCursor(configAudit.at, configAudit.id, after);
    if (older) where.push(older);
    const rows = await this.db
      .select({ entry: configAudit, actor: users, atText: sql<string>`${configAudit.at}::text` })
      .from(configAudit)
      .leftJoin(users, eq(users.id, configAudit.actorUserId))
      .where(and(...where))
      .orderBy(desc(configAudit.at), desc(configAudit.id))
      .limit(limit + 1);
    const edges = rows.slice(0, limit).map((r) => ({ cursor: encodeTimeCursor(r.atText, r.entry.id), node: { ...r.entry, actor: r.actor } as ConfigAuditEntry }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }
}
