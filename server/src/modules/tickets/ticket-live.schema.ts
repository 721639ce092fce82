import { builder } from '../../graphql/builder.js';
import type { Context } from '../../graphql/context.js';
import { TicketRef } from './ticket.schema.js';
import type { TicketRow } from './ticket.service.js';
import { eachEvent } from '../../lib/batch-events.js';

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
function visibleTickets(ids: AsyncIterable<string>, ctx: Context, filter: Filter | null | undefined): AsyncIterable<TicketRow> {
  const { auth, tickets } = ctx.services;
  return eachEvent(ids, async (id) => {
    if (filter?.ticketId != null && String(filter.ticketId) !== id) return [];
    // The viewer and the ticket are read together; the ticket is shown only if that viewer may see it.
    const [viewer, row] = await Promise.all([auth.viewerByTokenId(ctx.viewer!.tokenId), tickets.get(id)]);
    if (!viewer) return null;
    const ticket = row && (await tickets.canSee(viewer, row)) ? row : undefined;
    if (!ticket) return [];
    if (filter?.technicianGroupId != null && ticket.technicianGroupId !== String(filter.technicianGroupId)) return [];
    if (filter?.mine && ticket.assigneeId !== viewer.user.id) return [];
    return [ticket];
  });
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
