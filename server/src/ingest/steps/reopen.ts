import type { TicketStatus } from '../../db/schema.js';

/**
 * SPEC §10, the requester's side of the status lifecycle: a reply re-opens a PENDING or RESOLVED
 * ticket, and a CLOSED one closed less than the reopen window ago; a reply to a ticket closed
 * longer ago becomes a new ticket that links to it, and so does every later reply to that old
 * ticket, which then lands on the follow-up instead.
 */

export interface LifecycleTicket { id: string; number: number; status: TicketStatus; closedAt: Date | null }

export type ReplyEffect = 'append' | 'reopen' | 'follow-up';

const DAY_MS = 24 * 3_600_000;

export function requesterReplyEffect(ticket: Pick<LifecycleTicket, 'status' | 'closedAt'>, now: Date, reopenWindowDays: number): ReplyEffect {
  switch (ticket.status) {
    case 'OPEN':
      return 'append';
    case 'PENDING':
    case 'RESOLVED':
      return 'reopen';
    case 'CLOSED':
      // Closed before closedAt was recorded: how long ago is unknown, so it is treated as long closed.
      if (!ticket.closedAt) return 'follow-up';
      return now.getTime() - ticket.closedAt.getTime() > reopenWindowDays * DAY_MS ? 'follow-up' : 'reopen';
  }
}

export type ReplyTarget<T extends LifecycleTicket> =
  | { kind: 'append'; ticket: T; via: string; reopen: boolean }
  | { kind: 'follow-up'; of: T; via: string };

/** Follow-ups of follow-ups are followed this far; past it the reply follows up on the last one seen. */
const MAX_FOLLOW_UP_CHAIN = 5;

/**
 * Where a reply goes, given the tickets it threads to (in the order threading found them, each one
 * the sender takes part in): the first one still open to replies; otherwise the newest follow-up of
 * the first one, if that one is; otherwise a new follow-up ticket.
 */
export async function chooseReplyTarget<T extends LifecycleTicket>(
  matches: readonly { ticket: T; via: string }[],
  followUpOf: (ticketId: string) => Promise<T | null>,
  now: Date,
  reopenWindowDays: number,
): Promise<ReplyTarget<T>> {
  if (!matches.length) throw new Error('chooseReplyTarget needs at least one ticket');
  for (const m of matches) {
    const effect = requesterReplyEffect(m.ticket, now, reopenWindowDays);
    if (effect !== 'follow-up') return { kind: 'append', ticket: m.ticket, via: m.via, reopen: effect === 'reopen' };
  }
  const first = matches[0]!;
  let current = first.ticket;
  for (let i = 0; i < MAX_FOLLOW_UP_CHAIN; i++) {
    const next = await followUpOf(current.id);
    if (!next) break;
    const effect = requesterReplyEffect(next, now, reopenWindowDays);
    if (effect !== 'follow-up') {
      return { kind: 'append', ticket: next, via: `${first.via}, then its follow-up REQ-${next.number}`, reopen: effect === 'reopen' };
    }
    current = next;
  }
  return { kind: 'follow-up', of: current, via: first.via };
}
