import type { DeliveryStatus, TicketEventField, TicketStatus } from '@/graphql/generated/graphql';

type Tone = 'neutral' | 'accent' | 'success' | 'danger' | 'warning';

export const ticketStatusOrder: readonly TicketStatus[] = ['OPEN', 'PENDING', 'RESOLVED', 'CLOSED'];
export const ticketStatusLabels: Record<TicketStatus, string> = { OPEN: 'Open', PENDING: 'Pending', RESOLVED: 'Resolved', CLOSED: 'Closed' };
export const ticketStatusTones: Record<TicketStatus, Tone> = { OPEN: 'accent', PENDING: 'warning', RESOLVED: 'success', CLOSED: 'neutral' };
/** What each status means to the technician choosing it. */
export const ticketStatusHints: Record<TicketStatus, string> = {
  OPEN: 'Being worked on',
  PENDING: 'Waiting for the requester',
  RESOLVED: 'Solved; re-opens if the requester answers',
  CLOSED: 'Done',
};

export const deliveryLabels: Record<DeliveryStatus, string> = { SENDING: 'Sending…', SENT: 'Sent', FAILED: 'Failed' };
export const deliveryTones: Record<DeliveryStatus, Tone> = { SENDING: 'warning', SENT: 'success', FAILED: 'danger' };

export const ticketEventFieldLabels: Record<TicketEventField, string> = {
  STATUS: 'status',
  ASSIGNEE: 'assignee',
  TECHNICIAN_GROUP: 'group',
  CATEGORY: 'category',
  PRIORITY: 'priority',
  REQUEST_TYPE: 'request type',
};
