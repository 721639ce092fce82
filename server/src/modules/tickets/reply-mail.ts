import { replyMessageId, type MailIdentity } from '../../ingest/identity.js';
import { angle, chainReferences, cleanSubject, compileMail, oneLine, type ComposedMail } from '../../ingest/steps/acknowledge.js';
import { normalizeSubject, ticketReference } from '../../ingest/steps/threading.js';

export type BodyFormat = 'TEXT' | 'HTML';

export interface ReplyBody { text: string; html: string }

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A technician's body as both alternatives: plain text becomes paragraphs of escaped text; HTML
 * is sanitized exactly as incoming mail is, and its text alternative is derived from that.
 */
export async function replyBody(body: string, format: BodyFormat): Promise<ReplyBody> {
  if (format === 'HTML') {
    // The sanitizer and html-to-text are loaded with the first HTML reply or note, not at start
    // (the pool's workers sanitize incoming mail; the main thread rarely needs either).
    const [{ sanitizeMailHtml }, { convert }] = await Promise.all([import('../../ingest/sanitize.js'), import('html-to-text')]);
    const html = sanitizeMailHtml(body);
    return { html, text: convert(html, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }] }).trim() };
  }
  const text = body.replace(/\r\n?/g, '\n').trim();
  const html = text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  return { text, html };
}

/** `Re: <subject> [#REQ-n]`: reply prefixes and every ticket reference dropped, ours put back once. */
export function replySubject(ticketNumber: number, subject: string): string {
  return `Re: ${normalizeSubject(cleanSubject(subject)) || '(no subject)'} ${ticketReference(ticketNumber)}`;
}

export interface ReplyMailInput {
  ticketNumber: number;
  subject: string;
  from: { address: string; name?: string | null };
  to: { address: string; name?: string | null };
  cc: string[];
  body: ReplyBody;
  /** The conversation's latest mail: what this one answers. */
  parent: { messageId: string | null; references: string[] } | null;
  attachments: { filename: string; contentType: string; content: Buffer }[];
  identity: Pick<MailIdentity, 'messageIdDomain' | 'loopValue'>;
  date?: Date;
}

/**
 * A technician's reply as a complete RFC 5322 message. A person wrote it, so no Auto-Submitted (the requester's auto-responder may answer it, and the pipeline drops
 * that answer); our X-Loop still marks it as ours should it come back.
 */
export async function composeReply(input: ReplyMailInput): Promise<ComposedMail> {
  const subject = replySubject(input.ticketNumber, input.subject);
  const messageId = replyMessageId(input.ticketNumber, input.identity);
  const inReplyTo = input.parent?.messageId ? angle(input.parent.messageId) : null;
  const references = chainReferences(input.parent?.references ?? [], inReplyTo);
  const headers: Record<string, string> = {
    'X-Loop': input.identity.loopValue,
    ...(inReplyTo ? { 'In-Reply-To': inReplyTo } : {}),
    ...(references.length ? { References: references.join(' ') } : {}),
  };
  return compileMail(
    {
      from: { name: oneLine(input.from.name), address: input.from.address },
      to: { name: oneLine(input.to.name), address: input.to.address },
      ...(input.cc.length ? { cc: input.cc } : {}),
      date: input.date ?? new Date(),
      html: input.body.html,
      attachments: input.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
    },
    { subject, messageId, headers, text: input.body.text, envelope: { from: input.from.address, to: [input.to.address, ...input.cc] } },
  );
}
