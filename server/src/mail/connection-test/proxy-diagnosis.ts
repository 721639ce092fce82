// Our wording for a Test Connection that fails at the proxy rather than at the mail server:
// the generic DNS/TCP messages would name the mail host and send the admin looking in the
// wrong place.
import { DnsError, TargetRefusedError } from '../address-guard.js';
import type { ProxyConfig, ProxyError } from '../proxy.js';
import { normalizeCode } from './diagnosis.js';
import { StageFailure } from './probe-runner.js';

const WRONG_PROXY = 'Wrong proxy host or port in the proxy server settings';

export function proxyDnsFailure(proxy: ProxyConfig, err: unknown): unknown {
  const label = `The proxy "${proxy.name}"`;
  if (err instanceof TargetRefusedError) {
    return new StageFailure('REFUSED_ADDRESS', {
      message: `${label}: ${err.message}`,
      causes: ['The proxy address points to this server itself, a link-local or a cloud metadata address — enter the proxy\'s real host name'],
    });
  }
  if (err instanceof DnsError) {
    return new StageFailure(normalizeCode(err.code), {
      message: `${label} (${proxy.host}) could not be found in DNS`,
      causes: [`${WRONG_PROXY}: check the spelling of ${proxy.host}`, 'This server\'s DNS resolver cannot resolve the proxy\'s name'],
    });
  }
  return err;
}

export function proxyConnectFailure(proxy: ProxyConfig, shownHost: string, target: { host: string; port: number }, err: ProxyError): StageFailure {
  const at = `${proxy.host}:${proxy.port}`;
  const label = `The proxy "${proxy.name}" (${at})`;
  const code = err.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return new StageFailure('CONNECTION_REFUSED', {
        message: `${label} refused the connection`,
        causes: ['The proxy server is not running, or listens on a different port', WRONG_PROXY, 'A firewall blocks the connection to the proxy'],
      });
    case 'ETIMEDOUT':
      return new StageFailure('TIMEOUT', {
        message: `${label} did not answer`,
        causes: ['A firewall drops the connection to the proxy', WRONG_PROXY, `The proxy is slow to connect to ${shownHost}`],
      });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new StageFailure('UNREACHABLE', {
        message: `${label} is unreachable from this server`,
        causes: [WRONG_PROXY, 'No network route from this server to the proxy'],
      });
    case 'PROXY_AUTH':
    case 'HTTP_407':
      return new StageFailure('AUTH_REJECTED', {
        message: `${label} refused the proxy username or password`,
        causes: ['Wrong proxy username or password in the proxy server settings', 'The proxy requires credentials but none are saved'],
      });
    default:
      return new StageFailure('CONNECTION_REFUSED', {
        message: `${label} could not open a connection to ${shownHost} port ${target.port}`,
        causes: [
          `Nothing listens on port ${target.port} at ${shownHost} — wrong port, or the mail service is stopped`,
          'The proxy\'s rules do not allow connections to this host or port',
          `A firewall between the proxy and ${shownHost} blocks the connection`,
        ],
      });
  }
}
