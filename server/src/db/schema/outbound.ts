import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { id, createdAt, bytea } from './columns.js';
import { outgoingServers } from './mail-servers.js';
import { tickets } from './tickets.js';

/** Outgoing mail (acknowledgments): queued in the ingest transaction, sent and retried by a worker. */
export const outboundMail = pgTable('outbound_mail', {
  id: id(),
  ticketId: uuid('ticket_id').references(() => tickets.id, { onDelete: 'cascade' }),
  outgoingServerId: uuid('outgoing_server_id').references(() => outgoingServers.id, { onDelete: 'set null' }),
  kind: text('kind').$type<'ACKNOWLEDGMENT'>().notNull(),
  toAddress: text('to_address').notNull(),
  subject: text('subject').notNull(),
  messageId: text('message_id').notNull().unique(),
  raw: bytea('raw'),
  status: text('status').$type<'PENDING' | 'SENT' | 'FAILED'>().notNull().default('PENDING'),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
  lastError: text('last_error'),
  createdAt: createdAt(),
  sentAt: timestamp('sent_at', { withTimezone: true }),
}, (t) => [index('outbound_mail_due').on(t.status, t.nextAttemptAt)]);

export type OutboundMailRow = typeof outboundMail.$inferSelect;
export type OutboundStatus = OutboundMailRow['status'];
