import { isIP } from 'node:net';
import { DnsError, TargetRefusedError, refusedAddressReason, resolveTarget } from '../address-guard.js';
import { MailError } from '../connector.js';
import type { ProxyConfig } from '../proxy.js';
import { noAccessToken, postForm, tokenSetFrom, type AuthorizationRequest, type OAuthClient, type TokenSet } from './oauth-client.js';
import { classifyTokenFailure, type Grant } from './oauth-errors.js';
import type { GenericClientSettings } from './oauth-settings.js';

/**
 * Provider "Other": plain RFC 6749 authorization code with PKCE (RFC 7636) against the server's
 * own authorization and token URLs; the client authenticates with client_secret_post, which
 * every mainstream provider accepts.
 */
export class GenericOAuthClient implements OAuthClient {
  constructor(
    private readonly settings: GenericClientSettings,
    private readonly proxy: ProxyConfig | null,
    private readonly guard: { allowLoopback: boolean } = { allowLoopback: false },
  ) {}

  async authorizationUrl(req: AuthorizationRequest): Promise<string> {
    const url = new URL(this.settings.authorizationUrl);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: this.settings.clientId,
      redirect_uri: req.redirectUri,
      scope: this.settings.scopes.join(' '),
      state: req.state,
      code_challenge: req.codeChallenge,
      code_challenge_method: 'S256',
      ...(req.loginHint ? { login_hint: req.loginHint } : {}),
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.href;
  }

  exchangeCode(req: { code: string; codeVerifier: string; redirectUri: string }): Promise<TokenSet> {
    return this.token('code', {
      grant_type: 'authorization_code',
      code: req.code,
      redirect_uri: req.redirectUri,
      code_verifier: req.codeVerifier,
    });
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    return this.token('refresh', { grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  private async token(grant: Grant, form: Record<string, string>): Promise<TokenSet> {
    await this.vetTokenUrl();
    const answer = await postForm(this.settings.tokenUrl, { ...form, client_id: this.settings.clientId, client_secret: this.settings.clientSecret }, this.proxy, this.guard);
    if (answer.status < 200 || answer.status >= 300) throw classifyTokenFailure(answer, { provider: 'OTHER', grant, installationApp: false });
    const tokens = tokenSetFrom(answer.body, Date.now());
    if (!tokens) throw noAccessToken('The identity provider');
    return tokens;
  }

  /**
   * The token URL is admin-entered and called from this server, so it gets the mail servers'
   * address guard (no link-local / cloud-metadata addresses). Behind a proxy the name may only
   * resolve at the proxy: then only a literal address is checked.
   */
  private async vetTokenUrl(): Promise<void> {
    const host = new URL(this.settings.tokenUrl).hostname.replace(/^\[|\]$/g, '');
    const refuse = (reason: string) => new MailError('OAUTH_TOKEN', `The token URL points to ${reason}, which Mailroom does not call: correct the token URL in the server settings`, { permanent: true });
    if (this.proxy) {
      const reason = isIP(host) ? refusedAddressReason(host, this.guard) : null;
      if (reason) throw refuse(reason);
      return;
    }
    try {
      await resolveTarget(host, this.guard);
    } catch (err) {
      if (err instanceof TargetRefusedError) throw refuse(err.reason);
      if (err instanceof DnsError) throw new MailError('NETWORK', `The token URL's host ${host} could not be resolved (${err.code}); retrying`);
      throw err;
    }
  }
}
