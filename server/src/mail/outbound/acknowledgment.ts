import { ticketReference } from '../../ingest/steps/threading.js';
import { acknowledgmentMessageId, type MailIdentity } from './identity.js';

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

function cleanSubject(subject: string): string {
  const rest = subject.replace(/[\r\n\t]+/g, ' ').replace(TICKET_REFERENCE, ' ').replace(/\s+/g, ' ').trim();
  return rest.length > MAX_SUBJECT ? `${rest.slice(0, MAX_SUBJECT - 1)}…` : rest;
}

function angle(id: string): string | null {
  const bare = id.trim().replace(/^<+/, '').replace(/>+$/, '').trim();
  return bare && !/[\s<>]/.test(bare) ? `<${bare}>` : null;
}

/** `subject` is the customer's subject without ticket references, on one line. */
export function acknowledgmentText(input: Pick<AcknowledgmentInput, 'ticketNumber' | 'subject' | 'requester' | 'fromName'>): string {
  const reference = ticketReference(input.ticketNumber);
  const greeting = input.requester.name ? `Hello ${input.requester.name.replace(/[\r\n]+/g, ' ').trim()},` : 'Hello,';
  return [
    greeting,
    '',
    `we have received your request and opened ticket REQ-${input.ticketNumber}${input.subject ? ` ("${input.subject}")` : ''}.`,
    `To add anything, reply to this email and keep ${reference} in the subject.`,
    '',
    'This is an automatic message.',
    ...(input.fromName ? ['', input.fromName.replace(/[\r\n]+/g, ' ').trim()] : []),
    '',
  ].join('\n');
}

/**
 * The acknowledgment of SPEC §4 step 10, as a complete RFC 5322 message. No I/O: the caller
 * queues it and the outbound worker sends the stored bytes, so a retry sends exactly the same
 * message, Message-ID included.
 */
export async function composeAcknowledgment(input: AcknowledgmentInput): Promise<ComposedMail> {
  const subject = acknowledgmentSubject(input.ticketNumber, input.subject);
  const messageId = acknowledgmentMessageId(input.ticketNumber, input.identity);
  const inReplyTo = input.inReplyTo ? angle(input.inReplyTo) : null;
  const references = [...(input.references ?? []), ...(inReplyTo ? [inReplyTo] : [])]
    .flatMap((r) => r.split(/\s+/))
    .map(angle)
    .filter((r): r is string => r !== null)
    .filter((r, i, all) => all.indexOf(r) === i)
    .slice(-MAX_REFERENCES);

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
  const text = acknowledgmentText({ ...input, subject: cleanSubject(input.subject) });
  const from = { name: input.fromName?.replace(/[\r\n]+/g, ' ').trim() || '', address: input.fromAddress };
  const to = { name: input.requester.name?.replace(/[\r\n]+/g, ' ').trim() || '', address: input.requester.address };
  // Loaded with the first acknowledgment, not at start.
  const { default: MailComposer } = await import('nodemailer/lib/mail-composer');
  const composer = new MailComposer({
    from,
    to,
    subject,
    messageId,
    date: input.date ?? new Date(),
    text,
    headers,
    textEncoding: 'quoted-printable',
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const raw = await composer.compile().build();
  return {
    subject,
    messageId,
    raw,
    headers: { ...headers, 'Message-ID': messageId, Subject: subject },
    envelope: { from: input.fromAddress, to: [input.requester.address] },
    text,
  };
}
