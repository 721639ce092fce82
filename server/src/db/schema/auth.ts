import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id, createdAt } from './columns.js';

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
  /** A deactivated user can't sign in; their sessions and API tokens were deleted when it happened. */
  deactivatedAt: timestamp('deactivated_at', { withTimezone: true }),
  /** In-app notification of a new ticket in one of the user's groups. */
  notifyNewTicket: boolean('notify_new_ticket').notNull().default(true),
  /** In-app notification of a requester's reply on a ticket assigned to the user. */
  notifyRequesterReplied: boolean('notify_requester_replied').notNull().default(true),
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

/** rate-limiter-flexible's RateLimiterDrizzle store: sign-in attempts per account and per IP, shared by every process. */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  points: integer('points').notNull().default(0),
  expire: timestamp('expire', { withTimezone: true }),
}, (t) => [index('rate_limits_expire').on(t.expire)]);

export const technicianGroups = pgTable('technician_groups', {
  id: id(),
  name: text('name').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('technician_groups_name_lower').on(sql`lower(${t.name})`)]);

export const technicianGroupMembers = pgTable('technician_group_members', {
  groupId: uuid('group_id').notNull().references(() => technicianGroups.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
}, (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index('technician_group_members_user').on(t.userId)]);
