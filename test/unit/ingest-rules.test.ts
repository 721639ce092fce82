import { describe, expect, it } from 'vitest';
import {
  conditionHolds, evaluateRules, validateRule, type RuleRow, type RuleSubject,
} from '../../server/src/ingest/steps/rules.ts';

const subject: RuleSubject = {
  mailbox: 'support@help.example',
  from: { address: 'ceo@vip.example', name: 'Carol Chief' },
  toCc: [{ address: 'support@help.example', name: null }, { address: 'finance@help.example', name: 'Finance Team' }],
  subject: 'Invoice 2025-031 overdue',
  description: 'Hello,\nour invoice INV-2025-031 is overdue.\nThanks',
};

let nextPosition = 0;
const rule = (over: Partial<RuleRow>): RuleRow => ({
  id: `r${nextPosition}`, name: `rule ${nextPosition}`, position: nextPosition++, enabled: true, match: 'ALL',
  conditions: [], actions: {}, stopProcessing: false, createdAt: new Date(0), updatedAt: new Date(0), ...over,
});

describe('conditionHolds', () => {
  it.each([
    [{ field: 'MAILBOX', operator: 'EQUALS', value: ' Support@Help.example ' }, true],
    [{ field: 'FROM', operator: 'ENDS_WITH', value: '@vip.example' }, true],
    [{ field: 'FROM', operator: 'CONTAINS', value: 'carol' }, true], // display name
    [{ field: 'FROM', operator: 'EQUALS', value: 'vip.example' }, false],
    [{ field: 'TO_CC', operator: 'EQUALS', value: 'finance@help.example' }, true],
    [{ field: 'TO_CC', operator: 'STARTS_WITH', value: 'Finance' }, true],
    [{ field: 'SUBJECT', operator: 'STARTS_WITH', value: 'invoice' }, true],
    [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'refund' }, false],
    [{ field: 'DESCRIPTION', operator: 'CONTAINS', value: 'INV-2025' }, true],
    [{ field: 'DESCRIPTION', operator: 'REGEX', value: String.raw`\binv-\d{4}-\d{3}\b` }, true],
    [{ field: 'SUBJECT', operator: 'REGEX', value: '^invoice \\d+' }, true],
    [{ field: 'SUBJECT', operator: 'REGEX', value: '(a+)+\\1' }, false], // backreference: not RE2, never throws
    [{ field: 'SUBJECT', operator: 'REGEX', value: '([' }, false],
    [{ field: 'SUBJECT', operator: 'CONTAINS', value: '   ' }, false],
  ] as const)('%o → %s', (condition, expected) => {
    expect(conditionHolds({ ...condition }, subject)).toBe(expected);
  });

  it('stays linear on a pattern that makes backtracking engines explode', () => {
    const evil = { ...subject, description: `${'a'.repeat(50_000)}!` };
    const started = performance.now();
    expect(conditionHolds({ field: 'DESCRIPTION', operator: 'REGEX', value: '^(a+)+$' }, evil)).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('evaluateRules', () => {
  it('applies matching rules in position order, later ones overriding field by field', () => {
    const vip = rule({ name: 'VIP customers', position: 1, conditions: [{ field: 'FROM', operator: 'ENDS_WITH', value: '@vip.example' }], actions: { technicianGroupId: 'g-vip', priorityId: 'p-high' } });
    const invoices = rule({ name: 'Invoices', position: 2, conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'invoice' }], actions: { technicianGroupId: 'g-finance', categoryId: 'c-billing' } });
    const run = evaluateRules([invoices, vip], subject);
    expect(run.set).toEqual({ technicianGroupId: 'g-finance', categoryId: 'c-billing', priorityId: 'p-high' });
    expect(run.setBy.technicianGroupId?.name).toBe('Invoices');
    expect(run.setBy.priorityId?.name).toBe('VIP customers');
    expect(run.matched.map((r) => r.name)).toEqual(['VIP customers', 'Invoices']);
    expect(run.log[0]).toBe('rule "VIP customers" matched (all of: FROM ends with "@vip.example") and set technician group, priority');
  });

  it('stops after a matching rule with stop processing', () => {
    const first = rule({ name: 'VIP stop', position: 1, stopProcessing: true, conditions: [{ field: 'FROM', operator: 'CONTAINS', value: 'vip' }], actions: { technicianGroupId: 'g-vip' } });
    const second = rule({ name: 'Invoices', position: 2, conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'invoice' }], actions: { technicianGroupId: 'g-finance' } });
    const run = evaluateRules([first, second], subject);
    expect(run.set).toEqual({ technicianGroupId: 'g-vip' });
    expect(run.stoppedBy?.name).toBe('VIP stop');
  });

  it('does not stop on a non-matching rule with stop processing', () => {
    const first = rule({ position: 1, stopProcessing: true, conditions: [{ field: 'FROM', operator: 'CONTAINS', value: 'nobody' }], actions: { technicianGroupId: 'g-x' } });
    const second = rule({ position: 2, conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'invoice' }], actions: { categoryId: 'c-billing' } });
    expect(evaluateRules([first, second], subject).set).toEqual({ categoryId: 'c-billing' });
  });

  it('honours ALL versus ANY', () => {
    const conditions = [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'invoice' }, { field: 'FROM', operator: 'CONTAINS', value: 'nobody' }] as const;
    expect(evaluateRules([rule({ match: 'ALL', conditions: [...conditions], actions: { priorityId: 'p-low' } })], subject).matched).toHaveLength(0);
    expect(evaluateRules([rule({ match: 'ANY', conditions: [...conditions], actions: { priorityId: 'p-low' } })], subject).set).toEqual({ priorityId: 'p-low' });
  });

  it('skips disabled rules and rules without conditions', () => {
    const disabled = rule({ enabled: false, conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'invoice' }], actions: { priorityId: 'p-low' } });
    const empty = rule({ conditions: [], actions: { priorityId: 'p-high' } });
    expect(evaluateRules([disabled, empty], subject).set).toEqual({});
  });

  it('treats an invalid stored regex as a false condition', () => {
    const bad = rule({ name: 'Broken', conditions: [{ field: 'SUBJECT', operator: 'REGEX', value: '(?<=x)' }], actions: { priorityId: 'p-high' } });
    const run = evaluateRules([bad], subject);
    expect(run.matched).toEqual([]);
    expect(run.log).toEqual(['rule "Broken" did not match (failed: SUBJECT regex "(?<=x)")']);
  });
});

describe('validateRule', () => {
  const valid = { name: 'VIP customers', match: 'ALL', conditions: [{ field: 'FROM', operator: 'ENDS_WITH', value: '@vip.example' }], actions: { technicianGroupId: 'g-vip' } };

  it('accepts a complete rule', () => {
    expect(validateRule(valid)).toEqual([]);
  });

  it('reports every problem with its path at once', () => {
    expect(validateRule({
      name: ' ', match: 'SOME',
      conditions: [{ field: 'BODY', operator: 'LIKE', value: 'x' }, { field: 'SUBJECT', operator: 'REGEX', value: '(unclosed' }, { field: 'SUBJECT', operator: 'EQUALS', value: '' }],
      actions: {},
    }).map((e) => e.path.join('.'))).toEqual([
      'name', 'match', 'conditions.0.field', 'conditions.0.operator', 'conditions.1.value', 'conditions.2.value', 'actions',
    ]);
  });

  it('explains a regex RE2 does not support', () => {
    const [error] = validateRule({ ...valid, conditions: [{ field: 'SUBJECT', operator: 'REGEX', value: '(a)\\1' }] });
    expect(error?.path).toEqual(['conditions', '0', 'value']);
    expect(error?.message).toMatch(/^Not a valid regular expression.*RE2 syntax/);
  });

  it('requires a condition, and an action unless the rule only stops processing', () => {
    expect(validateRule({ ...valid, conditions: [] }).map((e) => e.path.join('.'))).toEqual(['conditions']);
    expect(validateRule({ ...valid, actions: {}, stopProcessing: true })).toEqual([]);
  });
});
