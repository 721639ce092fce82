// Pure: how a refused delete names what still uses the thing.
import type { Usage, UsageKind } from '../../lib/errors.js';

export type ReferencedKind = 'TechnicianGroup' | 'Category' | 'Company' | 'OutgoingEmailServer' | 'ProxyServer';

export const REFERENCED_NOUNS: Record<ReferencedKind, string> = {
  TechnicianGroup: 'technician group',
  Category: 'category',
  Company: 'company',
  OutgoingEmailServer: 'outgoing email server',
  ProxyServer: 'proxy server',
};

const USAGE_NOUNS: Record<UsageKind, [string, string]> = {
  INCOMING_SERVER: ['incoming email server', 'incoming email servers'],
  RULE: ['rule', 'rules'],
  TICKET: ['request', 'requests'],
  TECHNICIAN: ['technician', 'technicians'],
  QUEUED_MAIL: ['queued acknowledgment', 'queued acknowledgments'],
};

const MAX_NAMED = 3;

/** "2 incoming email servers (Support, Sales)", "13 requests", "5 rules (A, B, C and 2 more)". */
export function describeUsage(usage: Usage): string {
  const [one, many] = USAGE_NOUNS[usage.kind];
  const counted = `${usage.count} ${usage.count === 1 ? one : many}`;
  if (usage.kind === 'TICKET' || usage.kind === 'QUEUED_MAIL' || usage.names.length === 0) return counted;
  const shown = usage.names.slice(0, MAX_NAMED);
  const rest = usage.count - shown.length;
  return `${counted} (${shown.join(', ')}${rest > 0 ? ` and ${rest} more` : ''})`;
}

export function joinWords(parts: string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** `“Service Desk” is used by 2 incoming email servers (Support, Sales) and 13 requests. Choose a technician group to move them to.` */
export function inUseMessage(kind: ReferencedKind, name: string, usages: Usage[]): string {
  const noun = REFERENCED_NOUNS[kind];
  return `“${name}” is used by ${joinWords(usages.map(describeUsage))}. Choose another ${noun} to move them to, then delete; nothing was deleted.`;
}
