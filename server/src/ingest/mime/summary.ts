import { Headers } from '@zone-eu/mailsplit';
import libmime from 'libmime';
import { storableText } from '../../lib/text.js';
import { chooseSender, type Address } from './sender.js';

/** Header blocks larger than this are read only this far: enough for Subject and From, never a stall. */
const MAX_HEAD_BYTES = 64 * 1024;

export interface HeaderSummary { subject: string | null; from: Address | null; messageId: string | null }

/**
 * Subject, sender and Message-ID read from the raw header block alone, for a message the parser
 * could not handle (over a limit, malformed MIME, a parse that timed out): the quarantine still
 * shows who wrote what, and a release can still name the requester.
 */
export function headerSummary(raw: Buffer): HeaderSummary {
  const head = raw.subarray(0, MAX_HEAD_BYTES);
  const crlf = head.indexOf('\r\n\r\n');
  const lf = head.indexOf('\n\n');
  const end = [crlf, lf].filter((i) => i >= 0).sort((a, b) => a - b)[0] ?? head.length;
  const headers = new Headers(head.subarray(0, end));
  const lines = headers.getList();
  const first = (key: string) => {
    const line = lines.find((l) => l.key === key)?.line;
    if (!line) return null;
    const value = Buffer.from(line, 'binary').toString('utf8').replace(/^[^:]*:/, '').replace(/\r?\n[ \t]/g, ' ').trim();
    try {
      return storableText(libmime.decodeWords(value)).trim() || null;
    } catch {
      return storableText(value).trim() || null;
    }
  };
  return { subject: first('subject'), from: chooseSender(lines)?.address ?? null, messageId: first('message-id') };
}
