import type { TicketStatus } from '../../db/schema.js';

/**
 * SPEC §10, the technicians' side of the status lifecycle: OPEN → PENDING (waiting for the
 * requester) → RESOLVED → CLOSED. Work can go back to OPEN from anywhere; a CLOSED ticket only
 * re-opens. Setting the status a ticket has already changes nothing and is allowed.
 */
const NEXT: Record<TicketStatus, readonly TicketStatus[]> = {
  OPEN: ['PENDING', 'RESOLVED', 'CLOSED'],
  PENDING: ['OPEN', 'RESOLVED', 'CLOSED'],
  RESOLVED: ['OPEN', 'CLOSED'],
  CLOSED: ['OPEN'],
};

export function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  return from === to || NEXT[from].includes(to);
}

/** Why `from → to` is refused, for the field error; null when it is allowed. */
export function transitionError(from: TicketStatus, to: TicketStatus): string | null {
  if (canTransition(from, to)) return null;
  return `A ${from} ticket can't become ${to}; it can become ${NEXT[from].join(', ')}`;
}
