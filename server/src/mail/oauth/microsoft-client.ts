import type {
  AuthenticationResult, ConfidentialClientApplication, INetworkModule, NetworkRequestOptions, NetworkResponse, NodeAuthOptions,
} from '@azure/msal-node';
import { MailError } from '../connector.js';
import { httpFetch } from '../http-client.js';
import type { GuardOptions } from '../address-guard.js';
import type { ProxyConfig } from '../proxy.js';
import { noAccessToken, TOKEN_REQUEST_TIMEOUT_MS, type AuthorizationRequest, type OAuthClient, type TokenSet } from './oauth-client.js';
import { classifyTokenFailure, tokenTransportError, type Grant } from './oauth-errors.js';
import { isMicrosoftCloudAuthority, type MicrosoftClientSettings } from './oauth-settings.js';

/**
 * msal's HTTP client, replaced so that every call (discovery, token endpoint) goes through the
 * mailbox's proxy, and so that we see the token endpoint's raw answer: msal returns an empty
 * result instead of throwing when an error body is not an OAuth error, and its errors carry the
 * provider's free text, which we don't show.
 */
class CapturingNetwork implements INetworkModule {
  tokenAnswer: { status: number; body: unknown; retryAfter: string | null } | null = null;
  transportError: unknown = null;

  constructor(private readonly proxy: ProxyConfig | null, private readonly guard: GuardOptions) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options, timeout);
  }

  async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    const answer = await this.send<T>('POST', url, options);
    this.tokenAnswer = { status: answer.status, body: answer.body, retryAfter: answer.headers['retry-after'] ?? null };
    return answer;
  }

  private async send<T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    try {
      const res = await httpFetch(url, { method, headers: options?.headers, body: options?.body }, { proxy: this.proxy, timeoutMs: timeout ?? TOKEN_REQUEST_TIMEOUT_MS, guard: this.guard, redirects: 'none' });
      const text = await res.text();
      let body: unknown = {};
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON: msal sees an empty object, we see the status */
      }
      return { status: res.status, headers: Object.fromEntries(res.headers), body: body as T };
    } catch (err) {
      this.transportError = err;
      throw err;
    }
  }
}

/** Non-Microsoft-cloud authorities (ADFS, a test IdP) need their metadata handed to msal; fetched once per authority. */
const authorityMetadata = new Map<string, Promise<string>>();

function metadataFor(authority: string, network: CapturingNetwork): Promise<string> {
  let pending = authorityMetadata.get(authority);
  if (!pending) {
    pending = network.sendGetRequestAsync<Record<string, unknown>>(`${authority}/.well-known/openid-configuration`).then((res) => {
      if (res.status !== 200 || typeof res.body.token_endpoint !== 'string') {
        throw new MailError('OAUTH_TOKEN', `The Microsoft authority ${new URL(authority).host} has no OpenID configuration (HTTP ${res.status}): check MAILROOM_MICROSOFT_AUTHORITY`, { permanent: true });
      }
      return JSON.stringify(res.body);
    });
    authorityMetadata.set(authority, pending);
    pending.catch(() => authorityMetadata.delete(authority));
  }
  return pending;
}

function refreshTokenInCache(serialized: string): string | undefined {
  const cache = JSON.parse(serialized) as { RefreshToken?: Record<string, { secret?: string }> };
  return Object.values(cache.RefreshToken ?? {}).find((t) => t.secret)?.secret;
}

/**
 * "Sign in with Microsoft" through @azure/msal-node: authorization code + PKCE, then refresh.
 * A fresh ConfidentialClientApplication per call keeps msal's in-memory cache down to the one
 * exchange, from which the (possibly rotated) refresh token is read and stored sealed by us.
 */
export class MicrosoftOAuthClient implements OAuthClient {
  constructor(private readonly settings: MicrosoftClientSettings, private readonly proxy: ProxyConfig | null, private readonly guard: GuardOptions) {}

  async authorizationUrl(req: AuthorizationRequest): Promise<string> {
    const { app, network } = await this.app();
    try {
      return await app.getAuthCodeUrl({
        scopes: this.settings.scopes,
        redirectUri: req.redirectUri,
        state: req.state,
        codeChallenge: req.codeChallenge,
        codeChallengeMethod: 'S256',
        responseMode: 'query',
        ...(req.loginHint ? { loginHint: req.loginHint } : {}),
      });
    } catch (err) {
      throw this.failure(err, network, 'code');
    }
  }

  async exchangeCode(req: { code: string; codeVerifier: string; redirectUri: string }): Promise<TokenSet> {
    const { app, network } = await this.app();
    let result: AuthenticationResult;
    try {
      result = await app.acquireTokenByCode({ code: req.code, codeVerifier: req.codeVerifier, redirectUri: req.redirectUri, scopes: this.settings.scopes });
    } catch (err) {
      throw this.failure(err, network, 'code');
    }
    return this.tokens(result, app, network, 'code');
  }

  async refresh(refreshToken: string): Promise<TokenSet> {
    const { app, network } = await this.app();
    let result: AuthenticationResult | null;
    try {
      // forceCache: keep the response in msal's cache even without an account there, which is where the rotated refresh token is.
      result = await app.acquireTokenByRefreshToken({ refreshToken, scopes: this.settings.scopes, forceCache: true });
    } catch (err) {
      throw this.failure(err, network, 'refresh');
    }
    return this.tokens(result, app, network, 'refresh');
  }

  private async app(): Promise<{ app: ConfidentialClientApplication; network: CapturingNetwork }> {
    const network = new CapturingNetwork(this.proxy, this.guard);
    const { clientId, clientSecret, authority } = this.settings;
    const auth: NodeAuthOptions = { clientId, clientSecret, authority };
    if (!isMicrosoftCloudAuthority(authority)) {
      auth.knownAuthorities = [new URL(authority).host];
      try {
        auth.authorityMetadata = await metadataFor(authority, network);
      } catch (err) {
        throw err instanceof MailError ? err : tokenTransportError(err);
      }
    }
    // msal loads on the first Microsoft sign-in or refresh, not at start: ~5 MB an idle server doesn't need.
    const { ConfidentialClientApplication, LogLevel } = await import('@azure/msal-node');
    const app = new ConfidentialClientApplication({
      auth,
      system: {
        networkClient: network,
        // Our connector loop owns retries and backoff; msal retrying inside would multiply requests.
        disableInternalRetries: true,
        loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => {} },
      },
    });
    return { app, network };
  }

  private tokens(result: AuthenticationResult | null, app: ConfidentialClientApplication, network: CapturingNetwork, grant: Grant): TokenSet {
    const answer = network.tokenAnswer;
    if (answer && (answer.status < 200 || answer.status >= 300)) throw this.classify(answer, grant);
    if (!result?.accessToken) throw noAccessToken('Microsoft');
    return {
      accessToken: result.accessToken,
      refreshToken: refreshTokenInCache(app.getTokenCache().serialize()),
      expiresAt: result.expiresOn?.getTime() ?? Date.now() + 3600_000,
    };
  }

  private failure(err: unknown, network: CapturingNetwork, grant: Grant): MailError {
    if (err instanceof MailError) return err;
    if (network.transportError) return tokenTransportError(network.transportError);
    const answer = network.tokenAnswer;
    if (answer && answer.status >= 400) return this.classify(answer, grant);
    const code = (err as { errorCode?: unknown }).errorCode;
    return new MailError('OAUTH_TOKEN', `Sign in with Microsoft failed (${typeof code === 'string' && /^[\w-]{1,64}$/.test(code) ? code : 'msal error'}): check MAILROOM_MICROSOFT_AUTHORITY and the app registration`, { permanent: true });
  }

  private classify(answer: { status: number; body: unknown; retryAfter: string | null }, grant: Grant): MailError {
    return classifyTokenFailure(answer, { provider: 'MICROSOFT', grant, installationApp: this.settings.installationApp });
  }
}
