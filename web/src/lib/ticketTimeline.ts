import type { TicketEventFieldsFragment, TicketMessageFieldsFragment } from '@/graphql/generated/graphql';
import { ticketEventFieldLabels, ticketStatusLabels } from '@/lib/ticketLabels';

export type TimelineItem =
  | { type: 'message'; key: string; at: string; message: TicketMessageFieldsFragment }
  | { type: 'event'; key: string; at: string; event: TicketEventFieldsFragment };

/**
 * The conversation with the ticket's history woven in, oldest first: a status change shows
 * between the mails around it. A change recorded at the same moment as a message (a reply that
 * set Pending) comes after it.
 */
export function conversationTimeline(
  messages: readonly TicketMessageFieldsFragment[],
  history: readonly TicketEventFieldsFragment[],
): TimelineItem[] {
  const items: TimelineItem[] = [
    ...messages.map((message) => ({ type: 'message' as const, key: `m:${message.id}`, at: message.receivedAt, message })),
    ...history.map((event) => ({ type: 'event' as const, key: `e:${event.id}`, at: event.at, event })),
  ];
  const rank = (item: TimelineItem) => (item.type === 'message' ? 0 : 1);
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => Date.parse(a.item.at) - Date.parse(b.item.at) || rank(a.item) - rank(b.item) || a.index - b.index)
    .map(({ item }) => item);
}

const valueText = (field: TicketEventFieldsFragment['field'], value: string | null): string | null => {
  if (value == null || value === '') return null;
  if (field === 'STATUS' && value in ticketStatusLabels) return ticketStatusLabels[value as keyof typeof ticketStatusLabels];
  return value;
};

/**
 * One history line: "Ada set status from Open to Pending", "The requester's reply re-opened it",
 * "Ada assigned it to Bob", "Ada cleared priority (was High)".
 */
export function describeTicketEvent(event: TicketEventFieldsFragment, viewerId?: string | null): string {
  const who = event.actor ? (event.actor.id === viewerId ? 'You' : event.actor.name || event.actor.email) : null;
  const from = valueText(event.field, event.from);
  const to = valueText(event.field, event.to);
  if (!who) {
    // Changes without an actor come from the requester's mail (SPEC §10: a reply re-opens).
    if (event.field === 'STATUS') return `The requester's reply set status from ${from ?? '—'} to ${to ?? '—'}`;
    return `Mailroom set ${ticketEventFieldLabels[event.field]} to ${to ?? 'none'}`;
  }
  if (event.field === 'ASSIGNEE') {
    if (!to) return `${who} unassigned it${from ? ` (was ${from})` : ''}`;
    return `${who} assigned it to ${to}${from ? ` (was ${from})` : ''}`;
  }
  const label = ticketEventFieldLabels[event.field];
  if (!to) return `${who} cleared ${label}${from ? ` (was ${from})` : ''}`;
  return from ? `${who} changed ${label} from ${from} to ${to}` : `${who} set ${label} to ${to}`;
}

/**
 * Addresses typed into a Cc box: separated by commas, semicolons or spaces, with display names
 * ("Ada <ada@example.com>") reduced to the address; each once, in order. `invalid` lists what
 * doesn't look like an address (the server checks again).
 */
export function parseAddressList(input: string): { addresses: string[]; invalid: string[] } {
  const addresses: string[] = [];
  const invalid: string[] = [];
  const parts = input.split(/[,;\n]+/).map((part) => part.trim()).filter(Boolean);
  for (const part of parts) {
    const inAngles = /<([^<>]+)>\s*$/.exec(part);
    const candidates = inAngles ? [inAngles[1]!.trim()] : part.split(/\s+/);
    for (const candidate of candidates) {
      const address = candidate.toLowerCase();
      if (!/^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/.test(address)) invalid.push(candidate);
      else if (!addresses.includes(address)) addresses.push(address);
    }
  }
  return { addresses, invalid };
}
