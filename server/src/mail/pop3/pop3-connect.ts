// Opens a signed-in POP3 session: TCP (direct or through the proxy tunnel), TLS per the
// security type (SSL from the first byte, or STLS after the greeting), then USER/PASS.
import net from 'node:net';
import tls from 'node:tls';
import { hostWithoutBrackets } from '../address-guard.js';
import type { MailRoute } from '../mail-route.js';
import { connectViaProxy } from '../proxy.js';
import { Pop3Session } from './pop3-client.js';
import { Pop3CommandError } from './pop3-errors.js';

export interface Pop3Endpoint {
  route: MailRoute;
  port: number;
  security: 'NONE' | 'SSL' | 'TLS';
  /** The configured host name: checked against the certificate and sent as SNI. */
  host: string;
  rejectUnauthorized: boolean;
  user: string;
  password: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Aborts the TCP connect (stop() while a server is slow to answer). */
  signal?: AbortSignal;
  /** Called as soon as the session exists, so its owner can destroy it while it signs in. */
  onSession?: (session: Pop3Session) => void;
}

const CONNECT_TIMEOUT_MS = 15_000;

export async function openPop3(ep: Pop3Endpoint): Promise<Pop3Session> {
  const timeoutMs = ep.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const target = { host: ep.route.address, port: ep.port };
  let socket: net.Socket = ep.route.proxy ? await connectViaProxy(ep.route.proxy, target, timeoutMs) : await connectTcp(target, timeoutMs, ep.signal);
  if (ep.signal?.aborted) {
    socket.destroy();
    throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
  }
  if (ep.security === 'SSL') socket = await startTls(socket, ep, timeoutMs);
  const session = new Pop3Session(socket, { commandTimeoutMs: ep.commandTimeoutMs });
  ep.onSession?.(session);
  if (ep.signal?.aborted) session.destroy();
  try {
    await session.greeting(timeoutMs);
    if (ep.security === 'TLS') await session.startTls((plain) => startTls(plain, ep, timeoutMs));
    if (!session.secure) await refuseWithoutPlaintextLogin(session);
    await session.login(ep.user, ep.password);
    return session;
  } catch (err) {
    session.destroy();
    throw err;
  }
}

/** A server that does not offer USER on a clear-text connection would answer -ERR to it; say why up front. */
async function refuseWithoutPlaintextLogin(session: Pop3Session): Promise<void> {
  const caps = await session.capabilities();
  if (caps.length > 0 && !caps.includes('USER')) throw new Pop3CommandError('USER', 'PRIVACY-REQUIRED');
}

function connectTcp(target: { host: string; port: number }, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target);
    const timer = setTimeout(() => fail(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    const onAbort = () => fail(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    const fail = (err: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

export function startTls(plain: net.Socket, ep: Pick<Pop3Endpoint, 'host' | 'rejectUnauthorized'>, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const host = hostWithoutBrackets(ep.host);
    const secure = tls.connect({
      socket: plain,
      host,
      servername: net.isIP(host) ? undefined : host,
      rejectUnauthorized: ep.rejectUnauthorized,
      minVersion: 'TLSv1.2',
    });
    const timer = setTimeout(() => fail(Object.assign(new Error('TLS handshake timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      secure.off('close', onClose);
      secure.on('error', () => undefined);
      secure.destroy();
      reject(err);
    };
    const onClose = () => fail(Object.assign(new Error('closed during the TLS handshake'), { code: 'ECONNRESET' }));
    secure.once('error', fail);
    secure.once('close', onClose);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      secure.off('error', fail);
      secure.off('close', onClose);
      resolve(secure);
    });
  });
}
