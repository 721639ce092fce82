import type { TicketFilter, TicketOrder, TicketStatus, TicketSummaryFieldsFragment } from '@/graphql/generated/graphql';

/** The requests list's views: whose tickets it shows. */
export type TicketView = 'all' | 'mine' | 'groups' | 'unassigned';
export const ticketViews: readonly { value: TicketView; label: string }[] = [
  { value: 'mine', label: 'Mine' },
  { value: 'groups', label: 'My groups' },
  { value: 'unassigned', label: 'Unassigned' },
  { value: 'all', label: 'All' },
];

/** `active` is the working set: open and waiting for the requester. */
export type StatusChoice = TicketStatus | 'ACTIVE';
const STATUSES: readonly StatusChoice[] = ['ACTIVE', 'OPEN', 'PENDING', 'RESOLVED', 'CLOSED'];

/** Who is looking: "mine" and "my groups" are about them. */
export interface TicketViewer {
  id: string;
  groupIds: readonly string[];
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

export function ticketViewFromQuery(query: Record<string, unknown>): TicketView {
  const view = text(query.view);
  return view === 'mine' || view === 'groups' || view === 'unassigned' ? view : 'all';
}

export function ticketOrderFromQuery(query: Record<string, unknown>): TicketOrder {
  return query.sort === 'created' ? 'CREATED' : 'LAST_ACTIVITY';
}

/** The filter from the URL query: unknown or empty values are left out. */
export function ticketFilterFromQuery(query: Record<string, unknown>): TicketFilter {
  const status = text(query.status)?.toUpperCase() as StatusChoice | undefined;
  const view = ticketViewFromQuery(query);
  const filter: TicketFilter = {};
  if (text(query.q)) filter.search = text(query.q);
  if (view === 'mine') filter.mine = true;
  if (view === 'groups') filter.myGroups = true;
  if (view === 'unassigned') filter.unassigned = true;
  if (status && STATUSES.includes(status)) {
    if (status === 'ACTIVE') filter.statuses = ['OPEN', 'PENDING'];
    else filter.status = status;
  }
  if (text(query.group)) filter.technicianGroupId = text(query.group);
  if (text(query.category)) filter.categoryId = text(query.category);
  if (text(query.mailbox)) filter.incomingEmailServerId = text(query.mailbox);
  if (text(query.priority)) filter.priorityId = text(query.priority);
  return filter;
}

/**
 * Whether a ticket pushed by a subscription belongs in a list filtered this way. A search can
 * only be answered by the server: the caller refetches instead (see `needsServer`).
 */
export function matchesTicketFilter(ticket: TicketSummaryFieldsFragment, filter: TicketFilter, viewer?: TicketViewer | null): boolean {
  if (filter.technicianGroupId && ticket.technicianGroup?.id !== filter.technicianGroupId) return false;
  if (filter.categoryId && ticket.category?.id !== filter.categoryId) return false;
  if (filter.incomingEmailServerId && ticket.incomingEmailServer?.id !== filter.incomingEmailServerId) return false;
  if (filter.priorityId && ticket.priorityId !== filter.priorityId) return false;
  if (filter.status && ticket.status !== filter.status) return false;
  if (filter.statuses?.length && !filter.statuses.includes(ticket.status)) return false;
  if (filter.unassigned && ticket.assignee) return false;
  if (filter.mine && (!viewer || ticket.assignee?.id !== viewer.id)) return false;
  if (filter.myGroups && (!viewer || !ticket.technicianGroup || !viewer.groupIds.includes(ticket.technicianGroup.id))) return false;
  return true;
}

/** A filter the browser can't evaluate on a pushed ticket. */
export const needsServer = (filter: TicketFilter): boolean => Boolean(filter.search);

const time = (ticket: TicketSummaryFieldsFragment, order: TicketOrder) => Date.parse(order === 'CREATED' ? ticket.createdAt : ticket.lastActivityAt);

/**
 * The list as shown: the server's pages with what the subscriptions pushed since. Pushed
 * tickets come first until a refetch includes them; every ticket appears once, in its latest
 * version, only while it still matches, newest first by the list's order.
 */
export function mergeTicketList(
  pages: readonly TicketSummaryFieldsFragment[],
  pushed: readonly TicketSummaryFieldsFragment[],
  latest: ReadonlyMap<string, TicketSummaryFieldsFragment>,
  filter: TicketFilter,
  order: TicketOrder,
  viewer?: TicketViewer | null,
): TicketSummaryFieldsFragment[] {
  const seen = new Set<string>();
  const merged: TicketSummaryFieldsFragment[] = [];
  for (const ticket of [...pushed, ...pages]) {
    if (seen.has(ticket.id)) continue;
    seen.add(ticket.id);
    const current = latest.get(ticket.id) ?? ticket;
    // A server page answered the search; a pushed change of a listed ticket keeps it listed.
    if (matchesTicketFilter(current, needsServer(filter) ? { ...filter, search: undefined } : filter, viewer)) merged.push(current);
  }
  // Stable sort: the server's order is kept for equal times.
  return merged.sort((a, b) => time(b, order) - time(a, order));
}
