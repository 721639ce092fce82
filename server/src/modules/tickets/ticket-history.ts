import { inArray } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { categories, priorities, requestTypes, technicianGroups, ticketEvents, users, type TicketEventField } from '../../db/schema.js';
import type { TicketChange } from './ticket-changes.js';

const NAMED: Partial<Record<TicketEventField, typeof technicianGroups | typeof categories | typeof priorities | typeof requestTypes | typeof users>> = {
  TECHNICIAN_GROUP: technicianGroups,
  CATEGORY: categories,
  PRIORITY: priorities,
  REQUEST_TYPE: requestTypes,
  ASSIGNEE: users,
};

/**
 * Writes one history entry per change, with the names as they are now (a group renamed or a
 * user deactivated later still reads as it did), in the transaction that made the change.
 */
export async function recordChanges(q: Queryable, ticketId: string, actorUserId: string | null, changes: TicketChange[]): Promise<void> {
  if (!changes.length) return;
  const names = new Map<string, string>();
  for (const [field, table] of Object.entries(NAMED) as [TicketEventField, NonNullable<(typeof NAMED)[TicketEventField]>][]) {
    const ids = changes.filter((c) => c.field === field).flatMap((c) => [c.from, c.to]).filter((id): id is string => id !== null);
    if (!ids.length) continue;
    const rows = await q.select({ id: table.id, name: table.name }).from(table).where(inArray(table.id, ids));
    for (const r of rows) names.set(r.id, r.name);
  }
  const shown = (field: TicketEventField, value: string | null) => (value === null || field === 'STATUS' ? value : (names.get(value) ?? value));
  await q.insert(ticketEvents).values(changes.map((c) => ({ ticketId, actorUserId, field: c.field, fromValue: shown(c.field, c.from), toValue: shown(c.field, c.to) })));
}
