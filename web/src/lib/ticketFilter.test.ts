import { describe, expect, it } from 'vitest';
import type { TicketSummaryFieldsFragment } from '@/graphql/generated/graphql';
import { matchesTicketFilter, ticketFilterFromQuery } from './ticketFilter';

const ticket: TicketSummaryFieldsFragment = {
  id: 't1',
  number: 'REQ-1',
  subject: 's',
  status: 'OPEN',
  requester: { id: 'u', email: 'a@example.com', name: null },
  technicianGroup: { id: 'g1', name: 'Desk' },
  category: null,
  createdAt: '2026-01-01T00:00:00Z',
  incomingEmailServer: { id: 's1', name: 'Support' },
};

describe('matchesTicketFilter', () => {
  it('accepts everything without a filter', () => {
    expect(matchesTicketFilter(ticket, {})).toBe(true);
  });
  it('checks group, category, mailbox and status', () => {
    expect(matchesTicketFilter(ticket, { technicianGroupId: 'g1', status: 'OPEN' })).toBe(true);
    expect(matchesTicketFilter(ticket, { technicianGroupId: 'g2' })).toBe(false);
    expect(matchesTicketFilter(ticket, { categoryId: 'c1' })).toBe(false);
    expect(matchesTicketFilter(ticket, { incomingEmailServerId: 's2' })).toBe(false);
    expect(matchesTicketFilter(ticket, { status: 'CLOSED' })).toBe(false);
  });
});

describe('ticketFilterFromQuery', () => {
  it('keeps known keys only', () => {
    expect(ticketFilterFromQuery({ group: 'g1', status: 'bogus', category: '' })).toEqual({ technicianGroupId: 'g1' });
    expect(ticketFilterFromQuery({ status: 'CLOSED', mailbox: 's1' })).toEqual({ status: 'CLOSED', incomingEmailServerId: 's1' });
  });
});
