import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';
import { storableText } from '../../lib/text.js';

export interface Address { address: string; name: string | null }

/** Where the sender's address came from, when not from the (first) From header. */
export interface SenderChoice { address: Address; note: string | null }

const ORDINAL = ['first', 'second', 'third', 'fourth', 'fifth'];

/** Every address of one header value, groups flattened, names decoded. */
export function parseAddressHeader(value: string): Address[] {
  const flat = addressparser(value, { flatten: true });
  return flat
    .filter((a) => a.address)
    .map((a) => ({ address: storableText(a.address.trim().toLowerCase()), name: storableText(safeDecode(a.name.trim())) || null }));
}

function safeDecode(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/** A raw header line (`From: …`, a binary string as mailsplit keeps it) → its value as text. */
function valueOf(line: string): string {
  const text = Buffer.from(line, 'binary').toString('utf8');
  return text.slice(text.indexOf(':') + 1).replace(/\r?\n[ \t]/g, ' ').trim();
}

/**
 * The requester's address: the first From header that yields one (some portals send a name-only
 * From before the real one), else Sender, else Reply-To. An address with an @ wins over a bare
 * local name (`From: MAILER-DAEMON`), which is still taken when nothing better is there. `note`
 * says where it came from when that was not the first From, for the audit reason.
 */
export function chooseSender(headerLines: readonly { key: string; line: string }[]): SenderChoice | null {
  const froms = headerLines.filter((l) => l.key === 'from');
  const candidates: { address: Address; note: string | null }[] = [];
  froms.forEach((line, i) => {
    for (const address of parseAddressHeader(valueOf(line.line))) {
      candidates.push({ address, note: i === 0 ? null : `sender from the ${ORDINAL[i] ?? `${i + 1}th`} From header (the ${froms.length > 1 ? 'first has' : 'others have'} no address)` });
    }
  });
  for (const key of ['sender', 'reply-to'] as const) {
    const header = key === 'sender' ? 'Sender' : 'Reply-To';
    for (const line of headerLines.filter((l) => l.key === key)) {
      for (const address of parseAddressHeader(valueOf(line.line))) {
        candidates.push({ address, note: `sender from ${header}: ${froms.length ? 'the From header has no address' : 'the message has no From header'}` });
      }
    }
  }
  return candidates.find((c) => c.address.address.includes('@')) ?? candidates[0] ?? null;
}
