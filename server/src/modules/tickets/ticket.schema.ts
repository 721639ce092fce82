import { TICKET_STATUSES } from '../../db/schema.js';
import { builder } from '../../graphql/builder.js';
import { loaders } from '../../graphql/loaders.js';
import { argumentsOfSelections } from '../../graphql/selections.js';
import { UserRef } from '../auth/auth.schema.js';
import { CategoryRef, TechnicianGroupRef } from '../catalog/catalog.schema.js';
import { IncomingEmailServerRef } from '../incoming-servers/incoming-server.schema.js';
import {
  isUnread, messageKind, ticketNumber, type DeliveryRow, type ListedTicket, type MessageRow, type RequesterRow, type TicketEventRow, type TicketPage,
} from './ticket.service.js';

export const RequesterRef = builder.objectRef<RequesterRow>('Requester').implement({
  fields: (t) => ({ id: t.exposeID('id'), email: t.exposeString('email'), name: t.exposeString('name', { nullable: true }) }),
});

const MessageDirection = builder.enumType('MessageDirection', { values: ['INBOUND', 'OUTBOUND', 'INTERNAL'] as const });
export const TicketMessageKind = builder.enumType('TicketMessageKind', {
  description: 'INCOMING: mail from the requester\'s side; OUTGOING: a technician\'s reply; ACKNOWLEDGMENT: the automatic one; NOTE: internal, never mailed.',
  values: ['INCOMING', 'OUTGOING', 'ACKNOWLEDGMENT', 'NOTE'] as const,
});
const DeliveryStatus = builder.enumType('DeliveryStatus', { values: ['SENDING', 'SENT', 'FAILED'] as const });
export const TicketStatusRef = builder.enumType('TicketStatus', { values: TICKET_STATUSES });
export const BodyFormat = builder.enumType('BodyFormat', { values: ['TEXT', 'HTML'] as const });
const TicketOrder = builder.enumType('TicketOrder', { values: ['LAST_ACTIVITY', 'CREATED'] as const });
const TicketEventField = builder.enumType('TicketEventField', { values: ['STATUS', 'ASSIGNEE', 'TECHNICIAN_GROUP', 'CATEGORY', 'PRIORITY', 'REQUEST_TYPE'] as const });

const MessageDeliveryRef = builder.objectRef<DeliveryRow>('MessageDelivery').implement({
  description: 'The outgoing mail behind a reply or an acknowledgment: SENDING while queued or being retried.',
  fields: (t) => ({
    status: t.field({ type: DeliveryStatus, resolve: (d) => (d.status === 'PENDING' ? 'SENDING' : d.status) }),
    attempts: t.exposeInt('attempts'),
    lastError: t.exposeString('lastError', { nullable: true }),
    sentAt: t.expose('sentAt', { type: 'DateTime', nullable: true }),
    outboundMailId: t.exposeID('id'),
  }),
});

export const TicketMessageRef = builder.objectRef<MessageRow>('TicketMessage').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    messageId: t.exposeString('messageId', { nullable: true }),
    direction: t.field({ type: MessageDirection, description: 'OUTBOUND: mail Mailroom sent; INTERNAL: a note.', resolve: (m) => m.direction }),
    kind: t.field({ type: TicketMessageKind, resolve: (m) => messageKind(m) }),
    author: t.field({
      type: UserRef, nullable: true, description: 'The technician, for replies and notes.',
      resolve: (m, _a, ctx) => (m.authorUserId ? loaders(ctx).user.load(m.authorUserId) : null),
    }),
    from: t.string({ nullable: true, resolve: (m) => m.fromAddress }),
    fromName: t.exposeString('fromName', { nullable: true }),
    to: t.stringList({ resolve: (m) => m.toAddresses }),
    cc: t.stringList({ resolve: (m) => m.ccAddresses }),
    subject: t.exposeString('subject', { nullable: true }),
    bodyText: t.string({ resolve: (m) => m.bodyText ?? '' }),
    bodyHtml: t.exposeString('bodyHtml', { nullable: true, description: 'Sanitized on the server.' }),
    sentAt: t.expose('sentAt', { type: 'DateTime', nullable: true }),
    receivedAt: t.expose('receivedAt', { type: 'DateTime', description: 'When it was stored: received, written or queued.' }),
    delivery: t.field({ type: MessageDeliveryRef, nullable: true, resolve: (m, _a, ctx) => (m.direction === 'OUTBOUND' ? ctx.services.tickets.delivery(m.messageId) : null) }),
    rawUrl: t.string({ nullable: true, description: 'Download of the raw .eml (not for notes).', resolve: (m) => (m.direction === 'INTERNAL' ? null : `/api/messages/${m.id}/raw`) }),
  }),
});

const TicketEventRef = builder.objectRef<TicketEventRow>('TicketEvent').implement({
  description: 'One change in a ticket\'s history; from/to are names as they were then. No actor: the requester (a reply re-opened it).',
  fields: (t) => ({
    id: t.exposeID('id'),
    at: t.expose('at', { type: 'DateTime' }),
    actor: t.field({ type: UserRef, nullable: true, resolve: (e, _a, ctx) => (e.actorUserId ? loaders(ctx).user.load(e.actorUserId) : null) }),
    field: t.field({ type: TicketEventField, resolve: (e) => e.field }),
    from: t.string({ nullable: true, resolve: (e) => e.fromValue }),
    to: t.string({ nullable: true, resolve: (e) => e.toValue }),
  }),
});

export const TicketRef = builder.objectRef<ListedTicket>('Ticket');
TicketRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    number: t.string({ resolve: (ticket) => ticketNumber(ticket.number) }),
    subject: t.exposeString('subject'),
    description: t.exposeString('description'),
    descriptionHtml: t.exposeString('descriptionHtml', { nullable: true }),
    status: t.field({ type: TicketStatusRef, resolve: (ticket) => ticket.status }),
    closedAt: t.expose('closedAt', { type: 'DateTime', nullable: true }),
    requester: t.field({
      type: RequesterRef,
      resolve: async (ticket, _a, ctx) => ticket.readAlong?.requester ?? (await loaders(ctx).requester.load(ticket.requesterId))!,
    }),
    technicianGroup: t.field({
      type: TechnicianGroupRef,
      nullable: true,
      resolve: (ticket, _a, ctx) => (ticket.technicianGroupId ? loaders(ctx).catalog.load({ kind: 'group', id: ticket.technicianGroupId }) : null),
    }),
    assignee: t.field({ type: UserRef, nullable: true, resolve: (ticket, _a, ctx) => (ticket.assigneeId ? loaders(ctx).user.load(ticket.assigneeId) : null) }),
    category: t.field({
      type: CategoryRef,
      nullable: true,
      resolve: (ticket, _a, ctx) => (ticket.categoryId ? loaders(ctx).catalog.load({ kind: 'category', id: ticket.categoryId }) : null),
    }),
    priorityId: t.id({ nullable: true, resolve: (ticket) => ticket.priorityId }),
    priority: t.string({
      nullable: true, description: 'The priority\'s name; priorityId refers to the list (Query.priorities).',
      resolve: async (ticket, _a, ctx) => (ticket.priorityId ? ((await loaders(ctx).catalog.load({ kind: 'priority', id: ticket.priorityId }))?.name ?? null) : null),
    }),
    requestTypeId: t.id({ nullable: true, resolve: (ticket) => ticket.requestTypeId }),
    requestType: t.string({
      nullable: true, description: 'The request type\'s name; requestTypeId refers to the list (Query.requestTypes).',
      resolve: async (ticket, _a, ctx) => (ticket.requestTypeId ? ((await loaders(ctx).catalog.load({ kind: 'requestType', id: ticket.requestTypeId }))?.name ?? null) : null),
    }),
    incomingEmailServer: t.field({
      type: IncomingEmailServerRef,
      nullable: true,
      resolve: (ticket, _a, ctx) => (ticket.incomingServerId ? loaders(ctx).incomingServer.load(ticket.incomingServerId) : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastActivityAt: t.expose('lastActivityAt', { type: 'DateTime', description: 'Last requester mail, reply, note or change.' }),
    unread: t.boolean({
      description: 'The requester\'s side wrote since you last opened it (markTicketSeen); a ticket you never opened is unread.',
      resolve: (ticket, _a, ctx) => (ticket.readAlong ? isUnread(ticket.readAlong.seenAt, ticket.requesterActivityAt) : loaders(ctx).unread.load(ticket)),
    }),
    canChange: t.boolean({
      description: 'Whether you may reply, add notes and change it (a technician works their groups\' tickets).',
      resolve: async (ticket, _a, ctx) => (await ctx.services.tickets.access.changeRefusal(ctx.viewer!, ticket)) === null,
    }),
    previousTicket: t.field({
      type: TicketRef, nullable: true, description: 'The long-closed ticket a late reply to which opened this one.',
      resolve: async (ticket, _a, ctx) => (ticket.previousTicketId ? ((await ctx.services.tickets.getVisible(ctx.viewer!, ticket.previousTicketId)) ?? null) : null),
    }),
    followUps: t.field({ type: [TicketRef], description: 'Tickets opened by late replies to this one, newest first.', resolve: (ticket, _a, ctx) => ctx.services.tickets.followUps(ctx.viewer!, ticket.id) }),
    messages: t.field({ type: [TicketMessageRef], description: 'The whole conversation, oldest first: mail both ways and notes.', resolve: (ticket, _a, ctx) => loaders(ctx).messages.load(ticket.id) }),
    history: t.field({ type: [TicketEventRef], description: 'Status, assignment and routing changes, oldest first.', resolve: (ticket, _a, ctx) => ctx.services.tickets.history(ticket.id) }),
  }),
});

const TicketEdge = builder.objectRef<{ cursor: string; node: ListedTicket }>('TicketEdge').implement({
  fields: (t) => ({ cursor: t.exposeString('cursor'), node: t.field({ type: TicketRef, resolve: (e) => e.node }) }),
});
const PageInfo = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo').implement({
  fields: (t) => ({ hasNextPage: t.exposeBoolean('hasNextPage'), endCursor: t.exposeString('endCursor', { nullable: true }) }),
});
const TicketConnection = builder.objectRef<TicketPage>('TicketConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [TicketEdge], resolve: (c) => c.edges }),
    nodes: t.field({ type: [TicketRef], resolve: (c) => c.edges.map((e) => e.node) }),
    pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
    totalCount: t.int({
      description: 'Every ticket the filter matches; with atMost, counting stops there (show "1,000+" for a search of a common word).',
      args: { atMost: t.arg.int() },
      resolve: (c, { atMost }) => c.count(atMost),
    }),
  }),
});

const TicketFilter = builder.inputType('TicketFilter', {
  fields: (t) => ({
    technicianGroupId: t.id(),
    categoryId: t.id(),
    incomingEmailServerId: t.id(),
    status: t.field({ type: TicketStatusRef }),
    statuses: t.field({ type: [TicketStatusRef], description: 'Any of these.' }),
    assigneeId: t.id(),
    mine: t.boolean({ description: 'Assigned to you.' }),
    unassigned: t.boolean(),
    myGroups: t.boolean({ description: 'In one of your technician groups.' }),
    priorityId: t.id(),
    requestTypeId: t.id(),
    search: t.string({ description: 'Words, "phrases", -excluded words, or (web search syntax) over subject, requester, messages and notes; also a ticket number (REQ-42) or an address.' }),
  }),
});

builder.queryFields((t) => ({
  tickets: t.field({
    type: TicketConnection,
    description: 'The tickets you may see.',
    args: {
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
      filter: t.arg({ type: TicketFilter }),
      orderBy: t.arg({ type: TicketOrder, defaultValue: 'LAST_ACTIVITY' }),
    },
    resolve: (_r, args, ctx, info) => {
      const f = args.filter;
      const [counted] = argumentsOfSelections(info, 'TicketConnection', 'totalCount');
      return ctx.services.tickets.list(ctx.viewer!, {
        first: args.first ?? 50,
        count: counted && { atMost: (counted.atMost as number | null | undefined) ?? null },
        after: args.after,
        order: args.orderBy ?? 'LAST_ACTIVITY',
        filter: f ? { ...f, technicianGroupId: f.technicianGroupId?.toString(), categoryId: f.categoryId?.toString(), incomingServerId: f.incomingEmailServerId?.toString(),
          assigneeId: f.assigneeId?.toString(), priorityId: f.priorityId?.toString(), requestTypeId: f.requestTypeId?.toString() } : {},
      });
    },
  }),
  ticket: t.field({
    type: TicketRef,
    nullable: true,
    description: 'Null when there is no such ticket or it is out of your reach.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => (await ctx.services.tickets.getVisible(ctx.viewer!, String(id))) ?? null,
  }),
}));
