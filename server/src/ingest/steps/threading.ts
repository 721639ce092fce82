import type { ParsedMessage } from '../parse.js';

/**
 * SPEC §4 step 7: a reply joins the ticket it belongs to — found by the `[#REQ-n]` reference in its
 * subject or by In-Reply-To/References naming a stored message of the ticket (ours or theirs) —
 * but only when the sender takes part in that ticket. A stranger quoting someone else's ticket
 * number gets a ticket of their own, never a way into the other one.
 */

export interface ThreadTicket { id: string; number: number }

export interface ThreadingLookups<T extends ThreadTicket = ThreadTicket> {
  ticketByNumber(n: number): Promise<T | null>;
  ticketsByMessageIds(ids: string[]): Promise<T[]>;
  isParticipant(ticketId: string, address: string): Promise<boolean>;
}

export type ThreadMatch<T extends ThreadTicket = ThreadTicket> =
  /** `ticket` is the first of `matches`: every referenced ticket the sender takes part in, in the order found. */
  | { kind: 'append'; ticket: T; via: string; matches: { ticket: T; via: string }[] }
  /** References were found, but the sender takes part in none of those tickets. */
  | { kind: 'stranger'; tickets: T[]; via: string }
  | { kind: 'none' };

export const TICKET_PREFIX = 'REQ';

/** Reply and forward prefixes of the mail clients people use (Outlook localises them). */
const REPLY_PREFIX = new RegExp(
  String.raw`^(?:` +
    [
      're', 'aw', 'antw', 'antwort', 'sv', 'vs', 'odp', 'rv', 'res', 'r', 'rif', 'réf', 'ref', 'tr', 'wg', 'fw', 'fwd',
      'enc', 'i', 'vl', 'vb', 'doorst', 'ynt', 'ilt', 'πρθ', 'απ', 'σχετ', 'отв', 'ответ', 'пересл', 'vá', 'válasz',
      'továbbítás', '回复', '回覆', '答复', '转发', '轉寄', '転送', '返信',
    ].join('|') +
    String.raw`)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*`,
  'iu',
);

/** Tags gateways put in front of subjects: [External], [EXT], *EXTERNAL*, [SPAM], [Suspicious]… */
const TAG_PREFIX = /^(?:\[(?:external|ext|extern|externe?|externo|esterno|caution|warning|spam|suspicious|suspected spam|phishing|possible spam|bulk|marketing)[^\]]{0,20}\]|\*{1,3}\s*(?:external|spam|caution)[^*]{0,20}\*{1,3}|(?:external|extern)\s*:)\s*/i;

/** The subject without reply/forward prefixes and gateway tags, whitespace collapsed. The ticket reference stays. */
export function normalizeSubject(subject: string): string {
  let s = subject.replace(/\s+/g, ' ').trim();
  for (let i = 0; i < 50; i++) {
    const next = s.replace(REPLY_PREFIX, '').replace(TAG_PREFIX, '').trim();
    if (next === s) break;
    s = next;
  }
  return s;
}

const REFERENCE = new RegExp(String.raw`\[\s*#?\s*${TICKET_PREFIX}\s*-\s*(\d{1,9})\s*\]|#${TICKET_PREFIX}-(\d{1,9})\b`, 'gi');

/** Ticket numbers referenced in a subject (`[#REQ-42]`, also `[REQ-42]` and a bare `#REQ-42`), in order, once each. */
export function subjectTicketNumbers(subject: string): number[] {
  const found: number[] = [];
  for (const m of subject.slice(0, 2000).matchAll(REFERENCE)) {
    const n = Number(m[1] ?? m[2]);
    if (Number.isSafeInteger(n) && n > 0 && !found.includes(n)) found.push(n);
  }
  return found;
}

/** The subject's own ticket references, as the acknowledgment writes them. */
export function ticketReference(n: number): string {
  return `[#${TICKET_PREFIX}-${n}]`;
}

/**
 * In-Reply-To first, then References newest first, as `<id>` like mailparser writes Message-IDs
 * (so they compare with stored ones as they are); bounded so a hostile header cannot fan out.
 */
export function referencedMessageIds(msg: Pick<ParsedMessage, 'inReplyTo' | 'references'>, max = 50): string[] {
  const ids: string[] = [];
  const add = (raw: string) => {
    for (const part of raw.split(/\s+/)) {
      const bare = part.trim().replace(/^<+/, '').replace(/>+$/, '').trim();
      const id = `<${bare}>`;
      if (bare && bare.length <= 998 && !ids.some((x) => x.toLowerCase() === id.toLowerCase())) ids.push(id);
    }
  };
  if (msg.inReplyTo) add(msg.inReplyTo);
  for (const r of [...msg.references].reverse()) {
    if (ids.length >= max) break;
    add(r);
  }
  return ids.slice(0, max);
}

export async function findThread<T extends ThreadTicket>(
  msg: Pick<ParsedMessage, 'subject' | 'inReplyTo' | 'references' | 'from'>,
  lookups: ThreadingLookups<T>,
): Promise<ThreadMatch<T>> {
  const candidates: { ticket: T; via: string }[] = [];
  const seen = new Set<string>();
  const consider = (ticket: T, via: string) => {
    if (!seen.has(ticket.id)) { seen.add(ticket.id); candidates.push({ ticket, via }); }
  };

  for (const n of subjectTicketNumbers(msg.subject).slice(0, 5)) {
    const ticket = await lookups.ticketByNumber(n);
    if (ticket) consider(ticket, `subject reference ${ticketReference(n)}`);
  }
  const ids = referencedMessageIds(msg);
  if (ids.length > 0) {
    for (const ticket of await lookups.ticketsByMessageIds(ids)) consider(ticket, 'In-Reply-To/References header');
  }
  if (candidates.length === 0) return { kind: 'none' };

  const sender = msg.from?.address;
  const matches: { ticket: T; via: string }[] = [];
  if (sender) {
    for (const c of candidates) if (await lookups.isParticipant(c.ticket.id, sender)) matches.push(c);
  }
  if (matches.length) return { kind: 'append', ticket: matches[0]!.ticket, via: matches[0]!.via, matches };
  return { kind: 'stranger', tickets: candidates.map((c) => c.ticket), via: candidates.map((c) => c.via).join(', ') };
}
