import { boolean, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { id, createdAt, updatedAt } from './columns.js';
import { users } from './auth.js';
import { incomingServers } from './mail-servers.js';
import { tickets } from './tickets.js';

export type NotificationKind = 'SERVER_UNREACHABLE' | 'SERVER_RECOVERED' | 'AUTH_FAILED' | 'CREDENTIAL_EXPIRING' | 'REFRESH_TOKEN_STALE' | 'SEND_FAILED' | 'NEW_TICKET' | 'REQUESTER_REPLIED';

export const notifications = pgTable('notifications', {
  id: id(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  kind: text('kind').$type<NotificationKind>().notNull(),
  title: text('title').notNull(),
  body: text('body').notNull(),
  serverId: uuid('server_id').references(() => incomingServers.id, { onDelete: 'cascade' }),
  /** The ticket it is about (new ticket, requester reply, a reply that could not be sent). */
  ticketId: uuid('ticket_id').references(() => tickets.id, { onDelete: 'cascade' }),
  /** Repeats folded into this notification (a flapping server). */
  count: integer('count').notNull().default(1),
  read: boolean('read').notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index('notifications_user').on(t.userId, t.createdAt)]);
