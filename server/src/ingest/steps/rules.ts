import { RE2JS } from 're2js';
import type { RuleCondition, RuleField, RuleOperator, incomingRules } from '../../db/schema.js';
import type { FieldError } from '../../lib/errors.js';
import type { ParsedMessage } from '../parse.js';

/**
 * SPEC §4 step 8, incoming email rules. Enabled rules run in `position` order; a rule matches when
 * all (ALL) or any (ANY) of its conditions hold; each matching rule sets the route fields its
 * actions name, so a later rule overrides an earlier one field by field, and a matching rule with
 * "stop processing" ends the run. Fields no rule set fall back to the server's defaults.
 *
 * Text comparisons ignore case and surrounding whitespace. REGEX runs on RE2 (re2js), whose
 * matching time is linear in the input, so an admin's pattern cannot hang ingestion; patterns and
 * inputs are capped as well, and a pattern that does not compile makes its condition false.
 */

export type RuleRow = typeof incomingRules.$inferSelect;

export const RULE_FIELDS: readonly RuleField[] = ['MAILBOX', 'FROM', 'TO_CC', 'SUBJECT', 'DESCRIPTION'];
export const RULE_OPERATORS: readonly RuleOperator[] = ['CONTAINS', 'EQUALS', 'STARTS_WITH', 'ENDS_WITH', 'REGEX'];
export const ROUTE_FIELDS = ['technicianGroupId', 'categoryId', 'requestTypeId', 'priorityId', 'companyId'] as const;
export type RouteField = (typeof ROUTE_FIELDS)[number];

export const MAX_CONDITIONS = 50;
export const MAX_CONDITION_VALUE = 1000;
export const MAX_REGEX_LENGTH = 500;
/** A condition looks at this much of a field (a description can be megabytes). */
export const MAX_MATCH_INPUT = 100_000;

export interface RuleSubject {
  /** The address of the mailbox the message came in through. */
  mailbox: string;
  from: { address: string; name: string | null } | null;
  toCc: { address: string; name: string | null }[];
  subject: string;
  description: string;
}

export function ruleSubjectOf(msg: Pick<ParsedMessage, 'from' | 'to' | 'cc' | 'subject' | 'text'>, mailbox: string): RuleSubject {
  return { mailbox, from: msg.from, toCc: [...msg.to, ...msg.cc], subject: msg.subject, description: msg.text };
}

export type Route = Record<RouteField, string | null>;

export interface RuleRun {
  /** Only the fields some rule set. */
  set: Partial<Route>;
  /** Which rule set each field (for the audit reason). */
  setBy: Partial<Record<RouteField, { id: string; name: string }>>;
  matched: { id: string; name: string }[];
  /** One line per rule looked at, in order. */
  log: string[];
  stoppedBy: { id: string; name: string } | null;
}

export function evaluateRules(rules: RuleRow[], subject: RuleSubject): RuleRun {
  const run: RuleRun = { set: {}, setBy: {}, matched: [], log: [], stoppedBy: null };
  const ordered = rules.filter((r) => r.enabled).sort((a, b) => a.position - b.position);
  for (const rule of ordered) {
    const result = ruleMatches(rule, subject);
    if (!result.matched) {
      run.log.push(`rule "${rule.name}" did not match${result.detail ? ` (${result.detail})` : ''}`);
      continue;
    }
    const ref = { id: rule.id, name: rule.name };
    run.matched.push(ref);
    const applied: string[] = [];
    for (const field of ROUTE_FIELDS) {
      const value = rule.actions?.[field];
      if (typeof value === 'string' && value.trim()) {
        run.set[field] = value;
        run.setBy[field] = ref;
        applied.push(ACTION_LABEL[field]);
      }
    }
    run.log.push(`rule "${rule.name}" matched (${result.detail})${applied.length ? ` and set ${applied.join(', ')}` : ''}`);
    if (rule.stopProcessing) {
      run.stoppedBy = ref;
      run.log.push(`rule "${rule.name}" stops processing further rules`);
      break;
    }
  }
  return run;
}

const ACTION_LABEL: Record<RouteField, string> = {
  technicianGroupId: 'technician group', categoryId: 'category', requestTypeId: 'request type', priorityId: 'priority', companyId: 'company',
};
export function actionLabel(field: RouteField): string {
  return ACTION_LABEL[field];
}

function ruleMatches(rule: RuleRow, subject: RuleSubject): { matched: boolean; detail: string } {
  const conditions = Array.isArray(rule.conditions) ? rule.conditions : [];
  if (conditions.length === 0) return { matched: false, detail: 'it has no conditions' };
  const results = conditions.map((c) => ({ c, ok: conditionHolds(c, subject) }));
  const any = rule.match === 'ANY';
  const matched = any ? results.some((r) => r.ok) : results.every((r) => r.ok);
  const shown = results.filter((r) => r.ok === matched).map((r) => describeCondition(r.c));
  const detail = matched
    ? `${any ? 'any' : 'all'} of: ${shown.join('; ')}`
    : any ? 'no condition held' : `failed: ${shown.join('; ')}`;
  return { matched, detail };
}

export function describeCondition(c: RuleCondition): string {
  return `${c.field} ${c.operator.replace('_', ' ').toLowerCase()} "${c.value}"`;
}

/** Whether one condition holds. Never throws: an unknown field/operator or a bad regex is false. */
export function conditionHolds(c: RuleCondition, subject: RuleSubject): boolean {
  const values = fieldValues(c.field, subject);
  if (values.length === 0) return false;
  if (c.operator === 'REGEX') {
    const re = compileRegex(c.value);
    return re !== null && values.some((v) => re.test(v.slice(0, MAX_MATCH_INPUT)));
  }
  const needle = normalize(c.value);
  if (!needle) return false;
  const test = TEXT_OPERATORS[c.operator];
  return test !== undefined && values.some((v) => test(normalize(v.slice(0, MAX_MATCH_INPUT)), needle));
}

const normalize = (s: string) => s.trim().toLowerCase();

const TEXT_OPERATORS: Partial<Record<RuleOperator, (value: string, needle: string) => boolean>> = {
  CONTAINS: (v, n) => v.includes(n),
  EQUALS: (v, n) => v === n,
  STARTS_WITH: (v, n) => v.startsWith(n),
  ENDS_WITH: (v, n) => v.endsWith(n),
};

/** FROM and TO_CC hold when the address or the display name satisfies the condition. */
function fieldValues(field: RuleField, s: RuleSubject): string[] {
  const person = (a: { address: string; name: string | null }) => (a.name ? [a.address, a.name] : [a.address]);
  switch (field) {
    case 'MAILBOX': return [s.mailbox];
    case 'FROM': return s.from ? person(s.from) : [];
    case 'TO_CC': return s.toCc.flatMap(person);
    case 'SUBJECT': return [s.subject];
    case 'DESCRIPTION': return [s.description];
    default: return [];
  }
}

const regexCache = new Map<string, RE2JS | null>();

/** RE2 syntax, case-insensitive like the other operators. Null when it does not compile or is too long. */
export function compileRegex(pattern: string): RE2JS | null {
  if (regexCache.has(pattern)) return regexCache.get(pattern)!;
  let compiled: RE2JS | null = null;
  if (pattern.length > 0 && pattern.length <= MAX_REGEX_LENGTH) {
    try {
      compiled = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
    } catch {
      compiled = null;
    }
  }
  if (regexCache.size > 1000) regexCache.clear();
  regexCache.set(pattern, compiled);
  return compiled;
}

function regexError(pattern: string): string | null {
  if (pattern.length > MAX_REGEX_LENGTH) return `A regular expression can be at most ${MAX_REGEX_LENGTH} characters`;
  try {
    RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
    return null;
  } catch (err) {
    const detail = (err as Error).message?.replace(/\s+/g, ' ').trim();
    return `Not a valid regular expression${detail ? `: ${detail}` : ''} (RE2 syntax: no backreferences or lookaround)`;
  }
}

export interface RuleInput {
  name?: string | null;
  match?: string | null;
  conditions?: ({ field?: string | null; operator?: string | null; value?: string | null } | null)[] | null;
  actions?: Partial<Record<RouteField, string | null>> | null;
  stopProcessing?: boolean | null;
}

/** Field errors for the rules CRUD, all at once; an empty list means the rule can be saved. */
export function validateRule(input: RuleInput): FieldError[] {
  const errors: FieldError[] = [];
  const name = input.name?.trim() ?? '';
  if (!name) errors.push({ path: ['name'], message: 'Enter a name for the rule' });
  else if (name.length > 200) errors.push({ path: ['name'], message: 'A rule name can be at most 200 characters' });

  if (input.match != null && input.match !== 'ALL' && input.match !== 'ANY') {
    errors.push({ path: ['match'], message: 'Match must be ALL or ANY' });
  }

  const conditions = input.conditions ?? [];
  if (conditions.length === 0) errors.push({ path: ['conditions'], message: 'Add at least one condition' });
  if (conditions.length > MAX_CONDITIONS) errors.push({ path: ['conditions'], message: `A rule can have at most ${MAX_CONDITIONS} conditions` });
  conditions.slice(0, MAX_CONDITIONS).forEach((c, i) => {
    const at = (k: string) => ['conditions', String(i), k];
    if (!c) { errors.push({ path: ['conditions', String(i)], message: 'Missing condition' }); return; }
    if (!RULE_FIELDS.includes(c.field as RuleField)) errors.push({ path: at('field'), message: `Field must be one of ${RULE_FIELDS.join(', ')}` });
    if (!RULE_OPERATORS.includes(c.operator as RuleOperator)) errors.push({ path: at('operator'), message: `Operator must be one of ${RULE_OPERATORS.join(', ')}` });
    const value = c.value ?? '';
    if (!value.trim()) errors.push({ path: at('value'), message: 'Enter a value' });
    else if (value.length > MAX_CONDITION_VALUE) errors.push({ path: at('value'), message: `A value can be at most ${MAX_CONDITION_VALUE} characters` });
    else if (c.operator === 'REGEX') {
      const problem = regexError(value);
      if (problem) errors.push({ path: at('value'), message: problem });
    }
  });

  const actions = input.actions ?? {};
  const anyAction = ROUTE_FIELDS.some((f) => typeof actions[f] === 'string' && actions[f]!.trim());
  if (!anyAction && !input.stopProcessing) {
    errors.push({ path: ['actions'], message: 'Set at least one action (or make the rule stop processing further rules)' });
  }
  return errors;
}
