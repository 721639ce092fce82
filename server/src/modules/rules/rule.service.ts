import { asc, eq, max } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { appSettings, categories, companies, incomingRules, technicianGroups, type RuleActions, type RuleCondition } from '../../db/schema.js';
import { NotFoundError, ValidationError, type FieldError } from '../../lib/errors.js';
import { validateRule, type RuleInput } from '../../ingest/steps/rules.js';
import type { TicketListService } from '../catalog/ticket-lists.service.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { isUuid } from '../../lib/uuid.js';

export type RuleRow = typeof incomingRules.$inferSelect;

export interface RuleInputValue extends RuleInput {
  enabled?: boolean | null;
  /** Priority and request type may also be named, as rules did before the lists existed. */
  actions?: (RuleInput['actions'] & { priority?: string | null; requestType?: string | null }) | null;
}

/** Incoming email rules: ordered, each change in the configuration audit trail. */
export class RuleService {
  constructor(private readonly db: Db, private readonly lists: TicketListService) {}

  list(): Promise<RuleRow[]> {
    return this.db.select().from(incomingRules).orderBy(asc(incomingRules.position), asc(incomingRules.createdAt));
  }

  async get(id: string): Promise<RuleRow | undefined> {
    if (!isUuid(id)) return undefined;
    return (await this.db.select().from(incomingRules).where(eq(incomingRules.id, id)))[0];
  }

  async create(input: RuleInputValue, actorUserId: string | null): Promise<RuleRow | ValidationError> {
    const values = await this.validate(input);
    if (values instanceof ValidationError) return values;
    return this.db.transaction(async (tx) => {
      const [{ last } = { last: null }] = await tx.select({ last: max(incomingRules.position) }).from(incomingRules);
      const [row] = await tx.insert(incomingRules).values({ ...values, position: (last ?? -1) + 1 }).returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'IncomingEmailRule', entityId: row!.id, action: 'CREATE', after: row });
      return row!;
    });
  }

  async update(id: string, input: RuleInputValue, actorUserId: string | null): Promise<RuleRow | ValidationError | NotFoundError> {
    const existing = await this.get(id);
    if (!existing) return new NotFoundError('No such rule');
    const values = await this.validate(input);
    if (values instanceof ValidationError) return values;
    return this.db.transaction(async (tx) => {
      const [row] = await tx.update(incomingRules).set({ ...values, updatedAt: new Date() }).where(eq(incomingRules.id, id)).returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'IncomingEmailRule', entityId: id, action: 'UPDATE', before: existing, after: row });
      return row!;
    });
  }

  async delete(id: string, actorUserId: string | null): Promise<{ id: string } | NotFoundError> {
    const existing = await this.get(id);
    if (!existing) return new NotFoundError('No such rule');
    await this.db.transaction(async (tx) => {
      await tx.delete(incomingRules).where(eq(incomingRules.id, id));
      await recordConfigChange(tx, { actorUserId, entityType: 'IncomingEmailRule', entityId: id, action: 'DELETE', before: existing });
    });
    return { id };
  }

  /** The new order is the whole list of rule ids, first applied first. */
  async reorder(ids: string[], actorUserId: string | null): Promise<RuleRow[] | ValidationError> {
    const current = await this.list();
    const known = new Set(current.map((r) => r.id));
    if (ids.length !== current.length || new Set(ids).size !== ids.length || ids.some((id) => !known.has(id))) {
      return ValidationError.of([{ path: ['ids'], message: 'Give every rule exactly once, in the new order' }]);
    }
    await this.db.transaction(async (tx) => {
      for (const [position, id] of ids.entries()) await tx.update(incomingRules).set({ position }).where(eq(incomingRules.id, id));
      await recordConfigChange(tx, {
        actorUserId, entityType: 'IncomingEmailRule', entityId: null, action: 'UPDATE',
        before: { order: current.map((r) => r.name) },
        after: { order: ids.map((id) => current.find((r) => r.id === id)!.name) },
      });
    });
    return this.list();
  }

  private async validate(input: RuleInputValue) {
    const given = input.actions ?? {};
    const errors: FieldError[] = [];
    const listed = async (list: 'priority' | 'requestType', idKey: 'priorityId' | 'requestTypeId', label: string) => {
      const id = given[idKey] || null;
      const name = given[list]?.trim() || null;
      if (!id && !name) return null;
      const found = await this.lists.resolve(list, { id, name });
      if (!found) errors.push({ path: ['actions', id ? idKey : list], message: `Unknown ${label}${name && !id ? ` "${name}": add it to the list first` : ''}` });
      return found?.id ?? null;
    };
    const actions: RuleActions = {
      technicianGroupId: given.technicianGroupId || null,
      categoryId: given.categoryId || null,
      requestTypeId: await listed('requestType', 'requestTypeId', 'request type'),
      priorityId: await listed('priority', 'priorityId', 'priority'),
      companyId: given.companyId || null,
    };
    const ruleErrors = validateRule({ ...input, actions });
    // An unknown name was reported above; "set at least one action" would only repeat it.
    errors.push(...(errors.length ? ruleErrors.filter((e) => e.path.join('.') !== 'actions') : ruleErrors));
    const exists = async (table: typeof technicianGroups | typeof categories | typeof companies, id: string) =>
      isUuid(id) && (await this.db.select({ id: table.id }).from(table).where(eq(table.id, id))).length > 0;
    if (actions.technicianGroupId && !(await exists(technicianGroups, actions.technicianGroupId))) errors.push({ path: ['actions', 'technicianGroupId'], message: 'Unknown technician group' });
    if (actions.categoryId && !(await exists(categories, actions.categoryId))) errors.push({ path: ['actions', 'categoryId'], message: 'Unknown category' });
    if (actions.companyId) {
      const [settings] = await this.db.select().from(appSettings);
      if (!settings?.mspEnabled) errors.push({ path: ['actions', 'companyId'], message: 'Companies are available only with the Managed Services Provider feature on' });
      else if (!(await exists(companies, actions.companyId))) errors.push({ path: ['actions', 'companyId'], message: 'Unknown company' });
    }
    if (errors.length) return ValidationError.of(errors);
    return {
      name: input.name!.trim(),
      enabled: input.enabled ?? true,
      match: (input.match ?? 'ALL') as 'ALL' | 'ANY',
      conditions: (input.conditions ?? []).map((c) => ({ field: c!.field, operator: c!.operator, value: c!.value!.trim() }) as RuleCondition),
      actions,
      stopProcessing: input.stopProcessing ?? false,
    };
  }
}
