import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { configAudit, users } from '../../db/schema.js';
import { isUuid } from '../../lib/uuid.js';

export type ConfigAuditRow = typeof configAudit.$inferSelect;
export type ConfigAuditUser = typeof users.$inferSelect;
export interface ConfigAuditEntry extends ConfigAuditRow { actor: ConfigAuditUser | null }

export interface JsonChange { path: string; before: unknown; after: unknown }

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

// The cursor carries the database's own text of `at`: a JS Date would drop its microseconds and skip rows.
const encode = (at: string, id: string) => Buffer.from(`${at}|${id}`).toString('base64url');
const decode = (cursor: string) => {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  return at && id && isUuid(id) && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}(:?\d{2})?|Z)?$/.test(at) ? { at, id } : null;
};

export interface ConfigAuditFilter { entityType?: string | null; entityId?: string | null }

/** The configuration audit trail, newest first, with the acting user. */
export class ConfigAuditTrail {
  constructor(private readonly db: Db) {}

  async list(filter: ConfigAuditFilter, first: number, after?: string | null) {
    const limit = Math.min(Math.max(first, 1), 500);
    const where: SQL[] = [];
    if (filter.entityType) where.push(eq(configAudit.entityType, filter.entityType));
    if (filter.entityId) where.push(eq(configAudit.entityId, filter.entityId));
    const cursor = after ? decode(after) : null;
    if (cursor) {
      const at = sql`${cursor.at}::timestamptz`;
      where.push(or(lt(configAudit.at, at), and(eq(configAudit.at, at), lt(configAudit.id, cursor.id)))!);
    }
    const rows = await this.db
      .select({ entry: configAudit, actor: users, atText: sql<string>`${configAudit.at}::text` })
      .from(configAudit)
      .leftJoin(users, eq(users.id, configAudit.actorUserId))
      .where(and(...where))
      .orderBy(desc(configAudit.at), desc(configAudit.id))
      .limit(limit + 1);
    const edges = rows.slice(0, limit).map((r) => ({ cursor: encode(r.atText, r.entry.id), node: { ...r.entry, actor: r.actor } as ConfigAuditEntry }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }
}
