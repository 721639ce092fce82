import type { Credentials, OAuth2ClientOptions } from 'google-auth-library';
import { MailError } from '../connector.js';
import { httpFetch } from '../http-client.js';
import type { GuardOptions } from '../address-guard.js';
import type { ProxyConfig } from '../proxy.js';
import { noAccessToken, TOKEN_REQUEST_TIMEOUT_MS, type AuthorizationRequest, type OAuthClient, type TokenSet } from './oauth-client.js';
import { classifyTokenFailure, tokenTransportError, type Grant } from './oauth-errors.js';
import type { GoogleClientSettings } from './oauth-settings.js';

/**
 * google-auth-library (with gaxios) loads on the first Google sign-in or refresh, not at start.
 * OAuth2Client keeps its refresh call protected; we hold no credentials on the client, so call it directly.
 */
async function refreshingClient(options: OAuth2ClientOptions) {
  const { OAuth2Client } = await import('google-auth-library');
  class RefreshingClient extends OAuth2Client {
    refreshWith(refreshToken: string) {
      return this.refreshToken(refreshToken);
    }
  }
  return new RefreshingClient(options);
}

/** Google through google-auth-library's OAuth2Client: scope https://mail.google.com/ for IMAP XOAUTH2. */
export class GoogleOAuthClient implements OAuthClient {
  constructor(
    private readonly settings: GoogleClientSettings,
    private readonly proxy: ProxyConfig | null,
    private readonly guard: GuardOptions,
    /** Tests point these at another OAuth server; production uses Google's. */
    private readonly endpoints?: OAuth2ClientOptions['endpoints'],
  ) {}

  async authorizationUrl(req: AuthorizationRequest): Promise<string> {
    const { CodeChallengeMethod } = await import('google-auth-library');
    return (await this.client(req.redirectUri)).generateAuthUrl({
      access_type: 'offline',
      // Google returns a refresh token only on consent; a re-sign-in must get a new one.
      prompt: 'consent',
      scope: this.settings.scopes,
      state: req.state,
      code_challenge: req.codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
      ...(req.loginHint ? { login_hint: req.loginHint } : {}),
    });
  }

  async exchangeCode(req: { code: string; codeVerifier: string; redirectUri: string }): Promise<TokenSet> {
    try {
      const { tokens } = await (await this.client(req.redirectUri)).getToken({ code: req.code, codeVerifier: req.codeVerifier, redirect_uri: req.redirectUri });
      return this.tokens(tokens);
    } catch (err) {
      throw this.failure(err, 'code');
    }
  }

  async refresh(refreshToken: string): Promise<TokenSet> {
    try {
      const { tokens } = await (await this.client()).refreshWith(refreshToken);
      return this.tokens(tokens);
    } catch (err) {
      throw this.failure(err, 'refresh');
    }
  }

  private client(redirectUri?: string) {
    const { proxy, guard } = this;
    return refreshingClient({
      clientId: this.settings.clientId,
      clientSecret: this.settings.clientSecret,
      redirectUri,
      endpoints: this.endpoints,
      transporterOptions: {
        fetchImplementation: ((url: string | URL, init?: Record<string, unknown>) =>
          httpFetch(url instanceof URL ? url : String(url), init as never, { proxy, timeoutMs: TOKEN_REQUEST_TIMEOUT_MS, guard, redirects: 'none' })) as never,
        retry: false,
      },
    });
  }

  private tokens(tokens: Credentials): TokenSet {
    if (!tokens.access_token) throw noAccessToken('Google');
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? undefined,
      expiresAt: tokens.expiry_date ?? Date.now() + 3600_000,
    };
  }

  private failure(err: unknown, grant: Grant): MailError {
    if (err instanceof MailError) return err;
    const response = (err as { response?: { status?: number; data?: unknown; headers?: { get?(name: string): string | null } } }).response;
    if (response?.status) {
      return classifyTokenFailure(
        { status: response.status, body: response.data, retryAfter: typeof response.headers?.get === 'function' ? response.headers.get('retry-after') : null },
        { provider: 'GOOGLE', grant, installationApp: this.settings.installationApp },
      );
    }
    return tokenTransportError((err as { cause?: unknown }).cause ?? err);
  }
}
