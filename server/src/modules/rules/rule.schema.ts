import { builder } from '../../graphql/builder.js';
import { DeleteResultRef, NotFoundErrorRef, ValidationErrorRef, okOrError, resultUnion } from '../../graphql/errors.js';
import type { RuleActions, RuleCondition } from '../../db/schema.js';
import { CategoryRef, TechnicianGroupRef } from '../catalog/catalog.schema.js';
import type { RuleRow } from './rule.service.js';

const RuleField = builder.enumType('RuleField', { values: ['MAILBOX', 'FROM', 'TO_CC', 'SUBJECT', 'DESCRIPTION'] as const });
const RuleOperator = builder.enumType('RuleOperator', { values: ['CONTAINS', 'EQUALS', 'STARTS_WITH', 'ENDS_WITH', 'REGEX'] as const });
const RuleMatch = builder.enumType('RuleMatch', { values: ['ALL', 'ANY'] as const });

const RuleConditionRef = builder.objectRef<RuleCondition>('RuleCondition').implement({
  fields: (t) => ({
    field: t.field({ type: RuleField, resolve: (c) => c.field }),
    operator: t.field({ type: RuleOperator, resolve: (c) => c.operator }),
    value: t.exposeString('value'),
  }),
});

export const RuleActionsRef = builder.objectRef<RuleActions>('RuleActions').implement({
  fields: (t) => ({
    technicianGroup: t.field({
      type: TechnicianGroupRef, nullable: true,
      resolve: async (a, _x, ctx) => (a.technicianGroupId ? ((await ctx.services.catalog.groups.get(a.technicianGroupId)) ?? null) : null),
    }),
    category: t.field({
      type: CategoryRef, nullable: true,
      resolve: async (a, _x, ctx) => (a.categoryId ? ((await ctx.services.catalog.categories.get(a.categoryId)) ?? null) : null),
    }),
    technicianGroupId: t.id({ nullable: true, resolve: (a) => a.technicianGroupId ?? null }),
    categoryId: t.id({ nullable: true, resolve: (a) => a.categoryId ?? null }),
    requestTypeId: t.id({ nullable: true, resolve: (a) => a.requestTypeId ?? null }),
    priorityId: t.id({ nullable: true, resolve: (a) => a.priorityId ?? null }),
    requestType: t.string({
      nullable: true, description: 'The request type\'s name (requestTypeId is the reference).',
      resolve: async (a, _x, ctx) => (a.requestTypeId ? ((await ctx.services.ticketLists.requestType(a.requestTypeId))?.name ?? null) : null),
    }),
    priority: t.string({
      nullable: true, description: 'The priority\'s name (priorityId is the reference).',
      resolve: async (a, _x, ctx) => (a.priorityId ? ((await ctx.services.ticketLists.priority(a.priorityId))?.name ?? null) : null),
    }),
    companyId: t.id({ nullable: true, resolve: (a) => a.companyId ?? null }),
  }),
});

export const IncomingEmailRuleRef = builder.objectRef<RuleRow>('IncomingEmailRule').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    position: t.exposeInt('position'),
    enabled: t.exposeBoolean('enabled'),
    match: t.field({ type: RuleMatch, resolve: (r) => r.match }),
    conditions: t.field({ type: [RuleConditionRef], resolve: (r) => r.conditions }),
    actions: t.field({ type: RuleActionsRef, resolve: (r) => r.actions }),
    stopProcessing: t.exposeBoolean('stopProcessing'),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const RuleConditionInput = builder.inputType('RuleConditionInput', {
  fields: (t) => ({
    field: t.field({ type: RuleField, required: true }),
    operator: t.field({ type: RuleOperator, required: true }),
    value: t.string({ required: true }),
  }),
});
const RuleActionsInput = builder.inputType('RuleActionsInput', {
  fields: (t) => ({
    technicianGroupId: t.id(),
    categoryId: t.id(),
    requestTypeId: t.id(),
    priorityId: t.id(),
    requestType: t.string({ description: 'A request type by name, instead of requestTypeId; it must be in the list.' }),
    priority: t.string({ description: 'A priority by name, instead of priorityId; it must be in the list.' }),
    companyId: t.id(),
  }),
});
const IncomingEmailRuleInput = builder.inputType('IncomingEmailRuleInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    enabled: t.boolean({ defaultValue: true }),
    match: t.field({ type: RuleMatch, defaultValue: 'ALL' }),
    conditions: t.field({ type: [RuleConditionInput], required: true }),
    actions: t.field({ type: RuleActionsInput, required: true }),
    stopProcessing: t.boolean({ defaultValue: false }),
  }),
});

const ruleResult = resultUnion('IncomingEmailRule', 'rule', IncomingEmailRuleRef, [ValidationErrorRef, NotFoundErrorRef]);
const rulesResult = resultUnion<RuleRow[], 'rules'>('IncomingEmailRules', 'rules', [IncomingEmailRuleRef], [ValidationErrorRef]);
const admin = { manageSupportChannels: true } as const;

const toInput = (input: { actions: Record<string, unknown> } & Record<string, unknown>) => ({
  ...input,
  actions: Object.fromEntries(Object.entries(input.actions).map(([k, v]) => [k, v == null ? null : String(v)])),
});

builder.queryFields((t) => ({
  incomingEmailRules: t.field({ type: [IncomingEmailRuleRef], authScopes: admin, resolve: (_r, _a, ctx) => ctx.services.rules.list() }),
}));

builder.mutationFields((t) => ({
  createIncomingEmailRule: t.field({
    type: ruleResult.union,
    authScopes: admin,
    args: { input: t.arg({ type: IncomingEmailRuleInput, required: true }) },
    resolve: async (_r, { input }, ctx) => okOrError(await ctx.services.rules.create(toInput(input as never), ctx.viewer!.user.id), ruleResult.ok),
  }),
  updateIncomingEmailRule: t.field({
    type: ruleResult.union,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: IncomingEmailRuleInput, required: true }) },
    resolve: async (_r, { id, input }, ctx) => okOrError(await ctx.services.rules.update(String(id), toInput(input as never), ctx.viewer!.user.id), ruleResult.ok),
  }),
  deleteIncomingEmailRule: t.field({
    type: DeleteResultRef,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.services.rules.delete(String(id), ctx.viewer!.user.id),
  }),
  reorderIncomingEmailRules: t.field({
    type: rulesResult.union,
    authScopes: admin,
    args: { ids: t.arg.idList({ required: true }) },
    resolve: async (_r, { ids }, ctx) => okOrError(await ctx.services.rules.reorder(ids.map(String), ctx.viewer!.user.id), rulesResult.ok),
  }),
}));
