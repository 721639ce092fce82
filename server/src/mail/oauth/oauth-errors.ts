import type { EmailProvider } from '../../db/schema.js';
import { MailError } from '../connector.js';
import { TargetRefusedError } from '../address-guard.js';
import { RedirectRefusedError, retryAfterMs } from '../http-client.js';
import { ProxyError } from '../proxy.js';
import { signInAgain } from './oauth-settings.js';

/** A token endpoint's answer that was not a token (RFC 6749 §5.2 body, or anything else). */
export interface TokenEndpointFailure {
  status: number;
  body: unknown;
  retryAfter?: string | null;
}

export interface OAuthErrorBody {
  error?: string;
  description?: string;
  /** Azure AD's AADSTS numbers, from `error_codes` or the description. */
  aadsts: number[];
  subError?: string;
}

export function parseErrorBody(body: unknown): OAuthErrorBody {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const description = typeof b.error_description === 'string' ? b.error_description : undefined;
  const codes = new Set<number>();
  if (Array.isArray(b.error_codes)) for (const c of b.error_codes) if (Number.isInteger(c)) codes.add(c as number);
  for (const m of (description ?? '').matchAll(/AADSTS(\d+)/g)) codes.add(Number(m[1]));
  return {
    error: typeof b.error === 'string' ? b.error : undefined,
    description,
    aadsts: [...codes],
    subError: typeof b.suberror === 'string' ? b.suberror : undefined,
  };
}

export type Grant = 'refresh' | 'code';

/** Consent was withdrawn or never given: the sign-in page offers the admin-consent link. */
export class ConsentMissingError extends MailError {
  constructor(message: string) {
    super('OAUTH_TOKEN', message, { permanent: true });
  }
}

interface Context { provider: EmailProvider; grant: Grant; installationApp: boolean }

const has = (e: OAuthErrorBody, ...codes: number[]) => codes.some((c) => e.aadsts.includes(c));

/**
 * Turns a refused token request into our wording: what went wrong and what the admin does about
 * it. Permanent causes (revoked grant, expired secret, unauthorized client) are OAUTH_TOKEN and
 * put the mailbox in authenticationError; an IdP that is down or throttling is retried. Never
 * echoes the provider's free-text description (it can carry user names and correlation ids).
 */
export function classifyTokenFailure(f: TokenEndpointFailure, ctx: Context): MailError {
  const e = parseErrorBody(f.body);
  const again = signInAgain(ctx.provider);
  const aad = e.aadsts.length ? ` (AADSTS${e.aadsts[0]})` : '';
  const secretWhere = ctx.provider === 'MICROSOFT' && ctx.installationApp
    ? 'create a new client secret for the app registration in Azure (App registrations → Certificates & secrets) and set MAILROOM_MICROSOFT_CLIENT_SECRET'
    : ctx.provider === 'GOOGLE' && ctx.installationApp
      ? 'check MAILROOM_GOOGLE_CLIENT_ID and MAILROOM_GOOGLE_CLIENT_SECRET'
      : 'enter the current client secret in the server settings';

  if (f.status === 429 || e.error === 'slow_down') {
    return new MailError('THROTTLED', 'The identity provider is throttling token requests; retrying later', { retryAfterMs: retryAfterMs(f.retryAfter ?? null, 60_000) });
  }
  if (f.status >= 500 || e.error === 'temporarily_unavailable' || e.error === 'server_error') {
    return new MailError('NETWORK', `The identity provider's token endpoint is unavailable (HTTP ${f.status}); retrying`);
  }
  const permanent = (message: string) => new MailError('OAUTH_TOKEN', message, { permanent: true });

  if (has(e, 7000222)) return permanent(`The client secret of the app registration has expired${aad}: ${secretWhere}`);
  if (has(e, 7000215, 7000218) || e.error === 'invalid_client') {
    return permanent(`The identity provider rejected the client id or client secret${aad}: ${secretWhere}`);
  }
  if (e.error === 'unauthorized_client' || has(e, 700016, 700051)) {
    return permanent(`The app registration is not allowed to sign in to this mailbox (unauthorized_client${aad}): check that the application exists in the tenant and may use the authorization-code flow, then ${again}`);
  }
  if (e.error === 'consent_required' || has(e, 65001, 65004, 90094, 90095, 90008)) {
    return new ConsentMissingError(`Consent for Mailroom was revoked or is missing${aad}: ${again}; if the organisation requires it, an administrator must grant consent first`);
  }
  if (e.error === 'interaction_required' || has(e, 50076, 50079, 50158, 53003)) {
    return permanent(`The identity provider requires the user to sign in interactively (multi-factor authentication or a conditional-access policy${aad}): ${again}`);
  }
  if (e.error === 'invalid_scope') {
    return permanent(`The identity provider refused the requested scope${aad}: check the scope in the server settings (or the API permissions of the app registration), then ${again}`);
  }
  if (e.error === 'invalid_grant' || has(e, 70000, 70008, 50173, 700082, 700084, 54005)) {
    return ctx.grant === 'code'
      ? permanent(`The authorization code was refused: it was already used or has expired${aad}. Start the sign-in again`)
      : permanent(`The refresh token was revoked or expired${aad}: ${again}`);
  }
  const code = e.error ? ` ${e.error}` : '';
  return ctx.grant === 'code'
    ? permanent(`The identity provider refused the authorization code (HTTP ${f.status}${code}${aad}). Start the sign-in again`)
    : permanent(`The identity provider refused to refresh the access token (HTTP ${f.status}${code}${aad}): ${again}`);
}

/** The token endpoint could not be reached at all (DNS, refused, TLS, timeout, proxy). */
export function tokenTransportError(err: unknown): MailError {
  if (err instanceof RedirectRefusedError) {
    return new MailError('OAUTH_TOKEN', `The token endpoint answered with a redirect to ${err.to}; Mailroom never follows one (it would carry the client secret and refresh token there): enter the final token URL`, { permanent: true });
  }
  if (err instanceof MailError) return err;
  const e = err as { name?: string; code?: string; cause?: unknown };
  const refused = err instanceof TargetRefusedError ? err : e.cause instanceof TargetRefusedError ? e.cause : null;
  if (refused) return new MailError('OAUTH_TOKEN', `The identity provider's address is refused: ${refused.message}`);
  const code = (e.cause as { code?: string } | undefined)?.code ?? e.code;
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new MailError('NETWORK', 'The identity provider did not answer in time; retrying');
  }
  if (code && /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS|ERR_SSL)/.test(code)) {
    return new MailError('TLS', `The identity provider's TLS certificate is not trusted (${code}); retrying`);
  }
  const proxyFailure = err instanceof ProxyError ? err : e.cause instanceof ProxyError ? e.cause : null;
  if (proxyFailure) return new MailError('NETWORK', `Could not reach the identity provider through ${proxyFailure.message}; retrying`);
  return new MailError('NETWORK', `Could not reach the identity provider${code ? ` (${code})` : ''}; retrying`);
}

export interface AuthorizationErrorView {
  message: string;
  consent: boolean;
  adminConsentRequired: boolean;
}

/**
 * The error an authorization endpoint sends back to our callback instead of a code
 * (`error`, `error_description`, Azure's `error_subcode`).
 */
export function describeAuthorizationError(params: { error: string; description?: string | null; subcode?: string | null }, provider: EmailProvider): AuthorizationErrorView {
  const e = parseErrorBody({ error: params.error, error_description: params.description ?? undefined });
  const aad = e.aadsts.length ? ` (AADSTS${e.aadsts[0]})` : '';
  const who = provider === 'MICROSOFT' ? 'Microsoft' : provider === 'GOOGLE' ? 'Google' : 'The identity provider';
  if (params.error === 'admin_consent_required' || has(e, 90094, 90095, 90008)) {
    return {
      message: `An administrator of the Microsoft 365 organisation must grant Mailroom consent before this mailbox can be signed in${aad}. Ask a global or application administrator to open the admin-consent link, then sign in again`,
      consent: true, adminConsentRequired: true,
    };
  }
  if (params.error === 'consent_required' || has(e, 65001)) {
    return {
      message: `Mailroom has not been granted consent to read this mailbox${aad}. Sign in again and accept the requested permissions; if your organisation does not let users consent, an administrator must grant consent`,
      consent: true, adminConsentRequired: false,
    };
  }
  if (params.error === 'access_denied' || params.subcode === 'cancel' || has(e, 65004)) {
    return { message: `The sign-in was cancelled or the permissions were declined${aad}. Start the sign-in again and accept them`, consent: false, adminConsentRequired: false };
  }
  if (params.error === 'interaction_required' || params.error === 'login_required') {
    return { message: `${who} needs the user to sign in interactively${aad}. Start the sign-in again`, consent: false, adminConsentRequired: false };
  }
  if (params.error === 'invalid_scope') {
    return { message: `${who} refused the requested scope${aad}: check the scope (or the app registration's API permissions)`, consent: false, adminConsentRequired: false };
  }
  if (params.error === 'unauthorized_client' || has(e, 700016)) {
    return { message: `The app registration is not allowed to sign in here${aad}: check the client id and that the application exists in the tenant`, consent: false, adminConsentRequired: false };
  }
  const code = /^[a-z_]{1,64}$/.test(params.error) ? params.error : 'error';
  return { message: `${who} did not complete the sign-in (${code}${aad})`, consent: false, adminConsentRequired: false };
}
