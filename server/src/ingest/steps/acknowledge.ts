import type Mail from 'nodemailer/lib/mailer';
import type { Queryable } from '../../db/client.js';
import { messages, outboundMail, type OutgoingServerRow } from '../../db/schema.js';
import { acknowledgmentMessageId, type MailIdentity } from '../identity.js';
import { contentHash } from '../content-hash.js';
import type { ParsedMessage } from '../parse.js';
import { renderAcknowledgment, type AcknowledgmentTemplates } from './acknowledge-template.js';
import { ticketReference } from './threading.js';
import { clipped } from '../../lib/text.js';

export interface AcknowledgmentInput {
  ticketNumber: number;
  /** The customer's subject, as the ticket has it. */
  subject: string;
  requester: { address: string; name?: string | null };
  fromAddress: string;
  fromName?: string | null;
  /** The customer's Message-ID (`<…>`), when their mail had one. */
  inReplyTo?: string | null;
  /** The customer's References; ours continue them. */
  references?: string[];
  identity: Pick<MailIdentity, 'messageIdDomain' | 'loopValue'>;
  date?: Date;
  /** The mailbox the customer wrote to, for its placeholders. */
  mailbox?: { name: string; email: string };
  /** The email preference's templates; the built-in text without them. */
  templates?: AcknowledgmentTemplates;
}

export interface ComposedMail {
  subject: string;
  /** With angle brackets, as mailparser reports Message-IDs. */
  messageId: string;
  raw: Buffer;
  /** The headers we set ourselves, for the record and for tests. */
  headers: Record<string, string>;
  envelope: { from: string; to: string[] };
  text: string;
}

const MAX_SUBJECT = 400;
const MAX_REFERENCES = 20;
const TICKET_REFERENCE = /\[\s*#?\s*REQ\s*-\s*\d{1,9}\s*\]/gi;

/**
 * `[#REQ-n] <subject>`: our reference once, in front. Other ticket references are dropped — a
 * new ticket whose mail quoted someone else's number must not carry that number into the
 * replies that thread on this one.
 */
export function acknowledgmentSubject(ticketNumber: number, subject: string): string {
  return `${ticketReference(ticketNumber)} ${cleanSubject(subject) || '(no subject)'}`;
}

/** One line, no ticket references, bounded: what our subjects build on. */
export function cleanSubject(subject: string): string {
  const rest = subject.replace(/[\r\n\t]+/g, ' ').replace(TICKET_REFERENCE, ' ').replace(/\s+/g, ' ').trim();
  return clipped(rest, MAX_SUBJECT);
}

/** `<id>` for a Message-ID in any of the forms mail carries, or null when it is not one. */
export function angle(id: string): string | null {
  const bare = id.trim().replace(/^<+/, '').replace(/>+$/, '').trim();
  return bare && !/[\s<>]/.test(bare) ? `<${bare}>` : null;
}

/** RFC 5322 §3.6.4: the parent's References, then the parent's Message-ID; each once, the newest kept. */
export function chainReferences(parentReferences: readonly string[], parentMessageId: string | null): string[] {
  return [...parentReferences, ...(parentMessageId ? [parentMessageId] : [])]
    .flatMap((r) => r.split(/\s+/))
    .map(angle)
    .filter((r): r is string => r !== null)
    .filter((r, i, all) => all.indexOf(r) === i)
    .slice(-MAX_REFERENCES);
}

/**
 * The acknowledgment of SPEC §4 step 10, as a complete RFC 5322 message. No I/O: the caller
 * queues it and the outbound worker sends the stored bytes, so a retry sends exactly the same
 * message, Message-ID included.
 */
export async function composeAcknowledgment(input: AcknowledgmentInput): Promise<ComposedMail> {
  const { subject, text } = renderAcknowledgment(input.templates ?? { subject: null, body: null }, {
    ticketNumber: input.ticketNumber,
    subject: cleanSubject(input.subject),
    requester: input.requester,
    mailbox: input.mailbox ?? { name: input.fromName ?? '', email: input.fromAddress },
    senderName: input.fromName,
  });
  const messageId = acknowledgmentMessageId(input.ticketNumber, input.identity);
  const inReplyTo = input.inReplyTo ? angle(input.inReplyTo) : null;
  const references = chainReferences(input.references ?? [], inReplyTo);

  // RFC 3834: Auto-Submitted is the standard marker. Precedence: bulk is not standard, but it is
  // what older vacation programs and Gmail's responder look for, and X-Auto-Response-Suppress
  // is Exchange's; with all three an out-of-office answering our acknowledgment is rare.
  const headers: Record<string, string> = {
    'Auto-Submitted': 'auto-replied',
    'X-Loop': input.identity.loopValue,
    'X-Auto-Response-Suppress': 'All',
    Precedence: 'bulk',
    ...(inReplyTo ? { 'In-Reply-To': inReplyTo } : {}),
    ...(references.length ? { References: references.join(' ') } : {}),
  };
  return compileMail(
    { from: { name: oneLine(input.fromName), address: input.fromAddress }, to: { name: oneLine(input.requester.name), address: input.requester.address }, date: input.date ?? new Date() },
    { subject, messageId, headers, text, envelope: { from: input.fromAddress, to: [input.requester.address] } },
  );
}

export const oneLine = (s: string | null | undefined) => s?.replace(/[\r\n]+/g, ' ').trim() || '';

/**
 * Builds a message we send, with what we record of it. Composed once and stored: the outbound
 * worker sends these bytes, so a retry sends exactly the same message, Message-ID included.
 */
export async function compileMail(
  options: Omit<Mail.Options, 'subject' | 'messageId' | 'headers' | 'text'>,
  mail: Omit<ComposedMail, 'raw'>,
): Promise<ComposedMail> {
  // Loaded with the first mail we send, not at start.
  const { default: MailComposer } = await import('nodemailer/lib/mail-composer');
  const composer = new MailComposer({
    ...options,
    subject: mail.subject,
    messageId: mail.messageId,
    text: mail.text,
    headers: mail.headers,
    textEncoding: 'quoted-printable',
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const raw = await composer.compile().build();
  return { ...mail, raw, headers: { ...mail.headers, 'Message-ID': mail.messageId, Subject: mail.subject } };
}

export interface AcknowledgmentRequest {
  ticket: { id: string; number: number; subject: string };
  /** The incoming server the mail came through: its linked outgoing server sends the acknowledgment. */
  server: { id: string; name: string; email: string; outgoingServerId: string | null };
  templates: AcknowledgmentTemplates;
  parsedMessage: Pick<ParsedMessage, 'from' | 'messageId' | 'references' | 'subject'>;
  identity: MailIdentity;
}

export interface AcknowledgmentLookups {
  /** The server mail goes out through (ingest/lookups.ts): the linked one if enabled, else the enabled primary. */
  outgoingServerFor(preferredId: string | null): Promise<OutgoingServerRow | undefined>;
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
export async function queueAcknowledgment(tx: Queryable, lookups: AcknowledgmentLookups, req: AcknowledgmentRequest): Promise<QueuedAcknowledgment> {
  const requester = req.parsedMessage.from;
  if (!requester?.address) return { queued: false, reason: 'the message has no sender address' };
  const outgoing = await lookups.outgoingServerFor(req.server.outgoingServerId);
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
    mailbox: { name: req.server.name, email: req.server.email },
    templates: req.templates,
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
      kind: 'ACKNOWLEDGMENT',
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
