import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, primaryKey, serial, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { id, createdAt, updatedAt, bytea, tsvector } from './columns.js';
import { users, technicianGroups } from './auth.js';
import { categories, companies, priorities, requestTypes } from './catalog.js';
import { incomingServers } from './mail-servers.js';

export const requesters = pgTable('requesters', {
  id: id(),
  email: text('email').notNull(),
  name: text('name'),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('requesters_email_lower').on(sql`lower(${t.email})`)]);

export const TICKET_STATUSES = ['OPEN', 'PENDING', 'RESOLVED', 'CLOSED'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** The text configuration of ticket search: no stemming and no stop words, so any language matches word for word. */
export const SEARCH_CONFIG = 'simple';

export const tickets = pgTable('tickets', {
  id: id(),
  number: serial('number').notNull().unique(),
  subject: text('subject').notNull(),
  description: text('description').notNull(),
  descriptionHtml: text('description_html'),
  status: text('status').$type<TicketStatus>().notNull().default('OPEN'),
  /** When the ticket was last closed (for the reopen window); null while it is not CLOSED. */
  closedAt: timestamp('closed_at', { withTimezone: true }),
  requesterId: uuid('requester_id').notNull().references(() => requesters.id),
  technicianGroupId: uuid('technician_group_id').references(() => technicianGroups.id, { onDelete: 'set null' }),
  assigneeId: uuid('assignee_id').references(() => users.id, { onDelete: 'set null' }),
  categoryId: uuid('category_id').references(() => categories.id, { onDelete: 'set null' }),
  companyId: uuid('company_id').references(() => companies.id, { onDelete: 'set null' }),
  incomingServerId: uuid('incoming_server_id').references(() => incomingServers.id, { onDelete: 'set null' }),
  priorityId: uuid('priority_id').references(() => priorities.id, { onDelete: 'set null' }),
  requestTypeId: uuid('request_type_id').references(() => requestTypes.id, { onDelete: 'set null' }),
  /** Free text a rule set before the lists existed; moved to requestTypeId / priorityId at start (ticket-upgrade.ts). */
  legacyRequestType: text('request_type'),
  legacyPriority: text('priority'),
  /** The closed ticket a requester's late reply followed up on. */
  previousTicketId: uuid('previous_ticket_id').references((): AnyPgColumn => tickets.id, { onDelete: 'set null' }),
  /** Last requester mail, reply, note or change. Millisecond precision: keyset cursors carry it as a JS Date. */
  lastActivityAt: timestamp('last_activity_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  /** Last mail from the requester's side (for the per-technician unread marker). */
  requesterActivityAt: timestamp('requester_activity_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  /**
   * What search reads: subject, requester, every message's text and notes, appended by the app
   * as they are written (db/search-text.ts) and bounded; the tsvector below is generated from it.
   */
  searchText: text('search_text'),
  searchVector: tsvector('search_vector').generatedAlwaysAs(sql`to_tsvector('simple', coalesce(search_text, ''))`),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  index('tickets_created_at').on(t.createdAt),
  index('tickets_last_activity').on(t.lastActivityAt, t.number),
  index('tickets_group').on(t.technicianGroupId),
  index('tickets_assignee').on(t.assigneeId),
  index('tickets_previous').on(t.previousTicketId),
  index('tickets_search').using('gin', t.searchVector),
]);

/** Status, assignment, group, category, priority and request type changes: who, when, from → to (names as they were). */
export const ticketEvents = pgTable('ticket_events', {
  id: id(),
  ticketId: uuid('ticket_id').notNull().references(() => tickets.id, { onDelete: 'cascade' }),
  at: timestamp('at', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
  /** null: the requester (a reply re-opened it) or Mailroom itself. */
  actorUserId: uuid('actor_user_id').references(() => users.id, { onDelete: 'set null' }),
  field: text('field').$type<TicketEventField>().notNull(),
  fromValue: text('from_value'),
  toValue: text('to_value'),
}, (t) => [index('ticket_events_ticket').on(t.ticketId, t.at)]);

export type TicketEventField = 'STATUS' | 'ASSIGNEE' | 'TECHNICIAN_GROUP' | 'CATEGORY' | 'PRIORITY' | 'REQUEST_TYPE';

/** When each user last opened each ticket: the unread marker. */
export const ticketViews = pgTable('ticket_views', {
  ticketId: uuid('ticket_id').notNull().references(() => tickets.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  seenAt: timestamp('seen_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.ticketId, t.userId] })]);

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
  /** INTERNAL: a technician's note, never mailed. */
  direction: text('direction').$type<'INBOUND' | 'OUTBOUND' | 'INTERNAL'>().notNull().default('INBOUND'),
  /** Set on every row written since replies and notes exist; null on older rows, whose direction says it all. */
  kind: text('kind').$type<MessageKind>(),
  /** The technician who wrote a reply or a note. */
  authorUserId: uuid('author_user_id').references(() => users.id, { onDelete: 'set null' }),
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

export type MessageKind = 'INCOMING' | 'OUTGOING' | 'ACKNOWLEDGMENT' | 'NOTE';

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
