import { desc } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { configAudit } from '../../db/schema.js';

const SECRET_KEY = /(password|secret|token|sealed)/i;

/** Deep copy with every secret-looking key replaced by a marker that says only whether it was set. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? (v ? '[redacted]' : null) : redactSecrets(v)]),
    );
  }
  return value;
}

export interface ConfigChange {
  actorUserId: string | null;
  entityType: string;
  entityId: string | null;
  action: 'CREATE' | 'UPDATE' | 'DELETE' | 'LOCKOUT';
  before?: unknown;
  after?: unknown;
}

export async function recordConfigChange(q: Queryable, change: ConfigChange): Promise<void> {
  await q.insert(configAudit).values({
    actorUserId: change.actorUserId,
    entityType: change.entityType,
    entityId: change.entityId,
    action: change.action,
    before: change.before === undefined ? null : redactSecrets(change.before),
    after: change.after === undefined ? null : redactSecrets(change.after),
  });
}

export function listConfigChanges(q: Queryable, limit = 100) {
  return q.select().from(configAudit).orderBy(desc(configAudit.at)).limit(limit);
}
