import { builder } from '../../graphql/builder.js';
import { loaders } from '../../graphql/loaders.js';
import { CategoryRef, TechnicianGroupRef } from '../catalog/catalog.schema.js';
import { IncomingEmailServerRef } from '../incoming-servers/incoming-server.schema.js';
import { ticketNumber, type MessageRow, type RequesterRow, type TicketFilter as TicketFilterValue, type TicketRow } from './ticket.service.js';

export const RequesterRef = builder.objectRef<RequesterRow>('Requester').implement({
  fields: (t) => ({ id: t.exposeID('id'), email: t.exposeString('email'), name: t.exposeString('name', { nullable: true }) }),
});

const MessageDirection = builder.enumType('MessageDirection', { values: ['INBOUND', 'OUTBOUND'] as const });

export const TicketMessageRef = builder.objectRef<MessageRow>('TicketMessage').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    messageId: t.exposeString('messageId', { nullable: true }),
    direction: t.field({ type: MessageDirection, description: 'OUTBOUND: mail Mailroom sent (an acknowledgment).', resolve: (m) => m.direction }),
    from: t.string({ nullable: true, resolve: (m) => m.fromAddress }),
    fromName: t.exposeString('fromName', { nullable: true }),
    subject: t.exposeString('subject', { nullable: true }),
    bodyText: t.string({ resolve: (m) => m.bodyText ?? '' }),
    bodyHtml: t.exposeString('bodyHtml', { nullable: true, description: 'Sanitized on the server.' }),
    sentAt: t.expose('sentAt', { type: 'DateTime', nullable: true }),
    receivedAt: t.expose('receivedAt', { type: 'DateTime' }),
  }),
});

export const TicketRef = builder.objectRef<TicketRow>('Ticket').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    number: t.string({ resolve: (ticket) => ticketNumber(ticket.number) }),
    subject: t.exposeString('subject'),
    description: t.exposeString('description'),
    descriptionHtml: t.exposeString('descriptionHtml', { nullable: true }),
    status: t.exposeString('status'),
    requester: t.field({
      type: RequesterRef,
      resolve: async (ticket, _a, ctx) => (await loaders(ctx).requester.load(ticket.requesterId))!,
    }),
    technicianGroup: t.field({
      type: TechnicianGroupRef,
      nullable: true,
      resolve: (ticket, _a, ctx) => (ticket.technicianGroupId ? loaders(ctx).catalog.load({ kind: 'group', id: ticket.technicianGroupId }) : null),
    }),
    category: t.field({
      type: CategoryRef,
      nullable: true,
      resolve: (ticket, _a, ctx) => (ticket.categoryId ? loaders(ctx).catalog.load({ kind: 'category', id: ticket.categoryId }) : null),
    }),
    incomingEmailServer: t.field({
      type: IncomingEmailServerRef,
      nullable: true,
      resolve: (ticket, _a, ctx) => (ticket.incomingServerId ? loaders(ctx).incomingServer.load(ticket.incomingServerId) : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    messages: t.field({ type: [TicketMessageRef], resolve: (ticket, _a, ctx) => loaders(ctx).messages.load(ticket.id) }),
  }),
});

const TicketEdge = builder.objectRef<{ cursor: string; node: TicketRow }>('TicketEdge').implement({
  fields: (t) => ({ cursor: t.exposeString('cursor'), node: t.field({ type: TicketRef, resolve: (e) => e.node }) }),
});
const PageInfo = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo').implement({
  fields: (t) => ({ hasNextPage: t.exposeBoolean('hasNextPage'), endCursor: t.exposeString('endCursor', { nullable: true }) }),
});
const TicketConnection = builder
  .objectRef<{ edges: { cursor: string; node: TicketRow }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null }; filter: TicketFilterValue }>('TicketConnection')
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [TicketEdge], resolve: (c) => c.edges }),
      nodes: t.field({ type: [TicketRef], resolve: (c) => c.edges.map((e) => e.node) }),
      pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
      totalCount: t.int({ resolve: (c, _a, ctx) => ctx.services.tickets.count(c.filter) }),
    }),
  });

const TicketStatus = builder.enumType('TicketStatus', { values: ['OPEN', 'CLOSED'] as const });
const TicketFilter = builder.inputType('TicketFilter', {
  fields: (t) => ({
    technicianGroupId: t.id(),
    categoryId: t.id(),
    incomingEmailServerId: t.id(),
    status: t.field({ type: TicketStatus }),
  }),
});

builder.queryFields((t) => ({
  tickets: t.field({
    type: TicketConnection,
    args: { first: t.arg.int({ defaultValue: 50 }), after: t.arg.string(), filter: t.arg({ type: TicketFilter }) },
    resolve: (_r, args, ctx) =>
      ctx.services.tickets.list(args.first ?? 50, args.after, {
        technicianGroupId: args.filter?.technicianGroupId?.toString(),
        categoryId: args.filter?.categoryId?.toString(),
        incomingServerId: args.filter?.incomingEmailServerId?.toString(),
        status: args.filter?.status,
      }),
  }),
  ticket: t.field({
    type: TicketRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => (await ctx.services.tickets.get(String(id))) ?? null,
  }),
}));

async function* ticketsFrom(ids: AsyncIterable<string>, ctx: { services: { tickets: { get(id: string): Promise<TicketRow | undefined> } } }) {
  for await (const id of ids) {
    const ticket = await ctx.services.tickets.get(id);
    if (ticket) yield ticket;
  }
}

builder.subscriptionFields((t) => ({
  ticketCreated: t.field({
    type: TicketRef,
    subscribe: (_r, _a, ctx) => ticketsFrom(ctx.services.pubsub.subscribe('ticketCreated'), ctx),
    resolve: (ticket: TicketRow) => ticket,
  }),
  ticketUpdated: t.field({
    type: TicketRef,
    subscribe: (_r, _a, ctx) => ticketsFrom(ctx.services.pubsub.subscribe('ticketUpdated'), ctx),
    resolve: (ticket: TicketRow) => ticket,
  }),
}));
