// The status lifecycle of SPEC §10: what technicians may set, and what a requester's reply does.
import { describe, expect, it } from 'vitest';
import { chooseReplyTarget, requesterReplyEffect, type LifecycleTicket } from '../../server/src/ingest/steps/reopen.ts';
import { canTransition, transitionError } from '../../server/src/modules/tickets/ticket-status.ts';
import { changedColumns, ticketChanges } from '../../server/src/modules/tickets/ticket-changes.ts';

const now = new Date('2025-06-01T12:00:00Z');
const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000);
const ticket = (id: string, number: number, status: LifecycleTicket['status'], closedAt: Date | null = null): LifecycleTicket => ({ id, number, status, closedAt });

describe('technicians\' transitions', () => {
  it('goes forward through the lifecycle and back to OPEN, never out of CLOSED but to OPEN', () => {
    expect(canTransition('OPEN', 'PENDING')).toBe(true);
    expect(canTransition('PENDING', 'RESOLVED')).toBe(true);
    expect(canTransition('RESOLVED', 'CLOSED')).toBe(true);
    expect(canTransition('RESOLVED', 'OPEN')).toBe(true);
    expect(canTransition('CLOSED', 'OPEN')).toBe(true);
    expect(canTransition('CLOSED', 'PENDING')).toBe(false);
    expect(canTransition('RESOLVED', 'PENDING')).toBe(false);
    expect(canTransition('PENDING', 'PENDING')).toBe(true);
  });

  it('says what a ticket can become instead', () => {
    expect(transitionError('CLOSED', 'RESOLVED')).toBe("A CLOSED ticket can't become RESOLVED; it can become OPEN");
    expect(transitionError('OPEN', 'CLOSED')).toBeNull();
  });
});

describe('a requester\'s reply', () => {
  it('appends to OPEN, re-opens PENDING and RESOLVED, and CLOSED within the window', () => {
    expect(requesterReplyEffect({ status: 'OPEN', closedAt: null }, now, 14)).toBe('append');
    expect(requesterReplyEffect({ status: 'PENDING', closedAt: null }, now, 14)).toBe('reopen');
    expect(requesterReplyEffect({ status: 'RESOLVED', closedAt: null }, now, 14)).toBe('reopen');
    expect(requesterReplyEffect({ status: 'CLOSED', closedAt: daysAgo(14) }, now, 14)).toBe('reopen');
  });

  it('follows up on a ticket closed longer ago, or closed at an unknown time', () => {
    expect(requesterReplyEffect({ status: 'CLOSED', closedAt: new Date(daysAgo(14).getTime() - 1) }, now, 14)).toBe('follow-up');
    expect(requesterReplyEffect({ status: 'CLOSED', closedAt: null }, now, 14)).toBe('follow-up');
    expect(requesterReplyEffect({ status: 'CLOSED', closedAt: daysAgo(1) }, now, 0)).toBe('follow-up');
  });

  it('prefers a referenced ticket still open to replies over a long-closed one', async () => {
    const old = ticket('t-1', 1, 'CLOSED', daysAgo(40));
    const current = ticket('t-9', 9, 'OPEN');
    const target = await chooseReplyTarget([{ ticket: old, via: 'subject' }, { ticket: current, via: 'In-Reply-To' }], async () => null, now, 14);
    expect(target).toEqual({ kind: 'append', ticket: current, via: 'In-Reply-To', reopen: false });
  });

  it('walks the follow-ups of a long-closed ticket, and follows up on the last one when all are closed', async () => {
    const chain: Record<string, LifecycleTicket> = { 't-1': ticket('t-2', 2, 'CLOSED', daysAgo(20)), 't-2': ticket('t-3', 3, 'RESOLVED') };
    const followUpOf = async (id: string) => chain[id] ?? null;
    expect(await chooseReplyTarget([{ ticket: ticket('t-1', 1, 'CLOSED', daysAgo(40)), via: 'subject' }], followUpOf, now, 14))
      .toEqual({ kind: 'append', ticket: chain['t-2'], via: 'subject, then its follow-up REQ-3', reopen: true });
    const closedChain: Record<string, LifecycleTicket> = { 't-1': ticket('t-2', 2, 'CLOSED', daysAgo(20)) };
    expect(await chooseReplyTarget([{ ticket: ticket('t-1', 1, 'CLOSED', daysAgo(40)), via: 'subject' }], async (id) => closedChain[id] ?? null, now, 14))
      .toEqual({ kind: 'follow-up', of: closedChain['t-1'], via: 'subject' });
  });
});

describe('history of a change', () => {
  const current = { status: 'OPEN' as const, technicianGroupId: 'g-1', assigneeId: null, categoryId: null, priorityId: 'p-1', requestTypeId: null };

  it('records only what really changes, one entry per field', () => {
    expect(ticketChanges(current, { status: 'OPEN', technicianGroupId: 'g-1', assigneeId: 'u-1', priorityId: null })).toEqual([
      { field: 'ASSIGNEE', column: 'assigneeId', from: null, to: 'u-1' },
      { field: 'PRIORITY', column: 'priorityId', from: 'p-1', to: null },
    ]);
    expect(ticketChanges(current, {})).toEqual([]);
  });

  it('stamps closedAt when a ticket is closed and clears it when it leaves CLOSED', () => {
    expect(changedColumns(ticketChanges(current, { status: 'CLOSED' }), now)).toEqual({ status: 'CLOSED', closedAt: now });
    expect(changedColumns(ticketChanges({ ...current, status: 'CLOSED' }, { status: 'OPEN' }), now)).toEqual({ status: 'OPEN', closedAt: null });
  });
});
