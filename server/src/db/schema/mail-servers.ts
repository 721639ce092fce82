import { sql } from 'drizzle-orm';
import { boolean, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id, createdAt, updatedAt } from './columns.js';
import { technicianGroups } from './auth.js';
import { categories, companies } from './catalog.js';

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

export type IncomingServerRow = typeof incomingServers.$inferSelect;
export type OutgoingServerRow = typeof outgoingServers.$inferSelect;

/** What `oauthSecretsSealed` holds once opened. */
export interface OAuthSecrets { clientSecret?: string; accessToken?: string; refreshToken?: string; expiresAt?: number }

/** A server with its secrets opened, for connectors only; never returned over GraphQL. */
export interface ServerCredentials { password: string | null; oauth: OAuthSecrets }
