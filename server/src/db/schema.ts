import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, boolean, customType, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});

const id = () => uuid('id').primaryKey().defaultRandom();
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const PERMISSIONS = ['MANAGE_SUPPORT_CHANNELS'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const roles = pgTable('roles', {
  id: id(),
  name: text('name').notNull().unique(),
  permissions: text('permissions').array().$type<Permission[]>().notNull().default(sql`'{}'::text[]`),
  createdAt: createdAt(),
});

export const users = pgTable('users', {
  id: id(),
  email: text('email').notNull(),
  name: text('name').notNull(),
  passwordHash: text('password_hash').notNull(),
  isSuperAdmin: boolean('is_super_admin').notNull().default(false),
  roleId: uuid('role_id').references(() => roles.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('users_email_lower').on(sql`lower(${t.email})`)]);

export const authTokens = pgTable('auth_tokens', {
  id: id(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  kind: text('kind').$type<'SESSION' | 'API'>().notNull(),
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: createdAt(),
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
});

export const technicianGroups = pgTable('technician_groups', {
  id: id(),
  name: text('name').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('technician_groups_name_lower').on(sql`lower(${t.name})`)]);

export const technicianGroupMembers = pgTable('technician_group_members', {
  groupId: uuid('group_id').notNull().references(() => technicianGroups.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
}, (t) => [primaryKey({ columns: [t.groupId, t.userId] })]);

export const categories = pgTable('categories', {
  id: id(),
  name: text('name').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('categories_name_lower').on(sql`lower(${t.name})`)]);

export const companies = pgTable('companies', {
  id: id(),
  name: text('name').notNull().unique(),
  createdAt: createdAt(),
});

export const proxyServers = pgTable('proxy_servers', {
  id: id(),
  name: text('name').notNull(),
  type: text('type').$type<'SOCKS5' | 'HTTP'>().notNull(),
  host: text('host').notNull(),
  port: integer('port').notNull(),
  username: text('username'),
  passwordSealed: text('password_sealed'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const outgoingServers = pgTable('outgoing_servers', {
  id: id(),
  name: text('name').notNull(),
  host: text('host').notNull(),
  port: integer('port').notNull(),
  security: text('security').$type<'NONE' | 'SSL' | 'TLS'>().notNull(),
  authType: text('auth_type').$type<'NONE' | 'BASIC'>().notNull().default('BASIC'),
  username: text('username'),
  passwordSealed: text('password_sealed'),
  fromAddress: text('from_address').notNull(),
  fromName: text('from_name'),
  allowSelfSignedCertificate: boolean('allow_self_signed_certificate').notNull().default(false),
  enabled: boolean('enabled').notNull().default(true),
  primary: boolean('primary').notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [uniqueIndex('outgoing_servers_one_primary').on(t.primary).where(sql`${t.primary}`)]);

export type MailProtocol = 'IMAP' | 'POP3' | 'EWS' | 'GRAPH';
export type EmailProvider = 'MICROSOFT' | 'GOOGLE' | 'OTHER';
export type SecurityType = 'NONE' | 'SSL' | 'TLS';
export type EmailAuthType = 'BASIC' | 'OAUTH';
export type FilterType = 'ALLOW' | 'IGNORE';

/** Non-secret OAuth settings; the client secret and tokens live sealed in `oauthSecretsSealed`. */
export interface OAuthSettings {
  clientId: string | null;
  authorizationUrl: string | null;
  tokenUrl: string | null;
  scope: string | null;
  redirectUrl: string | null;
  tenantId?: string | null;
}

export const incomingServers = pgTable('incoming_servers', {
  id: id(),
  name: text('name').notNull(),
  email: text('email').notNull(),
  protocol: text('protocol').$type<MailProtocol>().notNull(),
  provider: text('provider').$type<EmailProvider>().notNull(),
  host: text('host'),
  port: integer('port'),
  security: text('security').$type<SecurityType>(),
  authType: text('auth_type').$type<EmailAuthType>(),
  username: text('username'),
  passwordSealed: text('password_sealed'),
  oauth: jsonb('oauth').$type<OAuthSettings>(),
  oauthSecretsSealed: text('oauth_secrets_sealed'),
  enabled: boolean('enabled').notNull().default(true),
  primary: boolean('primary').notNull().default(false),
  realTimeScanning: boolean('real_time_scanning').notNull().default(false),
  allowSelfSignedCertificate: boolean('allow_self_signed_certificate').notNull().default(false),
  pollIntervalSeconds: integer('poll_interval_seconds').notNull().default(120),
  technicianGroupId: uuid('technician_group_id').references(() => technicianGroups.id, { onDelete: 'set null' }),
  categoryId: uuid('category_id').references(() => categories.id, { onDelete: 'set null' }),
  companyId: uuid('company_id').references(() => companies.id, { onDelete: 'set null' }),
  proxyServerId: uuid('proxy_server_id').references(() => proxyServers.id, { onDelete: 'set null' }),
  outgoingServerId: uuid('outgoing_server_id').references(() => outgoingServers.id, { onDelete: 'set null' }),
  /** POP3: delete from the server once the ticket is committed (the seed's behaviour) or leave it and rely on UIDL. */
  pop3DeleteAfterSave: boolean('pop3_delete_after_save').notNull().default(true),
  /** IMAP / EWS / Graph: what to do with a message after its ticket is committed. */
  afterProcessing: text('after_processing').$type<'MARK_READ' | 'MOVE'>().notNull().default('MARK_READ'),
  moveToFolder: text('move_to_folder'),
  /** EWS: the service URL (https://host/EWS/Exchange.asmx); derived from host when empty. */
  ewsUrl: text('ews_url'),
  /** Legacy 8.0-style OAuth settings imported without token URL / scope / redirect URL. */
  needsReconfiguration: boolean('needs_reconfiguration').notNull().default(false),
  /** Optional, so admins are warned before an Azure client secret expires. */
  oauthClientSecretExpiresAt: timestamp('oauth_client_secret_expires_at', { withTimezone: true }),
  filterType: text('filter_type').$type<FilterType>(),
  filterEmails: text('filter_emails').array().notNull().default(sql`'{}'::text[]`),
  filterDomains: text('filter_domains').array().notNull().default(sql`'{}'::text[]`),
  filterKeywords: text('filter_keywords').array().notNull().default(sql`'{}'::text[]`),
  /** Bumped whenever credentials change, so a connector stuck in authenticationError knows to retry. */
  credentialsVersion: integer('credentials_version').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [uniqueIndex('incoming_servers_one_primary').on(t.primary).where(sql`${t.primary}`)]);

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

export type RuleField = 'MAILBOX' | 'FROM' | 'TO_CC' | 'SUBJECT' | 'DESCRIPTION';
export type RuleOperator = 'CONTAINS' | 'EQUALS' | 'STARTS_WITH' | 'ENDS_WITH' | 'REGEX';
export interface RuleCondition { field: RuleField; operator: RuleOperator; value: string }
export interface RuleActions {
  technicianGroupId?: string | null; categoryId?: string | null; requestType?: string | null;
  priority?: string | null; companyId?: string | null;
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

export type NotificationKind = 'SERVER_UNREACHABLE' | 'SERVER_RECOVERED' | 'AUTH_FAILED' | 'CREDENTIAL_EXPIRING' | 'REFRESH_TOKEN_STALE' | 'SEND_FAILED';

export const notifications = pgTable('notifications', {
  id: id(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  kind: text('kind').$type<NotificationKind>().notNull(),
  title: text('title').notNull(),
  body: text('body').notNull(),
  serverId: uuid('server_id').references(() => incomingServers.id, { onDelete: 'cascade' }),
  /** Repeats folded into this notification (a flapping server). */
  count: integer('count').notNull().default(1),
  read: boolean('read').notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index('notifications_user').on(t.userId, t.createdAt)]);

/** Installation-wide switches. */
export const appSettings = pgTable('app_settings', {
  id: integer('id').primaryKey().default(1),
  mspEnabled: boolean('msp_enabled').notNull().default(false),
  /** A known value sealed with MAILROOM_SECRET_KEY: a process started with another key refuses to run. */
  secretKeyCheck: text('secret_key_check'),
  updatedAt: updatedAt(),
});

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
  action: text('action').$type<'CREATE' | 'UPDATE' | 'DELETE'>().notNull(),
  before: jsonb('before'),
  after: jsonb('after'),
}, (t) => [index('config_audit_at').on(t.at)]);

export const emailPreference = pgTable('email_preference', {
  id: integer('id').primaryKey().default(1),
  emailToTicket: boolean('email_to_ticket').notNull().default(true),
  duplicateWindowMinutes: integer('duplicate_window_minutes').notNull().default(60),
  maxMessageBytes: integer('max_message_bytes').notNull().default(25 * 1024 * 1024),
  perSenderHourlyCap: integer('per_sender_hourly_cap').notNull().default(20),
  quarantineRetentionDays: integer('quarantine_retention_days').notNull().default(30),
  maxAttachmentBytes: integer('max_attachment_bytes').notNull().default(20 * 1024 * 1024),
  updatedAt: updatedAt(),
});
