import { isIP } from 'node:net';
import type { Agent, Dispatcher, RequestInit, Response } from 'undici';
import { TargetRefusedError, guardedLookup, hostWithoutBrackets, refusedAddressReason, type GuardOptions } from './address-guard.js';
import { MailError } from './connector.js';
import { proxyDispatcher, type ProxyConfig } from './proxy.js';
import { loadUndici } from './undici.js';

const proxyDispatchers = new WeakMap<ProxyConfig, Dispatcher>();
const directAgents = new Map<string, Agent>();
const MAX_REDIRECTS = 5;

export interface HttpOptions {
  proxy?: ProxyConfig | null;
  timeoutMs?: number;
  /** false: accept a self-signed certificate (on-premises Exchange, when the admin allowed it). */
  rejectUnauthorized?: boolean;
  /** The mail servers' address guard: a direct connection goes only to an address it approved. */
  guard: GuardOptions;
  /**
   * 'none' (the default): a redirect is an error — a token endpoint that redirects would have us
   * re-send the client secret and refresh token wherever it points. 'same-origin': followed
   * within the URL's own origin (Graph and EWS paging), refused anywhere else.
   */
  redirects?: 'none' | 'same-origin';
}

/** A redirect Mailroom refused to follow. */
export class RedirectRefusedError extends MailError {
  constructor(readonly from: string, readonly to: string) {
    super('PROTOCOL', `${new URL(from).origin} answered with a redirect to ${to}, which Mailroom does not follow: enter the final address in the settings`, { permanent: true });
  }
}

async function dispatcherFor(opts: HttpOptions): Promise<Dispatcher> {
  const rejectUnauthorized = opts.rejectUnauthorized !== false;
  if (opts.proxy) {
    // Behind a proxy the proxy resolves the name; its own address was vetted by resolveMailRoute.
    let d = proxyDispatchers.get(opts.proxy);
    if (!d) proxyDispatchers.set(opts.proxy, (d = await proxyDispatcher(opts.proxy, { rejectUnauthorized })));
    return d;
  }
  const key = `${opts.guard.allowLoopback}:${opts.guard.publicOnly === true}:${rejectUnauthorized}`;
  let agent = directAgents.get(key);
  if (!agent) {
    const { Agent } = await loadUndici();
    agent = directAgents.get(key) ?? new Agent({ connect: { rejectUnauthorized, lookup: guardedLookup(opts.guard) } });
    directAgents.set(key, agent);
  }
  return agent;
}

/** A literal address in the URL is never looked up, so the guard must see it here. */
function vetLiteralHost(url: URL, opts: HttpOptions): void {
  const host = hostWithoutBrackets(url.hostname);
  if (!isIP(host)) return;
  const reason = refusedAddressReason(host, opts.guard);
  if (reason) throw new TargetRefusedError(host, host, reason);
}

/**
 * fetch() for every outbound HTTPS call of a mailbox (EWS, Graph, OAuth token endpoints): the
 * configured proxy, the timeout, the address guard (at connect time, against DNS rebinding) and
 * the redirect policy apply to all of them alike.
 */
export async function httpFetch(url: string | URL, init: RequestInit, opts: HttpOptions): Promise<Response> {
  const signal = init.signal ?? AbortSignal.timeout(opts.timeoutMs ?? 30_000);
  const dispatcher = await dispatcherFor(opts);
  const { fetch } = await loadUndici();
  let current = new URL(url);
  let request = init;
  for (let hop = 0; ; hop++) {
    vetLiteralHost(current, opts);
    const res = await fetch(current, { ...request, dispatcher, signal, redirect: 'manual' });
    const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
    if (location === null) return res;
    await res.body?.cancel().catch(() => {});
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new RedirectRefusedError(current.href, location.slice(0, 200));
    }
    if ((opts.redirects ?? 'none') === 'none' || next.origin !== current.origin || hop >= MAX_REDIRECTS) throw new RedirectRefusedError(current.href, next.href.slice(0, 200));
    // 303 (and 301/302 after a POST, as browsers do) turn into a GET without a body.
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && (request.method ?? 'GET').toUpperCase() === 'POST')) {
      const { body: _body, ...rest } = request;
      request = { ...rest, method: 'GET' };
    }
    current = next;
  }
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
