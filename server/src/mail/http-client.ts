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
