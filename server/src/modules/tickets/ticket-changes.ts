import type { TicketEventField, TicketStatus } from '../../db/schema.js';

/** The fields a technician sets on a ticket; undefined keeps a field, null clears it. */
export interface TicketPatch {
  status?: TicketStatus;
  technicianGroupId?: string | null;
  assigneeId?: string | null;
  categoryId?: string | null;
  priorityId?: string | null;
  requestTypeId?: string | null;
}

type Current = Required<{ [K in keyof TicketPatch]: Exclude<TicketPatch[K], undefined> }>;

export interface TicketChange { field: TicketEventField; column: keyof TicketPatch; from: string | null; to: string | null }

const FIELDS: [keyof TicketPatch, TicketEventField][] = [
  ['status', 'STATUS'],
  ['technicianGroupId', 'TECHNICIAN_GROUP'],
  ['assigneeId', 'ASSIGNEE'],
  ['categoryId', 'CATEGORY'],
  ['priorityId', 'PRIORITY'],
  ['requestTypeId', 'REQUEST_TYPE'],
];

/** What a patch really changes on the ticket as it is now, one history entry per field. */
export function ticketChanges(current: Current, patch: TicketPatch): TicketChange[] {
  const changes: TicketChange[] = [];
  for (const [column, field] of FIELDS) {
    const to = patch[column];
    if (to === undefined || to === current[column]) continue;
    changes.push({ field, column, from: current[column], to });
  }
  return changes;
}

/** The columns to write for those changes (closedAt follows the status into and out of CLOSED). */
export function changedColumns(changes: TicketChange[], now: Date): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const c of changes) set[c.column] = c.to;
  const status = changes.find((c) => c.column === 'status');
  if (status) set.closedAt = status.to === 'CLOSED' ? now : null;
  return set;
}
