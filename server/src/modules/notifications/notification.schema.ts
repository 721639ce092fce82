import type { NotificationKind } from '../../db/schema.js';
import { builder } from '../../graphql/builder.js';
import { NotFoundErrorRef, okOrError, resultUnion } from '../../graphql/errors.js';
import type { Context } from '../../graphql/context.js';
import { IncomingEmailServerRef } from '../incoming-servers/incoming-server.schema.js';
import { TicketRef } from '../tickets/ticket.schema.js';
import type { NotificationRow } from './notification.service.js';
import { eachEvent } from '../../lib/batch-events.js';

const kinds = [
  'SERVER_UNREACHABLE', 'SERVER_RECOVERED', 'AUTH_FAILED', 'CREDENTIAL_EXPIRING', 'REFRESH_TOKEN_STALE', 'SEND_FAILED', 'NEW_TICKET', 'REQUESTER_REPLIED',
] as const satisfies readonly NotificationKind[];
const NotificationKindRef = builder.enumType('NotificationKind', { values: kinds });

export const NotificationRef = builder.objectRef<NotificationRow>('Notification').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    at: t.expose('createdAt', { type: 'DateTime', description: 'When it was first raised.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it was last repeated or changed.' }),
    kind: t.field({ type: NotificationKindRef, resolve: (n) => n.kind }),
    title: t.exposeString('title'),
    body: t.exposeString('body'),
    read: t.exposeBoolean('read'),
    count: t.exposeInt('count', { description: 'How many times it happened (a flapping server folds every outage into one notification).' }),
    server: t.field({
      type: IncomingEmailServerRef,
      nullable: true,
      resolve: async (n, _a, ctx) => (n.serverId ? ((await ctx.services.servers.get(n.serverId)) ?? null) : null),
    }),
    ticket: t.field({
      type: TicketRef,
      nullable: true,
      description: 'The ticket it is about, while you may see it.',
      resolve: async (n, _a, ctx) => (n.ticketId ? ((await ctx.services.tickets.getVisible(ctx.viewer!, n.ticketId)) ?? null) : null),
    }),
  }),
});

/** The viewer's reach among tickets, as a WHERE on tickets; undefined when every ticket is in reach. */
async function ticketScope(ctx: Context) {
  const access = ctx.services.tickets.access;
  return access.condition(await access.scope(ctx.viewer!));
}

const markReadResult = resultUnion('MarkNotificationRead', 'notification', NotificationRef, [NotFoundErrorRef]);

/** The viewer's own notifications from an event stream of notification ids, about nothing out of their reach. */
function own(ids: AsyncIterable<string>, ctx: Context): AsyncIterable<NotificationRow> {
  const userId = ctx.viewer!.user.id;
  return eachEvent(ids, async (id) => {
    const row = await ctx.services.notifications.get(id);
    if (row?.userId !== userId) return [];
    if (row.ticketId && !(await ctx.services.tickets.getVisible(ctx.viewer!, row.ticketId, true))) return [];
    return [row];
  });
}

builder.queryFields((t) => ({
  notifications: t.field({
    type: [NotificationRef],
    description: "The signed-in user's notifications, most recent first (at most 200).",
    args: { unreadOnly: t.arg.boolean() },
    resolve: async (_r, { unreadOnly }, ctx) => ctx.services.notifications.list(ctx.viewer!.user.id, { unreadOnly, ticketScope: await ticketScope(ctx) }),
  }),
  unreadNotificationCount: t.int({ resolve: async (_r, _a, ctx) => ctx.services.notifications.unreadCount(ctx.viewer!.user.id, await ticketScope(ctx)) }),
}));

builder.mutationFields((t) => ({
  markNotificationRead: t.field({
    type: markReadResult.union,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => okOrError(await ctx.services.notifications.markRead(ctx.viewer!.user.id, String(id)), markReadResult.ok),
  }),
  markAllNotificationsRead: t.int({
    description: 'Returns how many were unread.',
    resolve: (_r, _a, ctx) => ctx.services.notifications.markAllRead(ctx.viewer!.user.id),
  }),
}));

builder.subscriptionFields((t) => ({
  notificationAdded: t.field({
    type: NotificationRef,
    subscribe: (_r, _a, ctx) => own(ctx.services.pubsub.subscribe('notificationAdded'), ctx),
    resolve: (n: NotificationRow) => n,
  }),
  notificationUpdated: t.field({
    type: NotificationRef,
    description: 'One of your notifications was repeated (count), reworded or marked read.',
    subscribe: (_r, _a, ctx) => own(ctx.services.pubsub.subscribe('notificationUpdated'), ctx),
    resolve: (n: NotificationRow) => n,
  }),
}));
