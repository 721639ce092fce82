import { isAscii } from 'node:buffer';
import { contentHash } from './content-hash.js';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { storableText, storableTextOrNull } from '../lib/text.js';
import { htmlToDescription } from './mime/body.js';
import { repairCharsets } from './mime/charsets.js';
import { partName } from './mime/names.js';
import { chooseSender, type Address } from './mime/sender.js';

export type { Address } from './mime/sender.js';

export interface ParsedAttachment {
  /** Never empty: the part's own name, an attached mail's subject + .eml, or one made from the Content-ID or the type. */
  filename: string;
  contentType: string;
  size: number;
  contentId: string | null;
  /** The sender marked it inline (Content-Disposition or multipart/related); shown inline only if the HTML refers to it. */
  inline: boolean;
  content: Buffer;
}

export interface ParsedMessage {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string;
  from: Address | null;
  /** Where `from` came from when not the first From header ("sender from Reply-To: …"); null otherwise. */
  senderNote: string | null;
  replyTo: Address | null;
  to: Address[];
  cc: Address[];
  date: Date | null;
  /** The description: the text parts, or the HTML as text when there is no text part with content. */
  text: string;
  /** Every text and HTML part in order, as one HTML body (unsanitized). */
  html: string | null;
  headers: Map<string, unknown>;
  attachments: ParsedAttachment[];
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

function mailparser(raw: Buffer, textToHtml: boolean): Promise<ParsedMail> {
  return simpleParser(raw, { skipImageLinks: true, skipTextToHtml: !textToHtml, maxHtmlLengthToParse: 5 * 1024 * 1024 });
}

/**
 * Text parts between HTML parts (Apple Mail around attachments) that the HTML lost: without
 * skipTextToHtml mailparser renders them into the HTML in order, but that costs every message a
 * text-to-HTML pass (twice the time on a 1 MB text mail), so only these are parsed again. A lost
 * part leaves an empty piece where mailparser joins the parts with `<br/>\n`.
 */
function dropsTextParts(mail: ParsedMail): boolean {
  return typeof mail.html === 'string' && /^<br\/>\n|<br\/>\n<br\/>\n|<br\/>\n$/.test(mail.html);
}

/** Worth a charset check: 8-bit bytes, a replacement character in what mailparser decoded, or a 7-bit-only label that may hide 8-bit bytes. */
function mayNeedCharsetRepair(raw: Buffer, mail: ParsedMail): boolean {
  if (!isAscii(raw)) return true;
  if (/iso-?2022/i.test(raw.toString('latin1'))) return true;
  const texts = [mail.subject, mail.text, typeof mail.html === 'string' ? mail.html : '', mail.from?.text, ...mail.attachments.map((a) => a.filename)];
  return texts.some((t) => t?.includes('\uFFFD'));
}

/** True when the message itself is a single text/html part (mailparser then made its own text of it). */
function isHtmlOnly(mail: ParsedMail): boolean {
  const type = mail.headers.get('content-type') as { value?: string } | undefined;
  return type?.value?.toLowerCase() === 'text/html';
}

async function parse(raw: Buffer): Promise<ParsedMail> {
  let source = raw;
  let mail = await mailparser(raw, false);
  if (mayNeedCharsetRepair(raw, mail)) {
    const repaired = await repairCharsets(raw);
    if (repaired) mail = await mailparser((source = repaired), false);
  }
  return dropsTextParts(mail) ? mailparser(source, true) : mail;
}

/**
 * mailparser with a deadline (a pathological message must not stall its mailbox), charsets put
 * right first where a label is missing or wrong, and the sender, description and attachment
 * names settled. A pure function of the raw bytes.
 */
export async function parseMessage(raw: Buffer, timeoutMs = PARSE_TIMEOUT_MS): Promise<ParsedMessage> {
  let timer: NodeJS.Timeout | undefined;
  let mail: ParsedMail;
  try {
    mail = await Promise.race([
      parse(raw),
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
  const html = typeof mail.html === 'string' ? storableText(mail.html) : null;
  const text = storableText((mail.text ?? '').replace(/\r\n/g, '\n').trim());
  const sender = chooseSender(mail.headerLines);
  return {
    messageId: storableText(mail.messageId?.trim() ?? '') || null,
    inReplyTo: storableText(mail.inReplyTo?.trim() ?? '') || null,
    references: (Array.isArray(refs) ? refs : refs ? refs.split(/\s+/) : []).map(storableText).filter(Boolean),
    subject: storableText((mail.subject ?? '').trim()),
    from: sender?.address ?? null,
    senderNote: sender?.note ?? null,
    replyTo: addresses(mail.replyTo)[0] ?? null,
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    date: mail.date ?? null,
    text: html && (!text || isHtmlOnly(mail)) ? storableText(htmlToDescription(html)) : text,
    html,
    headers: mail.headers,
    attachments: mail.attachments.map((a) => {
      const contentId = storableTextOrNull(a.contentId);
      const contentType = storableText(a.contentType);
      return {
        filename: storableText(partName({ filename: storableTextOrNull(a.filename), contentType, contentId, content: a.content })),
        contentType,
        size: a.size,
        contentId,
        inline: a.contentDisposition === 'inline' || a.related === true,
        content: a.content,
      };
    }),
    contentHash: contentHash(raw),
  };
}
