// Keeps admin-entered mail server addresses away from this host's own and its cloud's
// internal endpoints: a "Test Connection" to 169.254.169.254 would otherwise be a probe of
// the instance metadata service run on the attacker's behalf.
import { lookup as systemLookup } from 'node:dns/promises';
import { isIP, isIPv4, isIPv6 } from 'node:net';

export interface GuardOptions {
  allowLoopback: boolean;
}

interface Ipv4Range { base: number; prefix: number; reason: string }

const UNSPECIFIED = 'an unspecified address';
const LOOPBACK = 'a loopback address (this server itself)';
const LINK_LOCAL = 'a link-local address (where cloud metadata services live)';
const METADATA = 'a cloud metadata address';

const ALWAYS_REFUSED_V4: Ipv4Range[] = [
  // 0.0.0.0 connects to this host on Linux, so the whole "this network" block counts as unspecified.
  { base: ipv4ToInt('0.0.0.0'), prefix: 8, reason: UNSPECIFIED },
  { base: ipv4ToInt('169.254.0.0'), prefix: 16, reason: LINK_LOCAL },
  { base: ipv4ToInt('100.100.100.200'), prefix: 32, reason: METADATA },
];
const LOOPBACK_V4: Ipv4Range = { base: ipv4ToInt('127.0.0.0'), prefix: 8, reason: LOOPBACK };

/** Why connecting to `ip` is not allowed, or null when it is. Anything that is not an IP is refused. */
export function refusedAddressReason(ip: string, opts: GuardOptions): string | null {
  const address = hostWithoutBrackets(ip);
  if (isIPv4(address)) return refusedIpv4Reason(ipv4ToInt(address), opts);
  if (isIPv6(address)) return refusedIpv6Reason(parseIpv6(address), opts);
  return 'not an IP address';
}

function refusedIpv4Reason(value: number, opts: GuardOptions): string | null {
  for (const range of ALWAYS_REFUSED_V4) {
    if (inIpv4Range(value, range)) return range.reason;
  }
  if (!opts.allowLoopback && inIpv4Range(value, LOOPBACK_V4)) return LOOPBACK_V4.reason;
  return null;
}

function refusedIpv6Reason(groups: number[], opts: GuardOptions): string | null {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  const embeddedV4 = ((g6 << 16) >>> 0) + g7;
  if (upperZero && g5 === 0 && g6 === 0 && g7 === 0) return UNSPECIFIED;
  if (upperZero && g5 === 0 && g6 === 0 && g7 === 1) return opts.allowLoopback ? null : LOOPBACK;
  // ::ffff:a.b.c.d reaches the IPv4 host a.b.c.d through a dual-stack socket.
  if (upperZero && g5 === 0xffff) return refusedIpv4Reason(embeddedV4, opts);
  // NAT64 (64:ff9b::/96) translates to the embedded IPv4 address on the gateway's side.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return refusedIpv4Reason(embeddedV4, opts);
  if ((g0 & 0xffc0) === 0xfe80) return LINK_LOCAL;
  // AWS's IPv6 instance metadata endpoint.
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) return METADATA;
  return null;
}

function inIpv4Range(value: number, range: Ipv4Range): boolean {
  const mask = range.prefix === 0 ? 0 : (~0 << (32 - range.prefix)) >>> 0;
  return ((value & mask) >>> 0) === ((range.base & mask) >>> 0);
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, octet) => ((acc << 8) >>> 0) + Number(octet), 0) >>> 0;
}

/** Eight 16-bit groups; expects a string that `isIPv6` accepted. */
function parseIpv6(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = ipv4ToInt(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups].map((g) => Number.parseInt(g, 16));
}

/** "[::1]" → "::1", "fe80::1%eth0" → "fe80::1"; names pass through trimmed. */
export function hostWithoutBrackets(host: string): string {
  const unbracketed = host.trim().replace(/^\[(.*)\]$/, '$1');
  const zone = unbracketed.indexOf('%');
  return zone >= 0 && unbracketed.includes(':') ? unbracketed.slice(0, zone) : unbracketed;
}

/** The message is ours alone and safe to show: it names only what the admin entered and what DNS returned. */
export class TargetRefusedError extends Error {
  override readonly name = 'TargetRefusedError';
  constructor(readonly host: string, readonly address: string, readonly reason: string) {
    super(
      host === address
        ? `${address} is ${reason}; mail servers are not allowed there`
        : `${host} resolves to ${address}, ${reason}; mail servers are not allowed there`,
    );
  }
}

export class DnsError extends Error {
  override readonly name = 'DnsError';
  /** Node's resolver code (ENOTFOUND, EAI_AGAIN, ...), or ENODATA when the answer was empty. */
  constructor(readonly host: string, readonly code: string) {
    super(`${host} could not be resolved (${code})`);
  }
}

export interface ResolvedAddress { address: string; family: 4 | 6 }

/** The subset of `dns.promises.lookup` we use, so tests can pass a fake. */
export type LookupAll = (host: string, options: { all: true }) => Promise<{ address: string; family: number }[]>;

/**
 * Every address `host` resolves to, in resolver order. Refuses if ANY of them is refused: a
 * name that mixes a public and a metadata address is a DNS-rebinding setup, and callers must
 * connect to one of these addresses (never re-resolve) for the check to hold.
 */
export async function resolveTarget(
  host: string,
  opts: GuardOptions & { lookup?: LookupAll },
): Promise<ResolvedAddress[]> {
  const name = hostWithoutBrackets(host);
  if (!name) throw new DnsError(host, 'EMPTY_HOST');
  let answers: { address: string; family: number }[];
  if (isIP(name)) {
    answers = [{ address: name, family: isIP(name) }];
  } else {
    try {
      const lookup: LookupAll = opts.lookup ?? systemLookup;
      answers = await lookup(name, { all: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new DnsError(name, typeof code === 'string' ? code : 'ENOTFOUND');
    }
  }
  if (answers.length === 0) throw new DnsError(name, 'ENODATA');
  const resolved: ResolvedAddress[] = answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  for (const { address } of resolved) {
    const reason = refusedAddressReason(address, opts);
    if (reason) throw new TargetRefusedError(name, address, reason);
  }
  return resolved;
}
