// Keeps admin-entered mail server addresses away from this host's own and its cloud's
// internal endpoints: a "Test Connection" to 169.254.169.254 would otherwise be a probe of
// the instance metadata service run on the attacker's behalf.
import { lookup as systemLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface GuardOptions {
  allowLoopback: boolean;
  /**
   * Also refuse private, shared and reserved ranges (10/8, 192.168/16, fc00::/7, 100.64/10…):
   * for URLs a stranger chose (remote images in mail), which must never reach the intranet.
   * Mail servers stay allowed there: on-premises Exchange lives in 10/8.
   */
  publicOnly?: boolean;
}

const UNSPECIFIED = 'an unspecified address';
const LOOPBACK = 'a loopback address (this server itself)';
const LINK_LOCAL = 'a link-local address (where cloud metadata services live)';
const METADATA = 'a cloud metadata address';
const MULTICAST = 'a multicast or broadcast address';
const NOT_PUBLIC = 'a private or reserved address';

// Ranges are ipaddr.js's (RFC 6890 and friends); these single addresses are metadata services
// that live outside link-local: Alibaba, Oracle's legacy one, AWS over IPv6.
const METADATA_ADDRESSES = new Set(['100.100.100.200', '192.0.0.192', 'fd00:ec2::254']);

/** Why connecting to `ip` is not allowed, or null when it is. Anything that is not an IP is refused. */
export function refusedAddressReason(ip: string, opts: GuardOptions): string | null {
  const address = hostWithoutBrackets(ip);
  if (!ipaddr.isValid(address) || !isIP(address)) return 'not an IP address';
  const parsed = ipaddr.parse(address);
  return parsed.kind() === 'ipv4' ? refusedIpv4Reason(parsed as ipaddr.IPv4, opts) : refusedIpv6Reason(parsed as ipaddr.IPv6, opts);
}

function refusedIpv4Reason(ip: ipaddr.IPv4, opts: GuardOptions): string | null {
  if (METADATA_ADDRESSES.has(ip.toString())) return METADATA;
  // 0.0.0.0 connects to this host on Linux, so the whole "this network" block counts as unspecified.
  switch (ip.range()) {
    case 'unspecified': return UNSPECIFIED;
    case 'linkLocal': return LINK_LOCAL;
    case 'multicast': case 'broadcast': return MULTICAST;
    case 'loopback': return opts.allowLoopback ? null : LOOPBACK;
    case 'unicast': return null;
    default: return opts.publicOnly ? NOT_PUBLIC : null;
  }
}

function refusedIpv6Reason(ip: ipaddr.IPv6, opts: GuardOptions): string | null {
  if (METADATA_ADDRESSES.has(ip.toString())) return METADATA;
  // An IPv6 address that carries an IPv4 one reaches that IPv4 host (dual-stack sockets, NAT64,
  // 6to4 and Teredo relays): judge it by the address it carries.
  const carried = embeddedIpv4(ip);
  if (carried) return refusedIpv4Reason(carried, opts);
  switch (ip.range()) {
    case 'unspecified': return UNSPECIFIED;
    case 'linkLocal': return LINK_LOCAL;
    case 'multicast': return MULTICAST;
    case 'loopback': return opts.allowLoopback ? null : LOOPBACK;
    case 'unicast': return null;
    default: return opts.publicOnly ? NOT_PUBLIC : null;
  }
}

function v4From(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** The IPv4 address inside an IPv4-mapped, -compatible, -translated, NAT64, 6to4 or Teredo address. */
export function embeddedIpv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = ip.parts;
  const zeros = (from: number, to: number) => p.slice(from, to).every((g) => g === 0);
  switch (ip.range()) {
    case 'ipv4Mapped': return ip.toIPv4Address();
    case 'rfc6145': // ::ffff:0:a.b.c.d
    case 'rfc6052': // 64:ff9b::a.b.c.d
      return v4From(p[6]!, p[7]!);
    case '6to4': return v4From(p[1]!, p[2]!); // 2002:AABB:CCDD::/48
    case 'teredo': return v4From(~p[6]! & 0xffff, ~p[7]! & 0xffff); // the client's address, inverted
    default:
  }
  // Local-use NAT64 (64:ff9b:1::/48, RFC 8215) puts the address in the low 32 bits too.
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 1) return v4From(p[6]!, p[7]!);
  // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks); not :: or ::1 themselves.
  if (zeros(0, 6) && !(p[6] === 0 && (p[7] === 0 || p[7] === 1))) return v4From(p[6]!, p[7]!);
  return null;
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

/**
 * A `lookup` for sockets (undici's `connect.lookup`, net.connect): resolves through the guard, so
 * the connection goes to exactly an address the guard approved. Checking a name and then letting
 * the socket resolve it again would leave a DNS-rebinding window between the two answers.
 */
export function guardedLookup(opts: GuardOptions & { lookup?: LookupAll }): LookupFunction {
  return (hostname, options, callback) => {
    resolveTarget(hostname, opts).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        if (!wanted.length) return callback(Object.assign(new Error(`${hostname} has no IPv${options.family} address`), { code: 'ENOTFOUND' }), '', 0);
        if (options.all) (callback as unknown as (err: null, all: ResolvedAddress[]) => void)(null, wanted);
        else callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (err: Error) => callback(Object.assign(err, { code: (err as DnsError).code ?? 'EACCES' }) as NodeJS.ErrnoException, '', 0),
    );
  };
}
