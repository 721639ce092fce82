import { and, desc, eq, inArray, isNotNull } from 'drizzle-orm';
import { emailAddress } from '../../lib/inputs.js';
import type { Db } from '../../db/client.js';
import { attachments, incomingServers, messages, outboundMail, outgoingServers, requesters, ticketParticipants, type TicketStatus } from '../../db/schema.js';
import { normalizeContentType, sanitizeFilename, type AttachmentStore, type StoredFile } from '../../ingest/attachments.js';
import type { MailIdentity } from '../../ingest/identity.js';
import { formatBytes } from '../../ingest/limits.js';
import { outgoingServerForSending } from '../../ingest/lookups.js';
import { contentHash } from '../../ingest/content-hash.js';
import { NotFoundError, ValidationError, type FieldError } from '../../lib/errors.js';
import type { PubSub } from '../../lib/pubsub.js';
import { clipped, storableText } from '../../lib/text.js';
import type { Upload } from '../../lib/upload.js';
import { isUuid } from '../../lib/uuid.js';
import type { Viewer } from '../auth/auth.service.js';
import { composeReply, replyBody, type BodyFormat } from './reply-mail.js';
import { bodyProblem, markSeen, touch, type Refused, type TicketWorkService } from './ticket-work.service.js';
import type { MessageRow, TicketRow } from './ticket.service.js';


export interface ReplyInput {
  body: string;
  bodyFormat: BodyFormat;
  cc: string[];
  attachments: Upload[];
  /** Set the status in the same step ("send and set Pending"). */
  setStatus?: TicketStatus | null;
}

const MAX_CC = 20;
const MAX_ATTACHMENTS = 20;
const address = emailAddress();

export interface ReplyDeps {
  identity: MailIdentity;
  attachments: AttachmentStore;
  maxSizes: () => Promise<{ maxAttachmentBytes: number; maxMessageBytes: number }>;
  /** A reply was queued: the outbound worker can send it now. */
  onQueued: () => void;
}

/**
 * SPEC §10 reply by email. Everything is checked before anything is written; then the ticket
 * message, its outbound mail, its attachments and the status change commit in one transaction,
 * and the outbound worker sends it (with its retries) afterwards.
 */
export class TicketReplyService {
  constructor(private readonly db: Db, private readonly work: TicketWorkService, private readonly pubsub: PubSub, private readonly deps: ReplyDeps) {}

  async reply(viewer: Viewer, ticketId: string, input: ReplyInput): Promise<MessageRow | Refused | ValidationError> {
    const ticket = await this.work.forChange(viewer, ticketId);
    if (!('id' in ticket)) return ticket;
    const sizes = await this.deps.maxSizes();
    const errors: FieldError[] = [];
    const fail = (path: string[], message: string) => errors.push({ path, message });

    const problem = bodyProblem(input.body);
    const body = problem ? null : await replyBody(storableText(input.body), input.bodyFormat);
    if (problem || !body?.text) fail(['body'], problem ?? 'Write something');

    const ours = await this.ownAddresses();
    const cc = [...new Set(input.cc.map((a) => a.trim().toLowerCase()).filter(Boolean))];
    if (cc.length > MAX_CC) fail(['cc'], `At most ${MAX_CC} addresses`);
    cc.slice(0, MAX_CC).forEach((a, i) => {
      if (!address.safeParse(a).success) fail(['cc', String(i)], `${clipped(a, 80)} is not an email address`);
      else if (ours.has(a)) fail(['cc', String(i)], `${a} is one of Mailroom's own addresses`);
    });

    if (input.attachments.length > MAX_ATTACHMENTS) fail(['attachments'], `At most ${MAX_ATTACHMENTS} attachments`);
    input.attachments.forEach((f, i) => {
      if (f.size > sizes.maxAttachmentBytes) fail(['attachments', String(i)], `${f.name || 'attachment'} (${formatBytes(f.size)}) is over the ${formatBytes(sizes.maxAttachmentBytes)} limit`);
    });
    const total = input.attachments.reduce((n, f) => n + f.size, 0);
    if (total > sizes.maxMessageBytes) fail(['attachments'], `Attachments of ${formatBytes(total)} make the mail larger than the ${formatBytes(sizes.maxMessageBytes)} limit`);

    let patch = {};
    if (input.setStatus) {
      const validated = await this.work.validate(viewer, ticket, { status: input.setStatus });
      if (validated instanceof ValidationError) errors.push(...validated.fieldErrors.map((e) => ({ ...e, path: ['setStatus'] })));
      else patch = validated;
    }

    const [requester] = await this.db.select().from(requesters).where(eq(requesters.id, ticket.requesterId));
    if (requester && ours.has(requester.email.toLowerCase())) {
      fail(['ticketId'], `The requester ${requester.email} is one of Mailroom's own mailboxes: a reply would go back into Mailroom`);
    }
    const [mailbox] = ticket.incomingServerId ? await this.db.select().from(incomingServers).where(eq(incomingServers.id, ticket.incomingServerId)) : [];
    const outgoing = await outgoingServerForSending(this.db, mailbox?.outgoingServerId);
    if (!outgoing) fail(['ticketId'], 'No outgoing email server to send through: the mailbox links none (or it is disabled) and there is no enabled primary');
    if (errors.length || !body || !requester || !outgoing) return ValidationError.of(errors);

    const files = await Promise.all(input.attachments.map(async (f) => ({
      filename: sanitizeFilename(storableText(f.name)) ?? 'attachment',
      contentType: normalizeContentType(f.type),
      content: Buffer.from(await f.arrayBuffer()),
    })));
    const parent = await this.latestMail(ticket.id);
    const from = { address: mailbox?.email ?? outgoing.fromAddress, name: outgoing.fromName || mailbox?.name || null };
    const mail = await composeReply({
      ticketNumber: ticket.number, subject: ticket.subject, from, to: { address: requester.email, name: requester.name }, cc, body, parent,
      attachments: files, identity: this.deps.identity,
    });
    const stored = await this.deps.attachments.put(
      files.map((f) => ({ ...f, size: f.content.length, contentId: null, inline: false })),
      Number.MAX_SAFE_INTEGER,
    );
    let row: MessageRow;
    try {
      row = await this.db.transaction(async (tx) => {
        const [message] = await tx
          .insert(messages)
          .values({
            serverId: mailbox?.id ?? null, sourceKey: `outbound:${mail.messageId.slice(1, -1)}`, ticketId: ticket.id, direction: 'OUTBOUND', kind: 'OUTGOING',
            authorUserId: viewer.user.id, messageId: mail.messageId, inReplyTo: mail.headers['In-Reply-To'] ?? null, references: mail.headers.References?.split(' ') ?? [],
            toAddresses: [requester.email.toLowerCase()], ccAddresses: cc, contentHash: contentHash(mail.raw), fromAddress: from.address.toLowerCase(), fromName: from.name,
            subject: mail.subject, bodyText: body.text, bodyHtml: body.html, rawSize: mail.raw.length, raw: mail.raw,
          })
          .returning();
        await tx.insert(outboundMail).values({
          ticketId: ticket.id, outgoingServerId: outgoing.id, kind: 'REPLY', toAddress: requester.email, ccAddresses: cc, subject: mail.subject, messageId: mail.messageId, raw: mail.raw,
        });
        if (stored.files.length) await tx.insert(attachments).values(stored.files.map((f: StoredFile) => ({ ...f, messageRowId: message!.id, ticketId: ticket.id })));
        // Whoever was copied may answer into the ticket as well.
        if (cc.length) await tx.insert(ticketParticipants).values(cc.map((email) => ({ ticketId: ticket.id, email }))).onConflictDoNothing();
        await touch(tx, ticket.id, body.text);
        await this.work.apply(tx, viewer, ticket.id, patch);
        await markSeen(tx, ticket.id, viewer.user.id);
        const { raw: _raw, ...visible } = message!;
        return visible;
      });
    } catch (err) {
      await this.deps.attachments.discard(stored.files);
      throw err;
    }
    this.deps.onQueued();
    this.pubsub.publish('ticketUpdated', ticket.id);
    return row;
  }

  /** A FAILED reply (or acknowledgment) queued again with a fresh set of attempts. */
  async retry(viewer: Viewer, messageRowId: string): Promise<MessageRow | Refused | ValidationError> {
    const [message] = isUuid(messageRowId) ? await this.db.select().from(messages).where(eq(messages.id, messageRowId)) : [];
    const ticket = message?.ticketId ? await this.work.forChange(viewer, message.ticketId) : null;
    if (!message || !ticket) return new NotFoundError('No such message');
    if (!('id' in ticket)) return ticket;
    const [mail] = message.messageId ? await this.db.select().from(outboundMail).where(eq(outboundMail.messageId, message.messageId)) : [];
    if (!mail) return ValidationError.of([{ path: ['messageId'], message: 'This message was not sent by Mailroom' }]);
    if (mail.status !== 'FAILED') return ValidationError.of([{ path: ['messageId'], message: mail.status === 'SENT' ? 'This mail has been sent already' : 'This mail is still queued' }]);
    await this.db.update(outboundMail).set({ status: 'PENDING', attempts: 0, nextAttemptAt: new Date() }).where(and(eq(outboundMail.id, mail.id), eq(outboundMail.status, 'FAILED')));
    this.deps.onQueued();
    this.pubsub.publish('ticketUpdated', ticket.id);
    const { raw: _raw, ...visible } = message;
    return visible;
  }

  /** Every address that would bring the mail back into Mailroom: the mailboxes and the senders of outgoing servers. */
  private async ownAddresses(): Promise<Set<string>> {
    const [mailboxes, senders] = await Promise.all([
      this.db.select({ email: incomingServers.email }).from(incomingServers),
      this.db.select({ email: outgoingServers.fromAddress }).from(outgoingServers),
    ]);
    return new Set([...mailboxes, ...senders].map((r) => r.email.trim().toLowerCase()));
  }

  /** The conversation's latest mail (theirs or ours): the one a reply answers. */
  private async latestMail(ticketId: string): Promise<{ messageId: string | null; references: string[] } | null> {
    const [row] = await this.db
      .select({ messageId: messages.messageId, references: messages.references })
      .from(messages)
      .where(and(eq(messages.ticketId, ticketId), isNotNull(messages.messageId), inArray(messages.direction, ['INBOUND', 'OUTBOUND'])))
      .orderBy(desc(messages.receivedAt))
      .limit(1);
    return row ?? null;
  }
}
