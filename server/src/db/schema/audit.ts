import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { id } from './columns.js';
import { users } from './auth.js';
import { incomingServers } from './mail-servers.js';
import { tickets, messages } from './tickets.js';

export type EmailOutcome =
  | 'TICKET_CREATED' | 'APPENDED' | 'FILTERED' | 'DUPLICATE' | 'AUTO_REPLY' | 'LOOP_SUSPECTED'
  | 'EMAIL_TO_TICKET_DISABLED' | 'QUARANTINED' | 'FAILED';

export const emailAudit = pgTable('email_audit', {
  id: id(),
  /** Insertion order: many entries of one batch share a timestamp. */
  seq: bigserial('seq', { mode: 'number' }).notNull().unique(),
  at: timestamp('at', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
  serverId: uuid('server_id').references(() => incomingServers.id, { onDelete: 'set null' }),
  messageRowId: uuid('message_row_id').references(() => messages.id, { onDelete: 'set null' }),
  messageId: text('message_id'),
  fromAddress: text('from_address'),
  subject: text('subject'),
  outcome: text('outcome').$type<EmailOutcome>().notNull(),
  reason: text('reason'),
  ticketId: uuid('ticket_id').references(() => tickets.id, { onDelete: 'set null' }),
}, (t) => [index('email_audit_at').on(t.at), index('email_audit_server_at').on(t.serverId, t.at)]);

export const configAudit = pgTable('config_audit', {
  id: id(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  actorUserId: uuid('actor_user_id').references(() => users.id, { onDelete: 'set null' }),
  entityType: text('entity_type').notNull(),
  entityId: text('entity_id'),
  action: text('action').$type<'CREATE' | 'UPDATE' | 'DELETE' | 'LOCKOUT'>().notNull(),
  before: jsonb('before'),
  after: jsonb('after'),
}, (t) => [index('config_audit_at').on(t.at)]);
