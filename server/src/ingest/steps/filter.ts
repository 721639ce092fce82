import type { FilterType } from '../../db/schema.js';
import type { ParsedMessage } from '../parse.js';
import { domainOf } from './mail-headers.js';

/**
 * SPEC §4 step 5, the seed's server filter. No filter → everything accepted. ALLOW → only mail
 * whose sender address, sender domain (exactly the address's domain: `yahoo.com` does not cover
 * `mail.yahoo.com`) or a keyword in subject or body matches. IGNORE → matching mail is discarded.
 * Entries are trimmed, compared case-insensitively, and OR-ed.
 */
export interface ServerFilter {
  filterType: FilterType | null;
  filterEmails: string[];
  filterDomains: string[];
  filterKeywords: string[];
}

export interface FilterMatch {
  kind: 'email' | 'domain' | 'keyword';
  /** The entry as the admin typed it (trimmed). */
  entry: string;
  /** Where it matched: the sender address, or the subject / body for a keyword. */
  where: 'sender' | 'subject' | 'body';
}

export type FilterVerdict =
  | { accepted: true; match: FilterMatch | null; reason: string }
  | { accepted: false; match: FilterMatch | null; reason: string };

type Msg = Pick<ParsedMessage, 'from' | 'subject' | 'text'>;

/** Keywords are looked for in this much of the body; past it a filter would only cost time. */
const MAX_BODY_SCAN = 1_000_000;

const entries = (list: string[]) => list.map((e) => e.trim()).filter(Boolean);
const folded = (s: string) => s.toLowerCase().replace(/\s+/g, ' ');

/** The first filter entry the message matches, or null. Emails, then domains, then keywords. */
export function matchFilter(filter: ServerFilter, msg: Msg): FilterMatch | null {
  const sender = msg.from?.address.trim().toLowerCase() ?? '';
  if (sender) {
    for (const entry of entries(filter.filterEmails)) {
      if (entry.toLowerCase() === sender) return { kind: 'email', entry, where: 'sender' };
    }
    const domain = domainOf(sender);
    for (const entry of entries(filter.filterDomains)) {
      if (domain && entry.toLowerCase().replace(/^@/, '').replace(/\.$/, '') === domain) return { kind: 'domain', entry, where: 'sender' };
    }
  }
  const keywords = entries(filter.filterKeywords);
  if (keywords.length > 0) {
    const subject = folded(msg.subject);
    const body = folded(msg.text.length > MAX_BODY_SCAN ? msg.text.slice(0, MAX_BODY_SCAN) : msg.text);
    for (const entry of keywords) {
      const k = folded(entry);
      if (subject.includes(k)) return { kind: 'keyword', entry, where: 'subject' };
      if (body.includes(k)) return { kind: 'keyword', entry, where: 'body' };
    }
  }
  return null;
}

export function describeMatch(match: FilterMatch, msg: Msg): string {
  switch (match.kind) {
    case 'email': return `email "${match.entry}" matched sender ${msg.from?.address}`;
    case 'domain': return `domain "${match.entry}" matched sender ${msg.from?.address}`;
    case 'keyword': return `keyword "${match.entry}" found in the ${match.where}`;
  }
}

export function applyFilter(filter: ServerFilter, msg: Msg): FilterVerdict {
  const configured = entries(filter.filterEmails).length + entries(filter.filterDomains).length + entries(filter.filterKeywords).length > 0;
  if (!filter.filterType || !configured) {
    return { accepted: true, match: null, reason: filter.filterType ? `${filter.filterType} filter has no entries: all mail accepted` : 'no filter: all mail accepted' };
  }
  const match = matchFilter(filter, msg);
  if (filter.filterType === 'ALLOW') {
    return match
      ? { accepted: true, match, reason: `ALLOW filter: ${describeMatch(match, msg)}` }
      : { accepted: false, match: null, reason: `ALLOW filter: sender ${msg.from?.address ?? '(none)'} matches no allowed email, domain or keyword` };
  }
  return match
    ? { accepted: false, match, reason: `IGNORE filter: ${describeMatch(match, msg)}` }
    : { accepted: true, match: null, reason: 'IGNORE filter: no entry matched' };
}
