import { asc, eq, inArray, max, sql } from 'drizzle-orm';
import type { Db, Queryable } from '../../db/client.js';
import { incomingRules, priorities, requestTypes } from '../../db/schema.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { isUuid } from '../../lib/uuid.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';

export type PriorityRow = typeof priorities.$inferSelect;
export type RequestTypeRow = typeof requestTypes.$inferSelect;

type ListTable = typeof priorities | typeof requestTypes;

const LISTS = {
  priority: { table: priorities, entityType: 'Priority', label: 'priority', ruleKey: 'priorityId' },
  requestType: { table: requestTypes, entityType: 'RequestType', label: 'request type', ruleKey: 'requestTypeId' },
} as const;

type ListName = keyof typeof LISTS;

/** What a fresh installation starts with; admins rename, reorder or delete them. */
export const DEFAULT_PRIORITIES = ['Low', 'Normal', 'High', 'Urgent'];
export const DEFAULT_REQUEST_TYPES = ['Incident', 'Service Request', 'Question'];

/**
 * The admin-managed lists tickets and rules pick their priority and request type from. A deleted
 * entry leaves its tickets without one (the foreign key) and disappears from rule actions.
 */
export class TicketListService {
  constructor(private readonly db: Db) {}

  priorities(): Promise<PriorityRow[]> {
    return this.db.select().from(priorities).orderBy(asc(priorities.position), asc(priorities.name));
  }

  requestTypes(): Promise<RequestTypeRow[]> {
    return this.db.select().from(requestTypes).orderBy(asc(requestTypes.name));
  }

  async priority(id: string): Promise<PriorityRow | undefined> {
    return isUuid(id) ? (await this.db.select().from(priorities).where(eq(priorities.id, id)))[0] : undefined;
  }

  async requestType(id: string): Promise<RequestTypeRow | undefined> {
    return isUuid(id) ? (await this.db.select().from(requestTypes).where(eq(requestTypes.id, id)))[0] : undefined;
  }

  /** An entry by id or, case-insensitively, by name (integrators and old rules name them). */
  async resolve(list: ListName, ref: { id?: string | null; name?: string | null }, q: Queryable = this.db): Promise<{ id: string; name: string } | undefined> {
    const table: ListTable = LISTS[list].table;
    const where = ref.id ? (isUuid(ref.id) ? eq(table.id, ref.id) : undefined) : ref.name?.trim() ? sql`lower(${table.name}) = lower(${ref.name.trim()})` : undefined;
    if (!where) return undefined;
    const [row] = await q.select({ id: table.id, name: table.name }).from(table).where(where);
    return row;
  }

  createPriority(name: string, actorUserId: string | null): Promise<PriorityRow | ValidationError> {
    return this.create('priority', name, actorUserId, async (tx, valid) => {
      const [{ last } = { last: null }] = await tx.select({ last: max(priorities.position) }).from(priorities);
      return (await tx.insert(priorities).values({ name: valid, position: (last ?? -1) + 1 }).returning())[0]!;
    });
  }

  createRequestType(name: string, actorUserId: string | null): Promise<RequestTypeRow | ValidationError> {
    return this.create('requestType', name, actorUserId, async (tx, valid) => (await tx.insert(requestTypes).values({ name: valid }).returning())[0]!);
  }

  async updatePriority(id: string, input: { name?: string | null; position?: number | null }, actorUserId: string | null): Promise<PriorityRow | ValidationError | NotFoundError> {
    const existing = await this.priority(id);
    if (!existing) return new NotFoundError('No such priority');
    const name = input.name == null ? existing.name : await this.validName('priority', input.name, id);
    if (name instanceof ValidationError) return name;
    if (input.position != null && (!Number.isInteger(input.position) || input.position < 0 || input.position > 10_000)) {
      return ValidationError.of([{ path: ['position'], message: 'A position from 0 to 10000' }]);
    }
    return this.db.transaction(async (tx) => {
      const [row] = await tx.update(priorities).set({ name, position: input.position ?? existing.position }).where(eq(priorities.id, id)).returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'Priority', entityId: id, action: 'UPDATE', before: existing, after: row });
      return row!;
    });
  }

  async renameRequestType(id: string, name: string, actorUserId: string | null): Promise<RequestTypeRow | ValidationError | NotFoundError> {
    const existing = await this.requestType(id);
    if (!existing) return new NotFoundError('No such request type');
    const valid = await this.validName('requestType', name, id);
    if (valid instanceof ValidationError) return valid;
    return this.db.transaction(async (tx) => {
      const [row] = await tx.update(requestTypes).set({ name: valid }).where(eq(requestTypes.id, id)).returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'RequestType', entityId: id, action: 'UPDATE', before: existing, after: row });
      return row!;
    });
  }

  async delete(list: ListName, id: string, actorUserId: string | null): Promise<{ id: string } | NotFoundError> {
    const { table, entityType, label, ruleKey } = LISTS[list];
    const existing = isUuid(id) ? (await this.db.select().from(table as ListTable).where(eq(table.id, id)))[0] : undefined;
    if (!existing) return new NotFoundError(`No such ${label}`);
    await this.db.transaction(async (tx) => {
      // Rule actions are JSON, out of the foreign key's reach.
      await tx.update(incomingRules).set({ actions: sql`${incomingRules.actions} - ${ruleKey}::text` }).where(sql`${incomingRules.actions}->>${ruleKey}::text = ${id}`);
      await tx.delete(table as ListTable).where(eq(table.id, id));
      await recordConfigChange(tx, { actorUserId, entityType, entityId: id, action: 'DELETE', before: existing });
    });
    return { id };
  }

  /** Names for ids, for history entries and rule actions. */
  async names(list: ListName, ids: (string | null | undefined)[], q: Queryable = this.db): Promise<Map<string, string>> {
    const wanted = [...new Set(ids.filter((id): id is string => Boolean(id) && isUuid(id!)))];
    if (!wanted.length) return new Map();
    const table: ListTable = LISTS[list].table;
    const rows = await q.select({ id: table.id, name: table.name }).from(table).where(inArray(table.id, wanted));
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** Creates the default lists once per installation (and the entries old rules and tickets named). */
  async seedDefaults(q: Queryable, extra: { priorities: string[]; requestTypes: string[] }): Promise<void> {
    // Case-insensitively once each, the first spelling kept (the default's "High" over an old rule's "HIGH").
    const names = (defaults: string[], more: string[]) => [...defaults, ...more].map((n) => n.trim()).filter((n, i, all) => n && all.findIndex((m) => m.toLowerCase() === n.toLowerCase()) === i);
    const p = names(DEFAULT_PRIORITIES, extra.priorities);
    if (p.length) await q.insert(priorities).values(p.map((name, position) => ({ name, position }))).onConflictDoNothing();
    const r = names(DEFAULT_REQUEST_TYPES, extra.requestTypes);
    if (r.length) await q.insert(requestTypes).values(r.map((name) => ({ name }))).onConflictDoNothing();
  }

  private async validName(list: ListName, name: string, exceptId?: string): Promise<string | ValidationError> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 100) return ValidationError.of([{ path: ['name'], message: 'Enter a name (1–100 characters)' }]);
    const clash = await this.resolve(list, { name: trimmed });
    if (clash && clash.id !== exceptId) return ValidationError.of([{ path: ['name'], message: `A ${LISTS[list].label} with this name exists` }]);
    return trimmed;
  }

  private async create<T extends { id: string }>(list: ListName, name: string, actorUserId: string | null, insert: (tx: Queryable, valid: string) => Promise<T>): Promise<T | ValidationError> {
    const valid = await this.validName(list, name);
    if (valid instanceof ValidationError) return valid;
    return this.db.transaction(async (tx) => {
      const row = await insert(tx, valid);
      await recordConfigChange(tx, { actorUserId, entityType: LISTS[list].entityType, entityId: row.id, action: 'CREATE', after: row });
      return row;
    });
  }
}
