import type { TicketFilter, TicketSummaryFieldsFragment } from '@/graphql/generated/graphql';

/** Whether a ticket pushed by the subscription belongs in a list filtered this way. */
export function matchesTicketFilter(ticket: TicketSummaryFieldsFragment, filter: TicketFilter): boolean {
  if (filter.technicianGroupId && ticket.technicianGroup?.id !== filter.technicianGroupId) return false;
  if (filter.categoryId && ticket.category?.id !== filter.categoryId) return false;
  if (filter.incomingEmailServerId && ticket.incomingEmailServer?.id !== filter.incomingEmailServerId) return false;
  if (filter.status && ticket.status.toUpperCase() !== filter.status) return false;
  return true;
}

/** The filter from the URL query: unknown or empty values are left out. */
export function ticketFilterFromQuery(query: Record<string, unknown>): TicketFilter {
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value.trim() !== '' ? value : undefined;
  const status = text(query.status);
  return {
    ...(text(query.group) ? { technicianGroupId: text(query.group) } : {}),
    ...(text(query.category) ? { categoryId: text(query.category) } : {}),
    ...(text(query.mailbox) ? { incomingEmailServerId: text(query.mailbox) } : {}),
    ...(status === 'OPEN' || status === 'CLOSED' ? { status } : {}),
  };
}
