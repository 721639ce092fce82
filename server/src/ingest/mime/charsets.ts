import { isAscii, isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { Headers, Splitter, type MimeNode } from '@zone-eu/mailsplit';
import { analyse } from 'chardet';
import iconv from 'iconv-lite';

/** Charsets written with 7-bit bytes only: an 8-bit byte under one of these labels means the label is wrong. */
const SEVEN_BIT = /^(us-?ascii|ascii|ansi_x3\.4-1968|iso-?2022-[a-z0-9-]+|utf-?7|hz-gb-2312)$/;
/** C1 control characters: what ISO-8859-1 makes of Windows-1252's quotes and dashes, never text. */
// eslint-disable-next-line no-control-regex
const C1_CONTROLS = /[\u0080-\u009f]/;
const EIGHT_BIT = (bytes: Uint8Array) => !isAscii(bytes);
const DETECTION_SAMPLE = 64 * 1024;

/** `"ISO-8859-1"` → `iso-8859-1`; an RFC 2231 language suffix (`utf-8*en`) is dropped. */
export function normalizeCharset(label: string | null | undefined): string | null {
  const cs = (label ?? '').trim().replace(/^["']|["']$/g, '').replace(/\*.*$/, '').toLowerCase();
  if (!cs) return null;
  // Korean mail labels CP949 with the name of the smaller standard it extends.
  if (cs === 'ks_c_5601-1987' || cs === 'ks_c_5601') return 'cp949';
  return cs;
}

/**
 * Whether `bytes` read as `charset` give text without a replacement character or C1 controls.
 * No label means what mailparser assumes: UTF-8. Pure ASCII is clean under any label.
 */
export function decodesCleanly(bytes: Uint8Array, charset: string | null): boolean {
  if (!EIGHT_BIT(bytes)) return true;
  const cs = normalizeCharset(charset) ?? 'utf-8';
  if (SEVEN_BIT.test(cs)) return false;
  if (cs === 'utf-8' || cs === 'utf8') return isUtf8(bytes);
  if (!iconv.encodingExists(cs)) return false;
  const text = iconv.decode(Buffer.from(bytes), cs);
  return !text.includes('\uFFFD') && !C1_CONTROLS.test(text);
}

/**
 * The charset of 8-bit text with no label or a wrong one: UTF-8 when it is valid UTF-8, else
 * `hint` (what the rest of the message turned out to be) when it decodes cleanly, else the most
 * likely of chardet's guesses that decodes cleanly, else Windows-1252 (the web's default for
 * unlabelled 8-bit text, which reads any byte).
 */
export function detectCharset(bytes: Uint8Array, hint?: string | null): string {
  if (isUtf8(bytes)) return 'utf-8';
  if (hint && decodesCleanly(bytes, hint)) return hint;
  // A sample is enough to tell charsets apart, and keeps a 20 MB unlabelled body from holding the event loop.
  for (const { name } of analyse(bytes.subarray(0, DETECTION_SAMPLE))) {
    // chardet says ISO-8859-1 for any Western 8-bit text; Windows-1252 reads the same bytes and also Outlook's quotes.
    const cs = name.toLowerCase() === 'iso-8859-1' ? 'windows-1252' : name.toLowerCase();
    if (!SEVEN_BIT.test(cs) && iconv.encodingExists(cs) && decodesCleanly(bytes, cs)) return cs;
  }
  return 'windows-1252';
}

/** `=?charset?B|Q?text?=` words, with the whitespace between adjacent ones (RFC 2047 §6.2: it is dropped). */
// The whitespace between words is one unambiguous run (a blank, or a line break and a blank): no backtracking over long blank runs.
const ENCODED_WORDS = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=(?:(?:[ \t]|\r?\n[ \t])+=\?\1\?\2\?[^?\s]*\?=)*/g;
const ONE_WORD = /=\?[^?\s]+\?[bBqQ]\?([^?\s]*)\?=/g;

function wordBytes(encoding: string, words: string): Buffer {
  const parts = [...words.matchAll(ONE_WORD)].map((m) => m[1]!);
  if (encoding.toUpperCase() === 'B') return Buffer.concat(parts.map((p) => Buffer.from(p, 'base64')));
  return Buffer.from(parts.join('').replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
}

interface HeaderRepair { node: MimeNode; lines: Buffer[]; dirty: boolean }
interface BodyRepair { node: MimeNode; bytes: Buffer }

/** Unclean pieces of one message: header lines and text bodies, kept to decide one charset for all. */
class Findings {
  readonly headers: HeaderRepair[] = [];
  readonly bodies: BodyRepair[] = [];
  readonly samples: Buffer[] = [];
}

function headerLinesOf(node: MimeNode): Buffer[] {
  const raw = (node.headers as unknown as { headers: Buffer | string | false }).headers;
  const buf = typeof raw === 'string' ? Buffer.from(raw, 'binary') : raw || Buffer.alloc(0);
  // Unfolded lines keep their CRLF + whitespace: a multibyte character may sit across a fold.
  return buf.toString('binary').replace(/(\r?\n)+$/, '').split(/\r?\n(?![ \t])/).map((l) => Buffer.from(l, 'binary'));
}

function inspectHeaders(node: MimeNode, found: Findings): void {
  const lines = headerLinesOf(node);
  let dirty = false;
  for (const line of lines) {
    if (EIGHT_BIT(line) && !isUtf8(line)) {
      dirty = true;
      found.samples.push(line);
    }
    for (const m of line.toString('binary').matchAll(ENCODED_WORDS)) {
      const bytes = wordBytes(m[2]!, m[0]);
      if (!decodesCleanly(bytes, m[1]!)) {
        dirty = true;
        found.samples.push(bytes);
      }
    }
  }
  if (dirty) found.headers.push({ node, lines, dirty });
}

function rewriteHeaderLine(line: Buffer, charset: string): Buffer {
  let text = line.toString('binary');
  text = text.replace(ENCODED_WORDS, (words: string, cs: string, enc: string) => {
    const bytes = wordBytes(enc, words);
    if (decodesCleanly(bytes, cs)) return words;
    const decoded = iconv.decode(bytes, detectCharset(bytes, charset));
    return `=?UTF-8?B?${Buffer.from(decoded).toString('base64')}?=`;
  });
  const bytes = Buffer.from(text, 'binary');
  if (!EIGHT_BIT(bytes) || isUtf8(bytes)) return bytes;
  return Buffer.from(iconv.decode(bytes, detectCharset(bytes, charset)));
}

/** A text part mailparser reads as the message's body (not a text file attached). */
function isBodyText(node: MimeNode): boolean {
  if (node.multipart || node.disposition === 'attachment') return false;
  const type = node.contentType || 'text/plain';
  return type === 'text/plain' || type === 'text/html';
}

async function transferDecoded(node: MimeNode, body: Buffer[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(body).pipe(node.getDecoder())) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

type Piece = { node: MimeNode } | { value: Buffer };

/** The message as mailsplit sees it: every node with its raw body, and the bytes between them. */
async function split(raw: Buffer): Promise<{ pieces: Piece[]; bodies: Map<MimeNode, Buffer[]> }> {
  const pieces: Piece[] = [];
  const bodies = new Map<MimeNode, Buffer[]>();
  let current: MimeNode | null = null;
  const splitter = new Splitter();
  Readable.from([raw]).pipe(splitter);
  for await (const chunk of splitter as AsyncIterable<{ type: string; value?: Buffer } & MimeNode>) {
    if (chunk.type === 'node') {
      current = chunk;
      bodies.set(chunk, []);
      pieces.push({ node: chunk });
    } else if (chunk.value) {
      if (chunk.type === 'body' && current) bodies.get(current)!.push(chunk.value);
      pieces.push({ value: chunk.value });
    }
  }
  return { pieces, bodies };
}

/**
 * The message with its charsets put right, or null when every header and text part decodes
 * cleanly as labelled (the common case: nothing is rewritten). Unlabelled 8-bit header lines
 * become UTF-8; encoded words whose bytes don't fit their label are re-encoded as UTF-8; a text
 * part that doesn't decode cleanly gets the detected charset as its label. One charset, detected
 * over all unclean pieces together, is tried first everywhere: a subject alone is too short to
 * tell GBK from Big5, the body beside it is not. Pure: bytes in, bytes out.
 */
export async function repairCharsets(raw: Buffer): Promise<Buffer | null> {
  const { pieces, bodies } = await split(raw);
  const found = new Findings();
  for (const piece of pieces) {
    if (!('node' in piece)) continue;
    inspectHeaders(piece.node, found);
    if (!isBodyText(piece.node)) continue;
    const bytes = await transferDecoded(piece.node, bodies.get(piece.node) ?? []);
    if (!decodesCleanly(bytes, piece.node.charset || null)) {
      found.bodies.push({ node: piece.node, bytes });
      found.samples.push(bytes);
    }
  }
  if (!found.headers.length && !found.bodies.length) return null;
  const overall = detectCharset(Buffer.concat(found.samples.map((b) => b.subarray(0, DETECTION_SAMPLE))));
  for (const h of found.headers) {
    const fixed = Buffer.concat(h.lines.flatMap((line, i) => (i ? [Buffer.from('\r\n'), rewriteHeaderLine(line, overall)] : [rewriteHeaderLine(line, overall)])));
    (h.node as unknown as { headers: Headers }).headers = new Headers(Buffer.concat([fixed, Buffer.from('\r\n\r\n')]));
  }
  for (const b of found.bodies) b.node.setCharset(detectCharset(b.bytes, overall));
  return Buffer.concat(pieces.map((p) => ('node' in p ? p.node.getHeaders() : p.value)));
}
