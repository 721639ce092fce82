// Where a mailbox connection goes: the mail server's vetted address and, when the server names
// a proxy, the proxy with its own vetted address. Both pass the address guard, and callers
// connect to these addresses only (never re-resolve), or the guard could be sidestepped by DNS
// rebinding — on the mail host or on the proxy host.
import { isIPv6 } from 'node:net';
import { DnsError, TargetRefusedError, resolveTarget, type LookupAll } from './address-guard.js';
import { MailError } from './connector.js';
import { proxyUrl, type ProxyConfig } from './proxy.js';

export interface MailRoute {
  /** The mail server's address (the proxy is asked to connect here). */
  address: string;
  /** The proxy with `host` replaced by its vetted address; null for a direct connection. */
  proxy: ProxyConfig | null;
}

export async function resolveMailRoute(
  host: string,
  proxy: ProxyConfig | null,
  opts: { allowLoopback: boolean; lookup?: LookupAll },
): Promise<MailRoute> {
  const address = await vet(host, opts, (message) => message);
  if (!proxy) return { address, proxy: null };
  const proxyAddress = await vet(proxy.host, opts, (message) => `proxy "${proxy.name}": ${message}`);
  return { address, proxy: { ...proxy, host: proxyAddress } };
}

async function vet(host: string, opts: { allowLoopback: boolean; lookup?: LookupAll }, word: (message: string) => string): Promise<string> {
  try {
    const resolved = await resolveTarget(host, opts);
    return resolved[0]!.address;
  } catch (err) {
    if (err instanceof TargetRefusedError) throw new MailError('NETWORK', word(err.message), { permanent: true });
    if (err instanceof DnsError) throw new MailError('NETWORK', word(err.message));
    throw err;
  }
}

/** imapflow's `proxy` option for a vetted proxy (an IPv6 address goes in brackets in a URL). */
export function routeProxyUrl(proxy: ProxyConfig): string {
  return proxyUrl({ ...proxy, host: isIPv6(proxy.host) ? `[${proxy.host}]` : proxy.host });
}
