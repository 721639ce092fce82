import { and, desc, eq, getTableColumns, type SQL } from 'drizzle-orm';
import type { Db, Queryable } from '../../db/client.js';
import { messages, outboundMail } from '../../db/schema.js';
import { ValidationError, NotFoundError } from '../../lib/errors.js';
import { contentHash, type ParsedMessage } from '../../ingest/parse.js';
import { isUuid } from '../../modules/incoming-servers/incoming-server.service.js';
import { outgoingServerForSending } from '../../modules/outgoing-servers/outgoing-server.service.js';
import { composeAcknowledgment } from './acknowledgment.js';
import type { MailIdentity } from './identity.js';

export type OutboundMailRow = typeof outboundMail.$inferSelect;
export type OutboundStatus = OutboundMailRow['status'];

const { raw: _raw, ...listed } = getTableColumns(outboundMail);

export interface AcknowledgmentRequest {
  ticket: { id: string; number: number; subject: string };
  /** The incoming server the mail came through: its linked outgoing server sends the acknowledgment. */
  server: { id: string; email: string; outgoingServerId: string | null };
  parsedMessage: Pick<ParsedMessage, 'from' | 'messageId' | 'references' | 'subject'>;
  identity: MailIdentity;
}

export type QueuedAcknowledgment =
  | { queued: true; outboundMailId: string; messageRowId: string; messageId: string; outgoingServerId: string }
  | { queued: false; reason: string };

/**
 * SPEC §4 step 10, inside the ingest transaction: composes the acknowledgment and inserts it as
 * an outbound_mail row (the worker sends it after the commit) and as an OUTBOUND messages row
 * carrying its Message-ID, so a reply to it threads onto the ticket. The caller decides that
 * the mail deserves one (TICKET_CREATED, not automated); without an enabled linked or primary
 * outgoing server nothing is queued.
 */
export async function queueAcknowledgment(tx: Queryable, req: AcknowledgmentRequest): Promise<QueuedAcknowledgment> {
  const requester = req.parsedMessage.from;
  if (!requester?.address) return { queued: false, reason: 'the message has no sender address' };
  const outgoing = await outgoingServerForSending(tx, req.server.outgoingServerId);
  if (!outgoing) return { queued: false, reason: 'no outgoing email server: the mailbox links none and there is no enabled primary' };
  const to = requester.address.toLowerCase();
  // Acknowledging ourselves would start the loop the pipeline's loop check is there to stop.
  if (to === outgoing.fromAddress.toLowerCase() || to === req.server.email.toLowerCase()) {
    return { queued: false, reason: `the sender ${to} is Mailroom's own address` };
  }

  const mail = await composeAcknowledgment({
    ticketNumber: req.ticket.number,
    subject: req.ticket.subject,
    requester: { address: requester.address, name: requester.name },
    fromAddress: outgoing.fromAddress,
    fromName: outgoing.fromName,
    inReplyTo: req.parsedMessage.messageId,
    references: req.parsedMessage.references,
    identity: req.identity,
  });
  const [queued] = await tx
    .insert(outboundMail)
    .values({
      ticketId: req.ticket.id,
      outgoingServerId: outgoing.id,
      kind: 'ACKNOWLEDGMENT',
      toAddress: requester.address,
      subject: mail.subject,
      messageId: mail.messageId,
      raw: mail.raw,
    })
    .returning({ id: outboundMail.id });
  const [stored] = await tx
    .insert(messages)
    .values({
      serverId: req.server.id,
      sourceKey: `outbound:${mail.messageId.slice(1, -1)}`,
      ticketId: req.ticket.id,
      direction: 'OUTBOUND',
      messageId: mail.messageId,
      inReplyTo: mail.headers['In-Reply-To'] ?? null,
      references: mail.headers.References?.split(' ') ?? [],
      toAddresses: [to],
      contentHash: contentHash(mail.raw),
      fromAddress: outgoing.fromAddress.toLowerCase(),
      fromName: outgoing.fromName,
      subject: mail.subject,
      bodyText: mail.text,
      rawSize: mail.raw.length,
      raw: mail.raw,
    })
    .returning({ id: messages.id });
  return { queued: true, outboundMailId: queued!.id, messageRowId: stored!.id, messageId: mail.messageId, outgoingServerId: outgoing.id };
}

/** What admins see of outgoing mail: the queue, what was sent, and what failed and why. */
export class Outbox {
  constructor(private readonly db: Db) {}

  list(filter: { status?: OutboundStatus | null; ticketId?: string | null }, first = 50): Promise<Omit<OutboundMailRow, 'raw'>[]> {
    const where: SQL[] = [];
    if (filter.status) where.push(eq(outboundMail.status, filter.status));
    if (filter.ticketId && isUuid(filter.ticketId)) where.push(eq(outboundMail.ticketId, filter.ticketId));
    return this.db.select(listed).from(outboundMail).where(and(...where)).orderBy(desc(outboundMail.createdAt)).limit(Math.min(Math.max(first, 1), 500));
  }

  async get(id: string): Promise<Omit<OutboundMailRow, 'raw'> | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select(listed).from(outboundMail).where(eq(outboundMail.id, id));
    return row;
  }

  /** A FAILED mail goes back in the queue with a fresh set of attempts, e.g. after the admin fixed the server. */
  async retry(id: string): Promise<Omit<OutboundMailRow, 'raw'> | NotFoundError | ValidationError> {
    const existing = await this.get(id);
    if (!existing) return new NotFoundError('No such outgoing mail');
    if (existing.status !== 'FAILED') return new ValidationError(existing.status === 'SENT' ? 'This mail has been sent already' : 'This mail is still queued');
    await this.db.update(outboundMail).set({ status: 'PENDING', attempts: 0, nextAttemptAt: new Date() }).where(and(eq(outboundMail.id, id), eq(outboundMail.status, 'FAILED')));
    return (await this.get(id))!;
  }
}
