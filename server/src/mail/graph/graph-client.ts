import { isIPv6 } from 'node:net';
import { hostWithoutBrackets } from '../address-guard.js';
import { MailError } from '../connector.js';
import { httpFetch, retryAfterMs, type HttpOptions } from '../http-client.js';
import { Semaphore } from './semaphore.js';
import type { IncomingServerRow } from '../../db/schema.js';
import { GRAPH_HOST } from '../providers.js';

/** Exchange Online serves at most 4 concurrent requests per mailbox and app; more get 429 (MailboxConcurrency). */
export const MAX_CONCURRENT_PER_MAILBOX = 4;
/** A throttled request is waited out and retried this often before the whole sync backs off. */
const MAX_THROTTLE_RETRIES = 3;
/** Longer Retry-After hints than this end the sync instead of holding it open. */
const MAX_INLINE_WAIT_MS = 60_000;
const DEFAULT_THROTTLE_WAIT_MS = 5_000;

/**
 * https://graph.microsoft.com/v1.0, or — for national clouds and test peers — the server's own
 * host, port and security (None = plain http).
 */
export function graphBaseUrl(server: Pick<IncomingServerRow, 'host' | 'port' | 'security'>): URL {
  const host = hostWithoutBrackets(server.host ?? '') || GRAPH_HOST;
  const scheme = server.security === 'NONE' ? 'http' : 'https';
  const defaultPort = scheme === 'https' ? 443 : 80;
  const port = server.port && server.port !== defaultPort ? `:${server.port}` : '';
  return new URL(`${scheme}://${isIPv6(host) ? `[${host}]` : host}${port}/v1.0`);
}

/** A Graph answer other than the one expected. `code` is Graph's error code (ErrorItemNotFound, ...), never its message. */
export class GraphError extends Error {
  constructor(readonly status: number, readonly code: string | null, readonly wwwAuthenticate: string | null = null) {
    super(`Microsoft Graph answered HTTP ${status}${code ? ` (${code})` : ''}`);
  }
}

/** The request never got an HTTP answer (refused, reset, TLS, timeout). */
export class GraphTransportError extends Error {
  constructor(override readonly cause: unknown) {
    super('Microsoft Graph request failed before an HTTP response');
  }
}

export interface GraphResponse {
  status: number;
  headers: Pick<Headers, 'get'>;
  body: Buffer;
  /** With `cap`: the body was longer than its limit, `body` holds its first bytes, this its size (Content-Length, or what was counted: `atLeast`). */
  overLimit?: { size: number; atLeast: boolean };
}

/** Read at most `limit` bytes of a body; past it keep only the first `keep` and stop reading. */
export interface BodyCap { limit: number; keep: number }

type RequestOptions = { json?: unknown; accept?: string; cap?: BodyCap };

export interface GraphClientOptions {
  baseUrl: URL;
  /** The mailbox: /users/{address} works for the signed-in user's own and for shared mailboxes. */
  mailbox: string;
  http: HttpOptions;
  accessToken: (opts?: { rejected?: string }) => Promise<string>;
  maxConcurrent?: number;
  /** Aborts requests and throttle waits (the connector is stopping). */
  signal?: AbortSignal;
  onThrottled?: (waitMs: number, status: number) => void;
}

/**
 * A small Microsoft Graph client for one mailbox: every request goes through `httpFetch` (so the
 * proxy, timeout and certificate settings apply), asks for immutable ids, and holds one of at most
 * four slots until its body has been read. A 429/503 is waited out per its Retry-After — and
 * every other request of the mailbox waits too — before the request is tried again.
 */
export class GraphClient {
  private readonly slots: Semaphore;
  private token: string | null = null;
  private pausedUntil = 0;
  requestCount = 0;

  constructor(private readonly opts: GraphClientOptions) {
    this.slots = new Semaphore(opts.maxConcurrent ?? MAX_CONCURRENT_PER_MAILBOX);
  }

  /** The next request asks the token source again (which refreshes a token about to expire). */
  forgetToken(): void {
    this.token = null;
  }

  /** The URL of a path under the mailbox: `/users/{address}{path}`. */
  mailboxUrl(path: string): string {
    return `${this.opts.baseUrl.toString().replace(/\/$/, '')}/users/${encodeURIComponent(this.opts.mailbox)}${path}`;
  }

  async request(method: string, url: string, opts: RequestOptions = {}): Promise<GraphResponse> {
    this.checkOrigin(url);
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      await this.waitForPause();
      const token = (this.token ??= await this.opts.accessToken());
      const res = await this.slots.use(() => this.send(method, url, token, opts));
      if (res.status === 401 && !refreshed) {
        // The token may have been revoked or expired early: one freshly refreshed one, then give up.
        refreshed = true;
        this.token = await this.opts.accessToken({ rejected: token });
        continue;
      }
      if (res.status === 429 || res.status === 503) {
        const wait = retryAfterMs(res.headers.get('retry-after'), DEFAULT_THROTTLE_WAIT_MS * 2 ** attempt);
        if (attempt >= MAX_THROTTLE_RETRIES || wait > MAX_INLINE_WAIT_MS) {
          throw new MailError('THROTTLED', `Microsoft Graph is throttling this mailbox (HTTP ${res.status})`, { retryAfterMs: wait });
        }
        this.opts.onThrottled?.(wait, res.status);
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + wait);
        continue;
      }
      return res;
    }
  }

  /** A JSON answer with a 2xx status, or GraphError. */
  async json<T>(method: string, url: string, body?: unknown): Promise<T> {
    const res = await this.request(method, url, { json: body });
    if (res.status < 200 || res.status > 299) throw graphError(res);
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  private async send(method: string, url: string, token: string, opts: RequestOptions): Promise<GraphResponse> {
    this.requestCount++;
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      prefer: 'IdType="ImmutableId"',
      accept: opts.accept ?? 'application/json',
    };
    if (url.includes('/delta')) headers.prefer += ', odata.maxpagesize=50';
    if (opts.json !== undefined) headers['content-type'] = 'application/json';
    const signals = [AbortSignal.timeout(this.opts.http.timeoutMs ?? 60_000), ...(this.opts.signal ? [this.opts.signal] : [])];
    try {
      const res = await httpFetch(url, { method, headers, body: opts.json === undefined ? undefined : JSON.stringify(opts.json), signal: AbortSignal.any(signals) }, this.opts.http);
      if (!opts.cap || !res.body || res.status !== 200) return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
      return { status: res.status, headers: res.headers, ...(await readCapped(res.body as ReadableStream<Uint8Array>, Number(res.headers.get('content-length') ?? NaN), opts.cap)) };
    } catch (err) {
      throw new GraphTransportError(err);
    }
  }

  private async waitForPause(): Promise<void> {
    const wait = this.pausedUntil - Date.now();
    if (wait <= 0) return;
    const signal = this.opts.signal;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(new GraphTransportError(signal?.reason));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** nextLink / deltaLink come from the server: follow them only to where we were configured to go. */
  private checkOrigin(url: string): void {
    if (new URL(url).origin !== this.opts.baseUrl.origin) throw new MailError('PROTOCOL', 'Microsoft Graph sent a link to another host; refusing to follow it');
  }
}

export function graphError(res: GraphResponse): GraphError {
  let code: string | null = null;
  try {
    const parsed = JSON.parse(res.body.toString('utf8')) as { error?: { code?: unknown } };
    if (typeof parsed.error?.code === 'string' && /^[A-Za-z0-9_.-]{1,100}$/.test(parsed.error.code)) code = parsed.error.code;
  } catch {
    // Not JSON: the status alone says enough.
  }
  return new GraphError(res.status, code, res.headers.get('www-authenticate'));
}

/**
 * A body read as a stream: whole while it stays within the limit; past it (or when Content-Length
 * says so up front) only its first `keep` bytes, and the download is cancelled there.
 */
async function readCapped(stream: ReadableStream<Uint8Array>, declared: number, cap: BodyCap): Promise<Pick<GraphResponse, 'body' | 'overLimit'>> {
  const chunks: Buffer[] = [];
  let seen = 0;
  const known = Number.isFinite(declared) && declared > cap.limit;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { body: Buffer.concat(chunks) };
      chunks.push(Buffer.from(value));
      seen += value.length;
      if (known ? seen >= cap.keep : seen > cap.limit) {
        return { body: Buffer.concat(chunks).subarray(0, cap.keep), overLimit: { size: known ? declared : seen, atLeast: !known } };
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
