import { Agent, fetch, type Dispatcher, type RequestInit, type Response } from 'undici';
import { proxyDispatcher, type ProxyConfig } from './proxy.js';

const dispatchers = new WeakMap<ProxyConfig, Dispatcher>();
let selfSignedAgent: Agent | undefined;

export interface HttpOptions {
  proxy?: ProxyConfig | null;
  timeoutMs?: number;
  /** false: accept a self-signed certificate (on-premises Exchange, when the admin allowed it). */
  rejectUnauthorized?: boolean;
}

/**
 * fetch() for every outbound HTTPS call of a mailbox (EWS, Graph, OAuth token endpoints), so that
 * a configured proxy and the timeout apply to all of them alike.
 */
export function httpFetch(url: string | URL, init: RequestInit = {}, opts: HttpOptions = {}): Promise<Response> {
  let dispatcher: Dispatcher | undefined;
  if (opts.proxy) {
    dispatcher = dispatchers.get(opts.proxy);
    if (!dispatcher) dispatchers.set(opts.proxy, (dispatcher = proxyDispatcher(opts.proxy, { rejectUnauthorized: opts.rejectUnauthorized !== false })));
  } else if (opts.rejectUnauthorized === false) {
    dispatcher = selfSignedAgent ??= new Agent({ connect: { rejectUnauthorized: false } });
  }
  return fetch(url, { ...init, dispatcher, signal: init.signal ?? AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
}

/** Retry-After as milliseconds (seconds or an HTTP date), capped so a hostile value can't park a mailbox for days. */
export function retryAfterMs(header: string | null, fallbackMs: number, capMs = 15 * 60_000): number {
  if (!header) return fallbackMs;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : new Date(header).getTime() - Date.now();
  return Math.min(capMs, Math.max(0, Number.isFinite(ms) ? ms : fallbackMs));
}

/**
 * The socket-level code behind a failed httpFetch (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, ...):
 * undici reports TypeError('fetch failed') with the real error as its cause, sometimes nested.
 * Timeouts and aborts count as ETIMEDOUT, a dropped socket as ECONNRESET.
 */
export function fetchFailureCode(err: unknown): string | null {
  const UNDICI: Record<string, string> = {
    UND_ERR_CONNECT_TIMEOUT: 'ETIMEDOUT', UND_ERR_HEADERS_TIMEOUT: 'ETIMEDOUT', UND_ERR_BODY_TIMEOUT: 'ETIMEDOUT', UND_ERR_SOCKET: 'ECONNRESET', UND_ERR_CLOSED: 'ECONNRESET',
  };
  let fallback: string | null = null;
  let e = err as { code?: unknown; cause?: unknown; name?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'ETIMEDOUT';
    if (typeof e.code === 'string') {
      if (!UNDICI[e.code]) return e.code;
      fallback ??= UNDICI[e.code]!;
    }
    e = e.cause as typeof e;
  }
  return fallback;
}
