import type { UsageKind } from '@/graphql/generated/graphql';
import { plural } from '@/lib/format';

const usageNouns: Record<UsageKind, [string, string]> = {
  INCOMING_SERVER: ['incoming email server', 'incoming email servers'],
  RULE: ['rule', 'rules'],
  TICKET: ['request', 'requests'],
  TECHNICIAN: ['technician', 'technicians'],
  QUEUED_MAIL: ['queued acknowledgment', 'queued acknowledgments'],
};

/** "2 incoming email servers: Support, Sales", "13 requests: REQ-1, REQ-2, … and 10 more". */
export function describeUsage(usage: { kind: UsageKind; count: number; names: readonly string[] }): string {
  const [one, many] = usageNouns[usage.kind];
  const counted = plural(usage.count, one, many);
  if (!usage.names.length) return counted;
  const rest = usage.count - usage.names.length;
  return `${counted}: ${usage.names.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
}
