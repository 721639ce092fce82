import type {
  IncomingEmailRuleFieldsFragment,
  IncomingEmailRuleInput,
  RuleField,
  RuleMatch,
  RuleOperator,
} from '@/graphql/generated/graphql';
import { regexProblem } from '@/lib/regexCheck';

export interface RuleConditionForm {
  /** Local key for v-for; conditions have no id of their own. */
  key: number;
  field: RuleField;
  operator: RuleOperator;
  value: string;
}

export interface RuleFormState {
  name: string;
  enabled: boolean;
  match: RuleMatch;
  stopProcessing: boolean;
  conditions: RuleConditionForm[];
  technicianGroupId: string;
  categoryId: string;
  companyId: string;
  priority: string;
  requestType: string;
}

let nextKey = 1;

export function emptyCondition(): RuleConditionForm {
  return { key: nextKey++, field: 'SUBJECT', operator: 'CONTAINS', value: '' };
}

export function emptyRuleForm(): RuleFormState {
  return {
    name: '',
    enabled: true,
    match: 'ALL',
    stopProcessing: false,
    conditions: [emptyCondition()],
    technicianGroupId: '',
    categoryId: '',
    companyId: '',
    priority: '',
    requestType: '',
  };
}

export function ruleFormFrom(rule: IncomingEmailRuleFieldsFragment): RuleFormState {
  return {
    name: rule.name,
    enabled: rule.enabled,
    match: rule.match,
    stopProcessing: rule.stopProcessing,
    conditions: rule.conditions.map((c) => ({ key: nextKey++, field: c.field, operator: c.operator, value: c.value })),
    technicianGroupId: rule.actions.technicianGroupId ?? '',
    categoryId: rule.actions.categoryId ?? '',
    companyId: rule.actions.companyId ?? '',
    priority: rule.actions.priority ?? '',
    requestType: rule.actions.requestType ?? '',
  };
}

const orNull = (value: string): string | null => (value.trim() === '' ? null : value.trim());

/** Regex values are checked here too, with RE2 as the server does, so a typo is caught before the rule goes live. */
export function ruleInputFrom(state: RuleFormState): {
  input: IncomingEmailRuleInput | null;
  errors: { path: string[]; message: string }[];
} {
  const errors: { path: string[]; message: string }[] = [];
  if (!state.name.trim()) errors.push({ path: ['name'], message: 'Name the rule.' });
  state.conditions.forEach((condition, index) => {
    if (!condition.value.trim()) {
      errors.push({ path: ['conditions', String(index), 'value'], message: 'Enter a value to compare with.' });
    } else if (condition.operator === 'REGEX') {
      const problem = regexProblem(condition.value.trim());
      if (problem) errors.push({ path: ['conditions', String(index), 'value'], message: problem.message });
    }
  });
  const acts = [state.technicianGroupId, state.categoryId, state.companyId, state.priority, state.requestType];
  if (!state.stopProcessing && acts.every((value) => value.trim() === '')) {
    errors.push({ path: ['actions'], message: 'Set at least one action, or make the rule stop processing further rules.' });
  }
  if (errors.length) return { input: null, errors };
  return {
    input: {
      name: state.name.trim(),
      enabled: state.enabled,
      match: state.match,
      stopProcessing: state.stopProcessing,
      conditions: state.conditions.map(({ field, operator, value }) => ({ field, operator, value: value.trim() })),
      actions: {
        technicianGroupId: orNull(state.technicianGroupId),
        categoryId: orNull(state.categoryId),
        companyId: orNull(state.companyId),
        priority: orNull(state.priority),
        requestType: orNull(state.requestType),
      },
    },
    errors,
  };
}

/** The same rule as an input, e.g. to flip `enabled` from the list without opening the editor. */
export function ruleInputOf(rule: IncomingEmailRuleFieldsFragment, patch: Partial<IncomingEmailRuleInput> = {}): IncomingEmailRuleInput {
  return {
    name: rule.name,
    enabled: rule.enabled,
    match: rule.match,
    stopProcessing: rule.stopProcessing,
    conditions: rule.conditions.map(({ field, operator, value }) => ({ field, operator, value })),
    actions: {
      technicianGroupId: rule.actions.technicianGroupId ?? null,
      categoryId: rule.actions.categoryId ?? null,
      companyId: rule.actions.companyId ?? null,
      priority: rule.actions.priority ?? null,
      requestType: rule.actions.requestType ?? null,
    },
    ...patch,
  };
}

/** Moves the item at `from` to `to` (both indices in the original list). */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const next = [...list];
  if (from < 0 || from >= next.length || to < 0 || to >= next.length || from === to) return next;
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item as T);
  return next;
}

const fieldNames: Record<RuleField, string> = {
  MAILBOX: 'mailbox',
  FROM: 'from',
  TO_CC: 'to/cc',
  SUBJECT: 'subject',
  DESCRIPTION: 'description',
};
const operatorNames: Record<RuleOperator, string> = {
  CONTAINS: 'contains',
  EQUALS: 'is',
  STARTS_WITH: 'starts with',
  ENDS_WITH: 'ends with',
  REGEX: 'matches',
};

/** "subject contains “invoice” or from ends with “@acme.example”". */
export function describeConditions(rule: Pick<IncomingEmailRuleFieldsFragment, 'conditions' | 'match'>): string {
  if (rule.conditions.length === 0) return 'every message';
  const joiner = rule.match === 'ALL' ? ' and ' : ' or ';
  return rule.conditions
    .map((c) => `${fieldNames[c.field]} ${operatorNames[c.operator]} “${c.value}”`)
    .join(joiner);
}

/** "group Billing, priority High" — what a matching rule sets. */
export function describeActions(
  actions: IncomingEmailRuleFieldsFragment['actions'],
  companyName?: (id: string) => string | undefined,
): string {
  const parts: string[] = [];
  if (actions.technicianGroup) parts.push(`group ${actions.technicianGroup.name}`);
  if (actions.category) parts.push(`category ${actions.category.name}`);
  if (actions.requestType) parts.push(`type ${actions.requestType}`);
  if (actions.priority) parts.push(`priority ${actions.priority}`);
  if (actions.companyId) parts.push(`company ${companyName?.(actions.companyId) ?? 'set'}`);
  return parts.length ? parts.join(', ') : 'nothing (no actions)';
}
