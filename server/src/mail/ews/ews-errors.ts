import { MailError } from '../connector.js';
import { fetchFailureCode } from '../http-client.js';
import type { Ews } from './ews-lib.js';
import { EwsTransportError, type FetchXhrApi } from './ews-xhr.js';
import { isMicrosoftHosted } from '../providers.js';

/** What went wrong with an EWS call, from the library's error and what our HTTP layer saw. Never the server's text. */
export type EwsFailure =
  | { type: 'http'; status: number; wwwAuthenticate: string | null }
  | { type: 'transport'; code: string | null }
  | { type: 'busy'; backOffMs: number | null }
  /** A SOAP fault or an error response message, by its ServiceError name (ErrorNonExistentMailbox, ...). */
  | { type: 'response'; code: string }
  | { type: 'unknown' };

/** Used when Exchange says "busy" without a hint. */
export const DEFAULT_BUSY_BACKOFF_MS = 30_000;
const MAX_BUSY_BACKOFF_MS = 15 * 60_000;

export const EWS_SHUTDOWN_WARNING =
  'Exchange Online blocks EWS from 1 October 2026 and shuts it down on 1 April 2027: connect this mailbox with Microsoft Graph instead';

interface ErrorDetailsLike { containsKey(key: string): boolean; get(key: string): unknown }

function backOffFrom(details: ErrorDetailsLike | null | undefined): number | null {
  if (!details?.containsKey?.('BackOffMilliseconds')) return null;
  const ms = Number(details.get('BackOffMilliseconds'));
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_BUSY_BACKOFF_MS) : null;
}

/** The BackOffMilliseconds hint of an ErrorServerBusy response message (batch operations report it per item). */
export function serverBusyBackoff(ews: Ews, response: { ErrorCode: number; ErrorDetails?: ErrorDetailsLike | null }): number | null | undefined {
  if (response.ErrorCode !== ews.ServiceError.ErrorServerBusy) return undefined;
  return backOffFrom(response.ErrorDetails);
}

/**
 * ews-javascript-api reports a 500 with a SOAP fault as SoapFaultDetails (ErrorServerBusy among
 * them), an error response message as ServiceResponseException, and any other HTTP status or a
 * network failure as a bare SoapFaultDetails — so the HTTP layer's own record decides those.
 */
export function describeEwsFailure(ews: Ews, err: unknown, xhr: Pick<FetchXhrApi, 'lastStatus' | 'lastHeaders' | 'lastTransportError'> | null): EwsFailure {
  if (err instanceof EwsTransportError || (xhr?.lastTransportError && xhr.lastStatus === null)) {
    const transport = err instanceof EwsTransportError ? err : xhr!.lastTransportError!;
    return { type: 'transport', code: fetchFailureCode(transport.cause) };
  }
  if (err instanceof ews.ServiceResponseException) {
    if (err.ErrorCode === ews.ServiceError.ErrorServerBusy) return { type: 'busy', backOffMs: backOffFrom(err.Response?.ErrorDetails) };
    return { type: 'response', code: ews.ServiceError[err.ErrorCode] ?? 'ErrorInternalServerError' };
  }
  if (err instanceof ews.SoapFaultDetails) {
    const status = err.HttpStatusCode ?? xhr?.lastStatus ?? null;
    if (status === 500) {
      if (err.ResponseCode === ews.ServiceError.ErrorServerBusy) return { type: 'busy', backOffMs: backOffFrom(err.ErrorDetails) };
      return { type: 'response', code: ews.ServiceError[err.ResponseCode] ?? 'ErrorInternalServerError' };
    }
    if (status && status !== 200) return { type: 'http', status, wwwAuthenticate: xhr?.lastHeaders?.['www-authenticate'] ?? null };
  }
  if (xhr?.lastStatus && xhr.lastStatus !== 200) return { type: 'http', status: xhr.lastStatus, wwwAuthenticate: xhr.lastHeaders?.['www-authenticate'] ?? null };
  return { type: 'unknown' };
}

const TRANSIENT_RESPONSE_CODES = new Set([
  'ErrorInternalServerTransientError', 'ErrorMailboxStoreUnavailable', 'ErrorMailboxMoveInProgress', 'ErrorConnectionFailed', 'ErrorTimeoutExpired', 'ErrorServerBusy',
]);

/** An error response for one item of a batch that should stop the sync (try again later) rather than skip the item. */
export function isTransientResponseCode(code: string): boolean {
  return TRANSIENT_RESPONSE_CODES.has(code);
}

/** Our wording for a failed EWS session. On Microsoft's own hosts it also points to Graph. */
export function ewsMailError(failure: EwsFailure, ctx: { oauth: boolean; host: string; mailbox: string }): MailError {
  const error = baseMailError(failure, ctx);
  if (!isMicrosoftHosted(ctx.host)) return error;
  return new MailError(error.kind, `${error.message}. ${EWS_SHUTDOWN_WARNING}`, error.options);
}

function baseMailError(failure: EwsFailure, ctx: { oauth: boolean; host: string; mailbox: string }): MailError {
  switch (failure.type) {
    case 'busy':
      return new MailError('THROTTLED', 'Exchange is busy and asked Mailroom to back off (ErrorServerBusy)', { retryAfterMs: failure.backOffMs ?? DEFAULT_BUSY_BACKOFF_MS });
    case 'http':
      switch (failure.status) {
        case 401:
          return ctx.oauth
            ? new MailError('AUTH', 'Exchange refused the OAuth access token: sign in again from the server settings')
            : new MailError('AUTH', 'Exchange refused the username or password');
        case 403: return new MailError('PROTOCOL', 'Exchange refused EWS access for this account: EWS is probably not enabled for the mailbox');
        case 404: return new MailError('PROTOCOL', 'There is no EWS service at this address: check the host or the EWS URL');
        case 429:
        case 503: return new MailError('THROTTLED', `Exchange is not accepting requests right now (HTTP ${failure.status})`);
        default: return new MailError('PROTOCOL', `Exchange answered HTTP ${failure.status}`);
      }
    case 'transport': {
      const code = failure.code ?? 'connection failed';
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
        return new MailError('TLS', `The server's TLS certificate was not accepted (${code}); if this is an on-premises server with a self-signed certificate, turn on "Allow self-signed certificate"`);
      }
      if (/^ERR_SSL|^ERR_TLS|EPROTO/.test(code)) return new MailError('TLS', 'TLS handshake failed: the security type probably does not match the port');
      return new MailError('NETWORK', `Could not reach the Exchange server (${code})`);
    }
    case 'response':
      switch (failure.code) {
        case 'ErrorNonExistentMailbox':
        case 'ErrorInvalidSmtpAddress': return new MailError('PROTOCOL', `Exchange has no mailbox ${ctx.mailbox}`);
        case 'ErrorAccessDenied':
        case 'ErrorImpersonateUserDenied': return new MailError('AUTH', `The account may not open the mailbox ${ctx.mailbox}`);
        case 'ErrorInvalidServerVersion': return new MailError('PROTOCOL', 'The Exchange server is too old for Mailroom (Exchange 2010 SP2 or later is needed)', { permanent: true });
        default: return new MailError(isTransientResponseCode(failure.code) ? 'NETWORK' : 'PROTOCOL', `The EWS request failed (${failure.code})`);
      }
    case 'unknown':
      return new MailError('PROTOCOL', 'The EWS session failed');
  }
}
