import { sql } from 'drizzle-orm';
import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { id, createdAt, bytea } from './columns.js';
import { outgoingServers } from './mail-servers.js';
import { tickets } from './tickets.js';

export type OutboundKind = 'ACKNOWLEDGMENT' | 'REPLY';

/**
 * Outgoing mail — acknowledgments (queued in the ingest transaction) and technicians' replies
 * (queued with their ticket message) — sent and retried by the outbound worker.
 */
export const outboundMail = pgTable('outbound_mail', {
  id: id(),
  ticketId: uuid('ticket_id').references(() => tickets.id, { onDelete: 'cascade' }),
  outgoingServerId: uuid('outgoing_server_id').references(() => outgoingServers.id, { onDelete: 'set null' }),
  kind: text('kind').$type<OutboundKind>().notNull(),
  toAddress: text('to_address').notNull(),
  /** A reply's Cc: recipients too (the envelope has them all). */
  ccAddresses: text('cc_addresses').array().notNull().default(sql`'{}'::text[]`),
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
