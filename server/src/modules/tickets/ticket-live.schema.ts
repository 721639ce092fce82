import { builder } from '../../graphql/builder.js';
import type { Context } from '../../graphql/context.js';
import { TicketRef } from './ticket.schema.js';
import type { TicketRow } from './ticket.service.js';

const TicketSubscriptionFilter = builder.inputType('TicketSubscriptionFilter', {
  fields: (t) => ({
    technicianGroupId: t.id(),
    mine: t.boolean({ description: 'Assigned to you.' }),
    ticketId: t.id({ description: 'One ticket (its page).' }),
  }),
});

interface Filter { technicianGroupId?: string | number | null; mine?: boolean | null; ticketId?: string | number | null }

/**
 * The events' tickets, each one read after its commit and only when the subscriber may see it
 * then: grants, memberships and the scoping switch are read again for every event, because a
 * subscription outlives changes to all three.
 */
async function* visibleTickets(ids: AsyncIterable<string>, ctx: Context, filter: Filter | null | undefined): AsyncGenerator<TicketRow> {
  const { auth, tickets } = ctx.services;
  for await (const id of ids) {
    if (filter?.ticketId != null && String(filter.ticketId) !== id) continue;
    // The viewer and the ticket are read together; the ticket is shown only if that viewer may see it.
    const [viewer, row] = await Promise.all([auth.viewerByTokenId(ctx.viewer!.tokenId), tickets.get(id)]);
    if (!viewer) return;
    const ticket = row && (await tickets.canSee(viewer, row)) ? row : undefined;
    if (!ticket) continue;
    if (filter?.technicianGroupId != null && ticket.technicianGroupId !== String(filter.technicianGroupId)) continue;
    if (filter?.mine && ticket.assigneeId !== viewer.user.id) continue;
    yield ticket;
  }
}

builder.subscriptionFields((t) => ({
  ticketCreated: t.field({
    type: TicketRef,
    description: 'New tickets you may see.',
    args: { filter: t.arg({ type: TicketSubscriptionFilter }) },
    subscribe: (_r, { filter }, ctx) => visibleTickets(ctx.services.pubsub.subscribe('ticketCreated'), ctx, filter),
    resolve: (ticket: TicketRow) => ticket,
  }),
  ticketUpdated: t.field({
    type: TicketRef,
    description: 'A ticket you may see changed: a reply or note, its status, assignment or routing, a reply\'s delivery.',
    args: { filter: t.arg({ type: TicketSubscriptionFilter }) },
    subscribe: (_r, { filter }, ctx) => visibleTickets(ctx.services.pubsub.subscribe('ticketUpdated'), ctx, filter),
    resolve: (ticket: TicketRow) => ticket,
  }),
}));
