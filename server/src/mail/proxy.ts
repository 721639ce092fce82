import net from 'node:net';
import tls from 'node:tls';
import type { Dispatcher } from 'undici';
import { loadUndici } from './undici.js';

export interface ProxyConfig {
  name: string;
  type: 'SOCKS5' | 'HTTP';
  host: string;
  port: number;
  username?: string | null;
  password?: string | null;
}

/** The proxy itself failed (refused, bad credentials, could not reach the target): named so Test Connection can say which. */
export class ProxyError extends Error {
  constructor(readonly proxyName: string, message: string, readonly code?: string) {
    super(`proxy "${proxyName}": ${message}`);
  }
}

/** For clients that take a proxy URL (imapflow's `proxy` option). */
export function proxyUrl(proxy: ProxyConfig): string {
  const auth = proxy.username ? `${encodeURIComponent(proxy.username)}:${encodeURIComponent(proxy.password ?? '')}@` : '';
  return `${proxy.type === 'SOCKS5' ? 'socks5' : 'http'}://${auth}${proxy.host}:${proxy.port}`;
}

/** A TCP connection to host:port through the proxy (SOCKS5, or HTTP CONNECT). */
export async function connectViaProxy(proxy: ProxyConfig, target: { host: string; port: number }, timeoutMs = 10_000): Promise<net.Socket> {
  if (proxy.type === 'SOCKS5') {
    try {
      const { SocksClient } = await import('socks');
      const { socket } = await SocksClient.createConnection({
        proxy: { host: proxy.host, port: proxy.port, type: 5, userId: proxy.username ?? undefined, password: proxy.password ?? undefined },
        command: 'connect',
        destination: { host: target.host, port: target.port },
        timeout: timeoutMs,
      });
      return socket;
    } catch (err) {
      const code = socksFailureCode(err as NodeJS.ErrnoException);
      throw new ProxyError(proxy.name, SOCKS_FAILURES[code] ?? 'the SOCKS5 proxy could not connect to the mail server', code);
    }
  }
  return httpConnect(proxy, target, timeoutMs);
}

const SOCKS_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused by the proxy',
  ETIMEDOUT: 'no answer from the proxy',
  EHOSTUNREACH: 'could not reach the proxy',
  ENETUNREACH: 'could not reach the proxy',
  PROXY_AUTH: 'the proxy refused our credentials',
};

/** The socks client puts the socket's error code only into its message ("connect ECONNREFUSED …"). */
function socksFailureCode(err: NodeJS.ErrnoException): string {
  const text = String(err.message ?? '');
  if (err.code) return err.code;
  const errno = /\b(E[A-Z]{4,})\b/.exec(text)?.[1];
  if (errno) return errno;
  if (/timed out/i.test(text)) return 'ETIMEDOUT';
  if (/authentication/i.test(text)) return 'PROXY_AUTH';
  return 'TUNNEL_REFUSED';
}

function httpConnect(proxy: ProxyConfig, target: { host: string; port: number }, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: proxy.host, port: proxy.port });
    const fail = (message: string, code?: string) => {
      socket.destroy();
      reject(new ProxyError(proxy.name, message, code));
    };
    const timer = setTimeout(() => fail('no answer from the proxy', 'ETIMEDOUT'), timeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(err.code === 'ECONNREFUSED' ? 'connection refused by the proxy' : 'could not reach the proxy', err.code);
    });
    socket.once('connect', () => {
      const auth = proxy.username ? `Proxy-Authorization: Basic ${Buffer.from(`${proxy.username}:${proxy.password ?? ''}`).toString('base64')}\r\n` : '';
      // An IPv6 literal must be bracketed, or the proxy reads its last group as the port.
      const authority = `${net.isIPv6(target.host) ? `[${target.host}]` : target.host}:${target.port}`;
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
    });
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > 8192) fail('malformed answer from the proxy');
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      // Without a 'data' listener a flowing socket drops what arrives next (the mail server's
      // greeting can follow the proxy's answer at once): hold it until the caller listens.
      socket.pause();
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
      if (status !== 200) return fail(status === 407 ? 'the proxy refused our credentials' : `the proxy refused the tunnel (HTTP ${status || '?'})`, `HTTP_${status}`);
      const rest = Buffer.from(head.slice(end + 4), 'latin1');
      socket.removeAllListeners('error');
      resolve(socket);
      // Like the socks client: bytes that came with the proxy's answer, then the flow resumes
      // once the caller (who attaches its listeners right after the await) is listening.
      setImmediate(() => {
        if (rest.length) socket.emit('data', rest);
        socket.resume();
      });
    };
    socket.on('data', onData);
  });
}

/** An undici dispatcher that sends HTTPS requests (EWS, Graph, OAuth token calls) through the proxy. */
export async function proxyDispatcher(proxy: ProxyConfig, tlsOptions: { rejectUnauthorized: boolean } = { rejectUnauthorized: true }): Promise<Dispatcher> {
  const { Agent, ProxyAgent } = await loadUndici();
  if (proxy.type === 'HTTP') {
    return new ProxyAgent({
      requestTls: tlsOptions,
      uri: `http://${proxy.host}:${proxy.port}`,
      token: proxy.username ? `Basic ${Buffer.from(`${proxy.username}:${proxy.password ?? ''}`).toString('base64')}` : undefined,
    });
  }
  return new Agent({
    connect: (options, callback) => {
      const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
      connectViaProxy(proxy, { host: options.hostname, port }).then(
        (socket) => {
          if (options.protocol !== 'https:') return callback(null, socket);
          const secure = tls.connect({ socket, servername: options.servername || (net.isIP(options.hostname) ? undefined : options.hostname), ...tlsOptions });
          secure.once('secureConnect', () => callback(null, secure));
          secure.once('error', (err) => callback(err, null));
        },
        (err: Error) => callback(err, null),
      );
    },
  });
}
