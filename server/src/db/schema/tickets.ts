import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, primaryKey, serial, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id, createdAt, updatedAt, bytea } from './columns.js';
import { users, technicianGroups } from './auth.js';
import { categories, companies } from './catalog.js';
import { incomingServers } from './mail-servers.js';

export const requesters = pgTable('requesters', {
  id: id(),
  email: text('email').notNull(),
  name: text('name'),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('requesters_email_lower').on(sql`lower(${t.email})`)]);

export const tickets = pgTable('tickets', {
  id: id(),
  number: serial('number').notNull().unique(),
  subject: text('subject').notNull(),
  description: text('description').notNull(),
  descriptionHtml: text('description_html'),
  status: text('status').$type<'OPEN' | 'CLOSED'>().notNull().default('OPEN'),
  requesterId: uuid('requester_id').notNull().references(() => requesters.id),
  technicianGroupId: uuid('technician_group_id').references(() => technicianGroups.id, { onDelete: 'set null' }),
  categoryId: uuid('category_id').references(() => categories.id, { onDelete: 'set null' }),
  companyId: uuid('company_id').references(() => companies.id, { onDelete: 'set null' }),
  incomingServerId: uuid('incoming_server_id').references(() => incomingServers.id, { onDelete: 'set null' }),
  requestType: text('request_type'),
  priority: text('priority'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index('tickets_created_at').on(t.createdAt)]);

/** Addresses allowed to reply into a ticket: the requester and whoever was on To/Cc of its mail. */
export const ticketParticipants = pgTable('ticket_participants', {
  ticketId: uuid('ticket_id').notNull().references(() => tickets.id, { onDelete: 'cascade' }),
  email: text('email').notNull(),
}, (t) => [primaryKey({ columns: [t.ticketId, t.email] }), index('ticket_participants_email').on(t.email)]);

/**
 * Every fetched message, keyed by where it came from. `sourceKey` is the idempotency key
 * (e.g. imap:<server>:<uidValidity>:<uid>) and is written in the same transaction as the
 * ticket, so a crash at any point leaves either both or neither.
 */
export const messages = pgTable('messages', {
  id: id(),
  serverId: uuid('server_id').references(() => incomingServers.id, { onDelete: 'set null' }),
  sourceKey: text('source_key').notNull().unique(),
  ticketId: uuid('ticket_id').references(() => tickets.id, { onDelete: 'set null' }),
  direction: text('direction').$type<'INBOUND' | 'OUTBOUND'>().notNull().default('INBOUND'),
  messageId: text('message_id'),
  inReplyTo: text('in_reply_to'),
  references: text('references').array().notNull().default(sql`'{}'::text[]`),
  toAddresses: text('to_addresses').array().notNull().default(sql`'{}'::text[]`),
  ccAddresses: text('cc_addresses').array().notNull().default(sql`'{}'::text[]`),
  contentHash: text('content_hash').notNull(),
  fromAddress: text('from_address'),
  fromName: text('from_name'),
  subject: text('subject'),
  bodyText: text('body_text'),
  bodyHtml: text('body_html'),
  sentAt: timestamp('sent_at', { withTimezone: true }),
  /** clock_timestamp(), not now(): rows written by one batch keep their order. */
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
  rawSize: integer('raw_size').notNull(),
  raw: bytea('raw').notNull(),
}, (t) => [
  index('messages_ticket').on(t.ticketId),
  index('messages_message_id').on(t.messageId),
  index('messages_hash_received').on(t.contentHash, t.receivedAt),
  index('messages_from_received').on(t.fromAddress, t.receivedAt),
]);

/** Stored on disk under `storageKey` (random), never under the sender's file name. */
export const attachments = pgTable('attachments', {
  id: id(),
  messageRowId: uuid('message_row_id').notNull().references(() => messages.id, { onDelete: 'cascade' }),
  ticketId: uuid('ticket_id').references(() => tickets.id, { onDelete: 'set null' }),
  filename: text('filename'),
  contentType: text('content_type').notNull(),
  size: integer('size').notNull(),
  contentId: text('content_id'),
  inline: boolean('inline').notNull().default(false),
  storageKey: text('storage_key').notNull().unique(),
  createdAt: createdAt(),
}, (t) => [index('attachments_message').on(t.messageRowId), index('attachments_ticket').on(t.ticketId)]);

export const quarantine = pgTable('quarantine', {
  id: id(),
  messageRowId: uuid('message_row_id').notNull().references(() => messages.id, { onDelete: 'cascade' }),
  serverId: uuid('server_id').references(() => incomingServers.id, { onDelete: 'set null' }),
  reason: text('reason').notNull(),
  createdAt: createdAt(),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  resolution: text('resolution').$type<'REPROCESSED' | 'RELEASED' | 'DELETED'>(),
  resolvedByUserId: uuid('resolved_by_user_id').references(() => users.id, { onDelete: 'set null' }),
}, (t) => [index('quarantine_open').on(t.createdAt).where(sql`${t.resolvedAt} is null`)]);
