import { describe, expect, it } from 'vitest';
import type { IncomingEmailRuleFieldsFragment } from '@/graphql/generated/graphql';
import { describeActions, describeConditions, emptyRuleForm, moveItem, ruleFormFrom, ruleInputFrom, ruleInputOf } from './ruleForm';

const rule: IncomingEmailRuleFieldsFragment = {
  id: 'r1',
  name: 'Billing',
  position: 0,
  enabled: true,
  match: 'ANY',
  stopProcessing: true,
  updatedAt: '2026-01-01T00:00:00Z',
  conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'invoice' }],
  actions: {
    technicianGroupId: 'g1',
    technicianGroup: { id: 'g1', name: 'Billing' },
    categoryId: null,
    category: null,
    companyId: null,
    priority: 'High',
    requestType: null,
  },
};

describe('ruleInputFrom', () => {
  it('round-trips a saved rule', () => {
    const { input } = ruleInputFrom(ruleFormFrom(rule));
    expect(input).toEqual(ruleInputOf(rule));
  });

  it('names the condition line whose value is missing or not a regex', () => {
    const form = { ...emptyRuleForm(), name: 'x', priority: 'High' };
    form.conditions.push({ key: 99, field: 'FROM', operator: 'REGEX', value: '(' });
    const { input, errors } = ruleInputFrom(form);
    expect(input).toBeNull();
    expect(errors.map((e) => e.path.join('.'))).toEqual(['conditions.0.value', 'conditions.1.value']);
  });

  it('asks for an action unless the rule only stops processing', () => {
    const form = { ...emptyRuleForm(), name: 'n' };
    form.conditions[0]!.value = 'a';
    expect(ruleInputFrom(form).errors.map((e) => e.path.join('.'))).toEqual(['actions']);
  });

  it('sends empty actions as null', () => {
    const form = { ...emptyRuleForm(), name: 'n', stopProcessing: true };
    form.conditions[0]!.value = 'a';
    expect(ruleInputFrom(form).input?.actions).toEqual({
      technicianGroupId: null,
      categoryId: null,
      companyId: null,
      priority: null,
      requestType: null,
    });
  });
});

describe('moveItem', () => {
  it('moves up and down and ignores moves off the ends', () => {
    expect(moveItem(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(moveItem(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveItem(['a', 'b'], 0, -1)).toEqual(['a', 'b']);
  });
});

describe('describeConditions / describeActions', () => {
  it('reads like a sentence', () => {
    expect(describeConditions(rule)).toBe('subject contains “invoice”');
    expect(describeConditions({ match: 'ALL', conditions: [...rule.conditions, { field: 'FROM', operator: 'ENDS_WITH', value: '@acme.example' }] })).toBe(
      'subject contains “invoice” and from ends with “@acme.example”',
    );
    expect(describeActions(rule.actions)).toBe('group Billing, priority High');
  });
});
