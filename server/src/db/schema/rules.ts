import { boolean, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { id, createdAt, updatedAt } from './columns.js';

export type RuleField = 'MAILBOX' | 'FROM' | 'TO_CC' | 'SUBJECT' | 'DESCRIPTION';

export type RuleOperator = 'CONTAINS' | 'EQUALS' | 'STARTS_WITH' | 'ENDS_WITH' | 'REGEX';

export interface RuleCondition { field: RuleField; operator: RuleOperator; value: string }

export interface RuleActions {
  technicianGroupId?: string | null; categoryId?: string | null; requestTypeId?: string | null;
  priorityId?: string | null; companyId?: string | null;
  /** Free text from before the lists existed; moved to requestTypeId / priorityId at start (ticket-upgrade.ts). */
  requestType?: string | null; priority?: string | null;
}

export const incomingRules = pgTable('incoming_rules', {
  id: id(),
  name: text('name').notNull(),
  position: integer('position').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  match: text('match').$type<'ALL' | 'ANY'>().notNull().default('ALL'),
  conditions: jsonb('conditions').$type<RuleCondition[]>().notNull(),
  actions: jsonb('actions').$type<RuleActions>().notNull(),
  stopProcessing: boolean('stop_processing').notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index('incoming_rules_position').on(t.position)]);
