import { describe, expect, it } from 'vitest';
import type { TicketSummaryFieldsFragment } from '@/graphql/generated/graphql';
import { matchesTicketFilter, mergeTicketList, needsServer, ticketFilterFromQuery, ticketOrderFromQuery, ticketViewFromQuery } from './ticketFilter';

const ticket = (over: Partial<TicketSummaryFieldsFragment> = {}): TicketSummaryFieldsFragment => ({
  id: 't1',
  number: 'REQ-1',
  subject: 's',
  status: 'OPEN',
  requester: { id: 'u', email: 'a@example.com', name: null },
  technicianGroup: { id: 'g1', name: 'Desk' },
  category: null,
  assignee: null,
  priority: null,
  priorityId: null,
  requestType: null,
  requestTypeId: null,
  unread: false,
  createdAt: '2026-01-01T00:00:00Z',
  lastActivityAt: '2026-01-01T00:00:00Z',
  incomingEmailServer: { id: 's1', name: 'Support' },
  ...over,
});
const ada = { id: 'ada', groupIds: ['g1'] };

describe('matchesTicketFilter', () => {
  it('accepts everything without a filter', () => {
    expect(matchesTicketFilter(ticket(), {})).toBe(true);
  });
  it('checks group, category, mailbox, priority and status', () => {
    expect(matchesTicketFilter(ticket(), { technicianGroupId: 'g1', status: 'OPEN' })).toBe(true);
    expect(matchesTicketFilter(ticket(), { technicianGroupId: 'g2' })).toBe(false);
    expect(matchesTicketFilter(ticket(), { categoryId: 'c1' })).toBe(false);
    expect(matchesTicketFilter(ticket(), { incomingEmailServerId: 's2' })).toBe(false);
    expect(matchesTicketFilter(ticket(), { status: 'CLOSED' })).toBe(false);
    expect(matchesTicketFilter(ticket({ priorityId: 'p1' }), { priorityId: 'p1' })).toBe(true);
    expect(matchesTicketFilter(ticket(), { priorityId: 'p1' })).toBe(false);
    expect(matchesTicketFilter(ticket({ status: 'PENDING' }), { statuses: ['OPEN', 'PENDING'] })).toBe(true);
    expect(matchesTicketFilter(ticket({ status: 'RESOLVED' }), { statuses: ['OPEN', 'PENDING'] })).toBe(false);
  });
  it('answers the views for the viewer', () => {
    const mine = ticket({ assignee: { id: 'ada', name: 'Ada', email: 'ada@x.test' } });
    expect(matchesTicketFilter(mine, { mine: true }, ada)).toBe(true);
    expect(matchesTicketFilter(ticket(), { mine: true }, ada)).toBe(false);
    expect(matchesTicketFilter(mine, { mine: true }, null)).toBe(false);
    expect(matchesTicketFilter(mine, { unassigned: true }, ada)).toBe(false);
    expect(matchesTicketFilter(ticket(), { unassigned: true }, ada)).toBe(true);
    expect(matchesTicketFilter(ticket(), { myGroups: true }, ada)).toBe(true);
    expect(matchesTicketFilter(ticket({ technicianGroup: { id: 'g2', name: 'Other' } }), { myGroups: true }, ada)).toBe(false);
    expect(matchesTicketFilter(ticket({ technicianGroup: null }), { myGroups: true }, ada)).toBe(false);
  });
});

describe('ticketFilterFromQuery', () => {
  it('keeps known keys only', () => {
    expect(ticketFilterFromQuery({ group: 'g1', status: 'bogus', category: '' })).toEqual({ technicianGroupId: 'g1' });
    expect(ticketFilterFromQuery({ status: 'CLOSED', mailbox: 's1' })).toEqual({ status: 'CLOSED', incomingEmailServerId: 's1' });
  });
  it('reads the view, the search, the working set and the order', () => {
    expect(ticketFilterFromQuery({ view: 'mine', q: '  printer  ', status: 'active', priority: 'p1' })).toEqual({
      mine: true,
      search: 'printer',
      statuses: ['OPEN', 'PENDING'],
      priorityId: 'p1',
    });
    expect(ticketFilterFromQuery({ view: 'groups' })).toEqual({ myGroups: true });
    expect(ticketFilterFromQuery({ view: 'unassigned' })).toEqual({ unassigned: true });
    expect(ticketViewFromQuery({ view: 'everything' })).toBe('all');
    expect(ticketOrderFromQuery({})).toBe('LAST_ACTIVITY');
    expect(ticketOrderFromQuery({ sort: 'created' })).toBe('CREATED');
    expect(needsServer({ search: 'x' })).toBe(true);
    expect(needsServer({ mine: true })).toBe(false);
  });
});

describe('mergeTicketList', () => {
  const a = ticket({ id: 'a', createdAt: '2026-01-01T00:00:00Z', lastActivityAt: '2026-01-05T00:00:00Z' });
  const b = ticket({ id: 'b', createdAt: '2026-01-02T00:00:00Z', lastActivityAt: '2026-01-03T00:00:00Z' });
  const c = ticket({ id: 'c', createdAt: '2026-01-04T00:00:00Z', lastActivityAt: '2026-01-04T00:00:00Z' });

  it('puts pushed tickets in, each once, sorted by the list order', () => {
    expect(mergeTicketList([a, b], [c, a], new Map(), {}, 'LAST_ACTIVITY').map((t) => t.id)).toEqual(['a', 'c', 'b']);
    expect(mergeTicketList([a, b], [c], new Map(), {}, 'CREATED').map((t) => t.id)).toEqual(['c', 'b', 'a']);
  });
  it('shows the latest version and drops tickets that no longer match', () => {
    const bLater = { ...b, lastActivityAt: '2026-01-09T00:00:00Z', status: 'PENDING' as const };
    const merged = mergeTicketList([a, b], [], new Map([['b', bLater]]), {}, 'LAST_ACTIVITY');
    expect(merged.map((t) => [t.id, t.status])).toEqual([['b', 'PENDING'], ['a', 'OPEN']]);
    expect(mergeTicketList([a, b], [], new Map([['b', bLater]]), { status: 'OPEN' }, 'LAST_ACTIVITY').map((t) => t.id)).toEqual(['a']);
  });
  it('trusts the server on the search and still applies the other filters', () => {
    const closed = { ...a, status: 'CLOSED' as const };
    expect(mergeTicketList([a, b], [], new Map([['a', closed]]), { search: 'printer', status: 'OPEN' }, 'LAST_ACTIVITY').map((t) => t.id)).toEqual(['b']);
  });
});
