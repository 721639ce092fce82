import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { messages, requesters, technicianGroupMembers, technicianGroups, tickets, users, type OutboundMailRow } from '../../db/schema.js';
import type { Logger } from '../../lib/logger.js';
import type { NotificationService } from './notification.service.js';
import { clipped } from '../../lib/text.js';


/**
 * The ticket notifications of SPEC §10: a new ticket in one of a technician's groups, a
 * requester's reply on a ticket assigned to them (each switchable per user), and a reply that
 * could not be sent (to its author and the channel managers). Called after the commit that made
 * the change; a failure here is logged, never undoes the change nor reaches the caller.
 */
export class TicketNotifier {
  constructor(private readonly db: Db, private readonly notifications: NotificationService, private readonly logger: Logger) {}

  ticketsCreated(ticketIds: string[]): Promise<void> {
    return this.guard('NEW_TICKET', () => this.newTickets(ticketIds));
  }

  requesterReplied(ticketIds: string[]): Promise<void> {
    return this.guard('REQUESTER_REPLIED', () => this.replies(ticketIds));
  }

  /** A reply (or acknowledgment) the outbound worker gave up on. */
  sendFailed(mail: Pick<OutboundMailRow, 'kind' | 'ticketId' | 'messageId' | 'toAddress' | 'lastError'>): Promise<void> {
    return this.guard('SEND_FAILED', () => this.failed(mail));
  }

  /** Nothing here may fail the caller (an ingest batch, the outbound worker): failures are logged. */
  private async guard(kind: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.logger.error({ err, kind }, 'could not raise ticket notifications');
    }
  }

  private async newTickets(ticketIds: string[]): Promise<void> {
    for (const ticket of await this.describe(ticketIds)) {
      if (!ticket.groupId) continue;
      const members = await this.db
        .select({ id: users.id })
        .from(technicianGroupMembers)
        .innerJoin(users, eq(users.id, technicianGroupMembers.userId))
        .where(and(eq(technicianGroupMembers.groupId, ticket.groupId), eq(users.notifyNewTicket, true), isNull(users.deactivatedAt)));
      await this.raise(members.map((m) => m.id), {
        kind: 'NEW_TICKET', ticketId: ticket.id,
        title: `New request REQ-${ticket.number} in ${ticket.groupName}`,
        body: `${clipped(ticket.subject, 120)} — from ${ticket.requester}`,
      });
    }
  }

  private async replies(ticketIds: string[]): Promise<void> {
    for (const ticket of await this.describe(ticketIds)) {
      if (!ticket.assigneeId) continue;
      const [assignee] = await this.db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.id, ticket.assigneeId), eq(users.notifyRequesterReplied, true), isNull(users.deactivatedAt)));
      if (!assignee) continue;
      await this.raise([assignee.id], {
        kind: 'REQUESTER_REPLIED', ticketId: ticket.id,
        title: `REQ-${ticket.number}: the requester replied`,
        body: `${ticket.requester} replied on "${clipped(ticket.subject, 120)}"`,
      });
    }
  }

  private async failed(mail: Pick<OutboundMailRow, 'kind' | 'ticketId' | 'messageId' | 'toAddress' | 'lastError'>): Promise<void> {
    const [ticket] = mail.ticketId ? await this.describe([mail.ticketId]) : [];
    const [message] = await this.db.select({ authorUserId: messages.authorUserId }).from(messages).where(eq(messages.messageId, mail.messageId));
    const recipients = [...(await this.notifications.channelManagers()), ...(mail.kind === 'REPLY' && message?.authorUserId ? [message.authorUserId] : [])];
    const what = mail.kind === 'REPLY' ? 'A reply' : 'The acknowledgment';
    await this.raise(recipients, {
      kind: 'SEND_FAILED', ticketId: ticket?.id ?? null,
      title: `${what}${ticket ? ` on REQ-${ticket.number}` : ''} to ${mail.toAddress} could not be sent`,
      body: mail.lastError ?? 'The outgoing mail server refused it.',
    });
  }

  private async raise(userIds: string[], n: Parameters<NotificationService['create']>[2]): Promise<void> {
    const rows = await this.notifications.create(this.db, userIds, n);
    await this.notifications.published(rows, 'notificationAdded');
  }

  private async describe(ids: string[]) {
    if (!ids.length) return [];
    return this.db
      .select({
        id: tickets.id, number: tickets.number, subject: tickets.subject, groupId: tickets.technicianGroupId, groupName: technicianGroups.name,
        assigneeId: tickets.assigneeId, requester: requesters.email,
      })
      .from(tickets)
      .innerJoin(requesters, eq(requesters.id, tickets.requesterId))
      .leftJoin(technicianGroups, eq(technicianGroups.id, tickets.technicianGroupId))
      .where(inArray(tickets.id, ids));
  }
}
