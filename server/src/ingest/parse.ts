import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { storableText, storableTextOrNull } from '../lib/text.js';

export interface Address { address: string; name: string | null }

export interface ParsedMessage {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string;
  from: Address | null;
  replyTo: Address | null;
  to: Address[];
  cc: Address[];
  date: Date | null;
  text: string;
  html: string | null;
  headers: Map<string, unknown>;
  attachments: { filename: string | null; contentType: string; size: number; contentId: string | null; inline: boolean; content: Buffer }[];
  contentHash: string;
}

export class ParseError extends Error {}

export const PARSE_TIMEOUT_MS = 15_000;

function addresses(value: AddressObject | AddressObject[] | undefined): Address[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  const flat = list.flatMap((a) => a.value).flatMap((a) => (a.group ? a.group : [a]));
  return flat
    .filter((a): a is typeof a & { address: string } => Boolean(a.address))
    .map((a) => ({ address: storableText(a.address.trim().toLowerCase()), name: storableText(a.name?.trim() ?? '') || null }));
}

export function contentHash(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

/** mailparser with a deadline: a pathological message must not stall its mailbox. */
export async function parseMessage(raw: Buffer, timeoutMs = PARSE_TIMEOUT_MS): Promise<ParsedMessage> {
  let timer: NodeJS.Timeout | undefined;
  let mail: ParsedMail;
  try {
    mail = await Promise.race([
      simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, maxHtmlLengthToParse: 5 * 1024 * 1024 }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ParseError(`parsing took longer than ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw err instanceof ParseError ? err : new ParseError(`unparseable message: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  const refs = mail.references;
  return {
    messageId: storableText(mail.messageId?.trim() ?? '') || null,
    inReplyTo: storableText(mail.inReplyTo?.trim() ?? '') || null,
    references: (Array.isArray(refs) ? refs : refs ? refs.split(/\s+/) : []).map(storableText).filter(Boolean),
    subject: storableText((mail.subject ?? '').trim()),
    from: addresses(mail.from)[0] ?? null,
    replyTo: addresses(mail.replyTo)[0] ?? null,
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    date: mail.date ?? null,
    text: storableText((mail.text ?? '').replace(/\r\n/g, '\n').trim()),
    html: typeof mail.html === 'string' ? storableText(mail.html) : null,
    headers: mail.headers,
    attachments: mail.attachments.map((a) => ({
      filename: storableTextOrNull(a.filename),
      contentType: storableText(a.contentType),
      size: a.size,
      contentId: storableTextOrNull(a.contentId),
      inline: a.contentDisposition === 'inline' || a.related === true,
      content: a.content,
    })),
    contentHash: contentHash(raw),
  };
}
