// The two POP3 listings Mailroom reads (RFC 1939 §5, §7), parsed from a multi-line reply's body.
import { Pop3ProtocolError } from './pop3-errors.js';

export interface UidlEntry {
  /** Message number within this session. */
  n: number;
  uidl: string;
}

/** UIDL: "n unique-id" lines; anything else is not POP3 and ends the session. */
export function parseUidl(block: Buffer): UidlEntry[] {
  const entries: UidlEntry[] = [];
  for (const line of block.toString('latin1').split('\r\n')) {
    if (!line) continue;
    // RFC 1939: the unique-id is 1 to 70 characters in the range 0x21 to 0x7E.
    const m = /^(\d+) ([\x21-\x7e]{1,70})$/.exec(line.trim());
    if (!m) throw new Pop3ProtocolError('malformed UIDL listing', 'BAD_REPLY');
    entries.push({ n: Number(m[1]), uidl: m[2]! });
  }
  return entries;
}

/** LIST: "n octets" lines; a line that isn't one is skipped (its message is then read whole, as before LIST was read). */
export function parseList(block: Buffer): Map<number, number> {
  const sizes = new Map<number, number>();
  for (const line of block.toString('latin1').split('\r\n')) {
    const m = /^(\d+) (\d+)/.exec(line.trim());
    if (m) sizes.set(Number(m[1]), Number(m[2]));
  }
  return sizes;
}
