import type { GuardOptions } from '../address-guard.js';
import { MailError } from '../connector.js';
import { httpFetch } from '../http-client.js';
import type { ProxyConfig } from '../proxy.js';
import { tokenTransportError, type TokenEndpointFailure } from './oauth-errors.js';

export const TOKEN_REQUEST_TIMEOUT_MS = 15_000;
const DEFAULT_LIFETIME_S = 3600;

export interface TokenSet {
  accessToken: string;
  /** Absent when the provider did not rotate it: keep the previous one. */
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface AuthorizationRequest {
  state: string;
  codeChallenge: string;
  redirectUri: string;
  loginHint?: string;
}

/** One provider's authorization-code + PKCE flow and refresh. Failures are MailErrors in our wording. */
export interface OAuthClient {
  authorizationUrl(req: AuthorizationRequest): Promise<string>;
  exchangeCode(req: { code: string; codeVerifier: string; redirectUri: string }): Promise<TokenSet>;
  refresh(refreshToken: string): Promise<TokenSet>;
}

export interface HttpAnswer extends TokenEndpointFailure {
  headers: Record<string, string>;
}

/** POSTs a form to a token endpoint through the mailbox's proxy; transport failures become NETWORK/TLS MailErrors, a redirect a permanent one. */
export async function postForm(url: string, form: Record<string, string>, proxy: ProxyConfig | null, guard: GuardOptions): Promise<HttpAnswer> {
  try {
    const res = await httpFetch(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(form).toString(),
      },
      // Never a redirect: it would carry the client secret and the refresh token elsewhere.
      { proxy, timeoutMs: TOKEN_REQUEST_TIMEOUT_MS, guard, redirects: 'none' },
    );
    const text = await res.text();
    return { status: res.status, body: parseBody(text, res.headers.get('content-type')), headers: Object.fromEntries(res.headers), retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    throw tokenTransportError(err);
  }
}

function parseBody(text: string, contentType: string | null): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Some providers answer application/x-www-form-urlencoded unless told otherwise.
    return contentType?.includes('x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(text)) : {};
  }
}

/** RFC 6749 §5.1 → TokenSet, or null when there is no access token in it. */
export function tokenSetFrom(body: unknown, now: number): TokenSet | null {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (typeof b.access_token !== 'string' || !b.access_token) return null;
  const expiresIn = Number(b.expires_in);
  return {
    accessToken: b.access_token,
    refreshToken: typeof b.refresh_token === 'string' && b.refresh_token ? b.refresh_token : undefined,
    expiresAt: now + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_LIFETIME_S) * 1000,
  };
}

export const noAccessToken = (who: string) =>
  new MailError('OAUTH_TOKEN', `${who} answered without an access token: check the token URL and the app registration`, { permanent: true });
