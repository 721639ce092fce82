import { bigint, boolean, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from './columns.js';
import { users } from './auth.js';
import { incomingServers } from './mail-servers.js';

export type ServerStatus = 'REACHABLE' | 'UNREACHABLE' | 'UNKNOWN';

/** `degraded`: signed in and syncing, but the server says there is mail Mailroom cannot see (the error names why). */
export type ConnectionState = 'disabled' | 'connecting' | 'syncing' | 'connected' | 'degraded' | 'authenticationError' | 'connectError';

export type ErrorKind = 'NETWORK' | 'TLS' | 'AUTH' | 'OAUTH_TOKEN' | 'THROTTLED' | 'PROTOCOL' | 'INTERNAL';

export const serverHealth = pgTable('server_health', {
  serverId: uuid('server_id').primaryKey().references(() => incomingServers.id, { onDelete: 'cascade' }),
  status: text('status').$type<ServerStatus>().notNull().default('UNKNOWN'),
  connectionState: text('connection_state').$type<ConnectionState>().notNull().default('connecting'),
  lastSyncAt: timestamp('last_sync_at', { withTimezone: true }),
  inboundQueueCount: integer('inbound_queue_count').notNull().default(0),
  lastErrorMessage: text('last_error_message'),
  lastErrorKind: text('last_error_kind').$type<ErrorKind>(),
  lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
  /** Age of the oldest message waiting, when the protocol can tell. */
  oldestWaitingAt: timestamp('oldest_waiting_at', { withTimezone: true }),
  /** Start of the current outage (UNREACHABLE / authenticationError), for one notification per outage. */
  downSince: timestamp('down_since', { withTimezone: true }),
  outageNotifiedAt: timestamp('outage_notified_at', { withTimezone: true }),
  /** Down/up transitions within the current outage window (flapping). */
  flapCount: integer('flap_count').notNull().default(0),
  consecutiveAuthFailures: integer('consecutive_auth_failures').notNull().default(0),
  /** IMAP: whether the server's IDLE pushes new mail (mail/imap/imap-push.ts); null until known. */
  idlePush: boolean('idle_push'),
  updatedAt: updatedAt(),
});

/** Scale-out: each mailbox is read by one process at a time. */
export const mailboxLeases = pgTable('mailbox_leases', {
  serverId: uuid('server_id').primaryKey().references(() => incomingServers.id, { onDelete: 'cascade' }),
  owner: text('owner').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/** Pending OAuth authorization-code flows: the `state` is single-use and short-lived. */
export const oauthStates = pgTable('oauth_states', {
  state: text('state').primaryKey(),
  serverId: uuid('server_id').notNull().references(() => incomingServers.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
  codeVerifierSealed: text('code_verifier_sealed').notNull(),
  redirectUri: text('redirect_uri').notNull(),
  returnTo: text('return_to'),
  createdAt: createdAt(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
});

/** IMAP: (folder, uidValidity, lastUid). Other protocols add their own cursor columns later. */
export const mailboxCheckpoints = pgTable('mailbox_checkpoints', {
  serverId: uuid('server_id').notNull().references(() => incomingServers.id, { onDelete: 'cascade' }),
  folder: text('folder').notNull(),
  uidValidity: bigint('uid_validity', { mode: 'number' }),
  lastUid: bigint('last_uid', { mode: 'number' }).notNull().default(0),
  /** Mail already in the folder when we first saw it (UIDs ≤ this) is taken only if it is unread. */
  baselineUid: bigint('baseline_uid', { mode: 'number' }).notNull().default(0),
  cursor: text('cursor'),
  updatedAt: updatedAt(),
}, (t) => [primaryKey({ columns: [t.serverId, t.folder] })]);
