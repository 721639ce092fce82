import type { IXHRApi, IXHROptions } from 'ews-javascript-api';
import { httpFetch, type HttpOptions } from '../http-client.js';

/** What ews-javascript-api reads from a response: the XMLHttpRequest subset @ewsjs/xhr also provides. */
export interface XhrLikeResponse {
  status: number;
  statusText: string;
  responseText: string;
  response: string;
  headers: Record<string, string>;
  getAllResponseHeaders(): string;
  getResponseHeader(name: string): string | null;
}

/** A request that never got an HTTP answer (refused, reset, TLS, timeout): kept so we can classify it. */
export class EwsTransportError extends Error {
  constructor(override readonly cause: unknown) {
    super('EWS request failed before an HTTP response');
  }
}

/**
 * ews-javascript-api's HTTP layer, over our `httpFetch` so that the mailbox's proxy, timeout and
 * "allow self-signed certificate" apply to EWS exactly as to every other outbound call. The
 * library's own @ewsjs/xhr (axios) knows HTTP proxies only, not SOCKS5.
 *
 * Like @ewsjs/xhr it resolves on 200 and rejects with the response otherwise: the library turns a
 * rejected 500 into SoapFaultDetails (ErrorServerBusy and friends) and anything else into an error.
 */
export class FetchXhrApi implements IXHRApi {
  readonly apiName = 'mailroom-fetch';
  /** The HTTP status of the last answer, so callers can tell 401 / 403 from SOAP faults. */
  lastStatus: number | null = null;
  lastHeaders: Record<string, string> | null = null;
  lastTransportError: EwsTransportError | null = null;
  requestCount = 0;
  private readonly inflight = new Set<AbortController>();

  constructor(private readonly http: HttpOptions) {}

  async xhr(options: IXHROptions): Promise<XMLHttpRequest> {
    const abort = new AbortController();
    this.inflight.add(abort);
    const timeout = AbortSignal.timeout(this.http.timeoutMs ?? 120_000);
    this.requestCount++;
    try {
      let status: number;
      let statusText: string;
      let text: string;
      let headers: Record<string, string>;
      try {
        const res = await httpFetch(
          options.url,
          {
            method: options.type ?? 'POST',
            headers: options.headers as Record<string, string>,
            body: options.data as string | undefined,
            redirect: options.allowRedirect ? 'follow' : 'manual',
            signal: AbortSignal.any([abort.signal, timeout]),
          },
          this.http,
        );
        ({ status, statusText } = res);
        headers = Object.fromEntries(res.headers);
        text = await res.text();
      } catch (err) {
        this.lastStatus = null;
        this.lastHeaders = null;
        this.lastTransportError = new EwsTransportError(err);
        throw this.lastTransportError;
      }
      this.lastStatus = status;
      this.lastHeaders = headers;
      this.lastTransportError = null;
      const response = xhrLike(status, statusText, text, headers);
      if (status === 200) return response as unknown as XMLHttpRequest;
      throw response;
    } finally {
      this.inflight.delete(abort);
    }
  }

  xhrStream(): Promise<XMLHttpRequest> {
    return Promise.reject(new Error('EWS streaming notifications are not used'));
  }

  /** Aborts every request in flight (the connector is stopping). */
  disconnect(): void {
    for (const a of this.inflight) a.abort();
    this.inflight.clear();
  }
}

function xhrLike(status: number, statusText: string, text: string, headers: Record<string, string>): XhrLikeResponse {
  return {
    status,
    statusText,
    responseText: text,
    response: text,
    headers,
    getAllResponseHeaders: () => Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n'),
    getResponseHeader: (name) => headers[name.toLowerCase()] ?? null,
  };
}
