import { boolean, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { updatedAt } from './columns.js';

/** Installation-wide switches. */
export const appSettings = pgTable('app_settings', {
  id: integer('id').primaryKey().default(1),
  mspEnabled: boolean('msp_enabled').notNull().default(false),
  /** A known value sealed with MAILROOM_SECRET_KEY: a process started with another key refuses to run. */
  secretKeyCheck: text('secret_key_check'),
  /** The default priorities and request types were created once; deleting them all doesn't bring them back. */
  ticketListsSeeded: boolean('ticket_lists_seeded').notNull().default(false),
  updatedAt: updatedAt(),
});

export const emailPreference = pgTable('email_preference', {
  id: integer('id').primaryKey().default(1),
  emailToTicket: boolean('email_to_ticket').notNull().default(true),
  duplicateWindowMinutes: integer('duplicate_window_minutes').notNull().default(60),
  maxMessageBytes: integer('max_message_bytes').notNull().default(25 * 1024 * 1024),
  perSenderHourlyCap: integer('per_sender_hourly_cap').notNull().default(20),
  quarantineRetentionDays: integer('quarantine_retention_days').notNull().default(30),
  maxAttachmentBytes: integer('max_attachment_bytes').notNull().default(20 * 1024 * 1024),
  /** Templates of the acknowledgment (ingest/steps/acknowledge-template.ts); null = the built-in text. */
  acknowledgmentSubject: text('acknowledgment_subject'),
  acknowledgmentBody: text('acknowledgment_body'),
  /** A requester's reply to a ticket closed longer ago than this opens a new ticket linked to it. */
  reopenWindowDays: integer('reopen_window_days').notNull().default(14),
  /** Technicians see only their groups' tickets; null: automatic (on once any group has members). */
  technicianGroupScoping: boolean('technician_group_scoping'),
  updatedAt: updatedAt(),
});

export type EmailPreferenceRow = typeof emailPreference.$inferSelect;
