import { createHash } from 'node:crypto';
import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { incomingServers, oauthStates, type IncomingServerRow } from '../../db/schema.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Viewer } from '../auth/auth.service.js';
import type { Logger } from '../../lib/logger.js';
import type { SecretBox } from '../../lib/secrets.js';
import { MailError } from '../../mail/connector.js';
import { ConsentMissingError, describeAuthorizationError } from '../../mail/oauth/oauth-errors.js';
import { adminConsentUrl, callbackUrl, type OAuthClientSettings } from '../../mail/oauth/oauth-settings.js';
import { createPkcePair, createState } from '../../mail/oauth/pkce.js';
import type { OAuthTokenService } from '../../mail/oauth/token-service.js';
import type { ProxyConfig } from '../../mail/proxy.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import type { IncomingServerService } from '../incoming-servers/incoming-server.service.js';

export const STATE_TTL_MS = 10 * 60_000;
export const SERVERS_PAGE = '/admin/incoming-servers';

export interface CallbackOutcome {
  ok: boolean;
  /** Where to send the browser: the servers page with `oauth=ok|error`, `server`, `reason`, `adminConsentUrl`. */
  location: string;
  serverId: string | null;
  reason?: string;
}

/** The state travels through the browser; only its hash is stored, so a database reader can't complete a pending sign-in. */
const stateKey = (state: string) => createHash('sha256').update(state).digest('base64url');

/**
 * The browser side of OAuth sign-in for a mailbox: `startSignIn` creates a single-use state
 * with a sealed PKCE verifier, bound to the admin who asked, and returns the provider's
 * authorization URL; `completeSignIn` handles the provider's redirect to /oauth/callback,
 * exchanges the code and stores the tokens sealed. Refused states and codes store nothing.
 */
export class OAuthService {
  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly servers: IncomingServerService,
    private readonly tokens: OAuthTokenService,
    private readonly config: Pick<Config, 'publicUrl' | 'microsoft'>,
    private readonly proxies: { config(id: string): Promise<ProxyConfig | null> } | null,
    private readonly logger: Logger,
  ) {}

  async startSignIn(serverId: string, viewer: Viewer, requestOrigin: string | undefined): Promise<{ authorizationUrl: string; expiresAt: Date } | ValidationError | NotFoundError> {
    const server = await this.servers.get(serverId);
    if (!server) return new NotFoundError('No such incoming email server');
    if (server.authType !== 'OAUTH') return ValidationError.of([{ path: ['authType'], message: 'This server uses Basic authentication: switch it to OAuth first' }]);
    const proxy = await this.proxyFor(server);
    if (proxy === undefined) return new ValidationError('The proxy server chosen for this mailbox no longer exists: choose another one');
    const found = this.tokens.client(server, this.servers.credentials(server).oauth, proxy);
    if (!found.ok) return new ValidationError(found.reason);
    const redirectUri = this.redirectUri(found.settings, requestOrigin);
    if (!redirectUri) return new ValidationError('Set PUBLIC_URL so Mailroom knows the address the identity provider must send the browser back to');

    const state = createState();
    const pkce = createPkcePair();
    const expiresAt = new Date(Date.now() + STATE_TTL_MS);
    let authorizationUrl: string;
    try {
      authorizationUrl = await found.client.authorizationUrl({ state, codeChallenge: pkce.challenge, redirectUri, loginHint: server.username || server.email });
    } catch (err) {
      return new ValidationError(err instanceof MailError ? err.message : 'Could not build the sign-in address');
    }
    await this.db.delete(oauthStates).where(lt(oauthStates.expiresAt, new Date(Date.now() - 24 * 3600_000)));
    await this.db.insert(oauthStates).values({
      state: stateKey(state),
      serverId: server.id,
      userId: viewer.user.id,
      codeVerifierSealed: this.secrets.seal(pkce.verifier),
      redirectUri,
      returnTo: SERVERS_PAGE,
      expiresAt,
    });
    return { authorizationUrl, expiresAt };
  }

  /** GET /oauth/callback?code&state (or ?error&error_description&state). */
  async completeSignIn(query: URLSearchParams, viewer: Viewer | null): Promise<CallbackOutcome> {
    const state = query.get('state');
    if (!state) return this.refuse(null, 'The sign-in response carries no state, so it cannot be matched to a sign-in Mailroom started. Start the sign-in again from the server settings');
    const [pending] = await this.db.select().from(oauthStates).where(eq(oauthStates.state, stateKey(state)));
    if (!pending) return this.refuse(null, 'This sign-in response does not belong to a sign-in Mailroom started (unknown state). Start the sign-in again from the server settings');
    if (pending.usedAt) return this.refuse(pending.serverId, 'This sign-in response was already used; it works only once. Start the sign-in again from the server settings');
    if (pending.expiresAt.getTime() <= Date.now()) return this.refuse(pending.serverId, 'The sign-in took longer than 10 minutes and expired. Start it again from the server settings');
    if (!viewer || viewer.user.id !== pending.userId || !viewer.canManageSupportChannels) {
      return this.refuse(pending.serverId, 'Finish the sign-in in the browser where you are signed in to Mailroom as the administrator who started it');
    }
    // Claim the state before anything else happens: whatever follows, it is never accepted twice.
    const [claimed] = await this.db
      .update(oauthStates)
      .set({ usedAt: new Date() })
      .where(and(eq(oauthStates.state, pending.state), isNull(oauthStates.usedAt), gt(oauthStates.expiresAt, new Date())))
      .returning();
    if (!claimed) return this.refuse(pending.serverId, 'This sign-in response was already used; it works only once. Start the sign-in again from the server settings');

    const server = await this.servers.get(claimed.serverId);
    if (!server) return this.refuse(null, 'The mailbox was deleted while signing in');

    const error = query.get('error');
    if (error) {
      const view = describeAuthorizationError({ error, description: query.get('error_description'), subcode: query.get('error_subcode') }, server.provider);
      const consentLink = view.consent && server.provider === 'MICROSOFT' ? this.adminConsentLink(server) : undefined;
      return this.refuse(server.id, view.message, consentLink);
    }
    const code = query.get('code');
    if (!code) return this.refuse(server.id, 'The identity provider sent neither an authorization code nor an error. Start the sign-in again');

    const proxy = await this.proxyFor(server);
    if (proxy === undefined) return this.refuse(server.id, 'The proxy server chosen for this mailbox no longer exists: choose another one');
    const existing = this.servers.credentials(server).oauth;
    const found = this.tokens.client(server, existing, proxy);
    if (!found.ok) return this.refuse(server.id, found.reason);
    let tokens;
    try {
      tokens = await found.client.exchangeCode({ code, codeVerifier: this.secrets.open(claimed.codeVerifierSealed), redirectUri: claimed.redirectUri });
    } catch (err) {
      const reason = err instanceof MailError ? err.message : 'The token exchange failed unexpectedly';
      if (!(err instanceof MailError)) this.logger.error({ err, serverId: server.id }, 'OAuth code exchange failed');
      const consentLink = err instanceof ConsentMissingError && server.provider === 'MICROSOFT' ? this.adminConsentLink(server) : undefined;
      return this.refuse(server.id, reason, consentLink);
    }
    if (!tokens.refreshToken) {
      return this.refuse(server.id, 'The identity provider issued no refresh token, so Mailroom could read the mailbox for an hour at most: add offline access to the scope (e.g. offline_access) and sign in again');
    }

    const sealed = this.secrets.seal(JSON.stringify({
      ...(existing.clientSecret ? { clientSecret: existing.clientSecret } : {}),
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt: tokens.expiresAt,
    }));
    const stored = await this.db.transaction(async (tx) => {
      const [updated] = await tx
        .update(incomingServers)
        .set({ oauthSecretsSealed: sealed, credentialsVersion: server.credentialsVersion + 1, updatedAt: new Date() })
        .where(eq(incomingServers.id, server.id))
        .returning();
      if (!updated) return null;
      await recordConfigChange(tx, { actorUserId: viewer.user.id, entityType: 'IncomingEmailServer', entityId: server.id, action: 'UPDATE', before: server, after: updated });
      return updated;
    });
    if (!stored) return this.refuse(null, 'The mailbox was deleted while signing in');
    this.tokens.forget(server.id);
    this.servers.notifyChanged(server.id);
    this.logger.info({ serverId: server.id, provider: server.provider, userId: viewer.user.id }, 'OAuth sign-in completed for the mailbox');
    return { ok: true, serverId: server.id, location: `${SERVERS_PAGE}?${new URLSearchParams({ oauth: 'ok', server: server.id })}` };
  }

  /** undefined = the server names a proxy that no longer exists (never fall back to a direct connection). */
  private async proxyFor(server: IncomingServerRow): Promise<ProxyConfig | null | undefined> {
    if (!server.proxyServerId) return null;
    return (await this.proxies?.config(server.proxyServerId)) ?? undefined;
  }

  private redirectUri(settings: OAuthClientSettings, requestOrigin: string | undefined): string | null {
    return settings.provider === 'OTHER' ? settings.redirectUrl : callbackUrl(this.config.publicUrl, requestOrigin);
  }

  private adminConsentLink(server: IncomingServerRow): string | undefined {
    const found = this.tokens.client(server, this.servers.credentials(server).oauth, null);
    if (!found.ok || found.settings.provider !== 'MICROSOFT') return undefined;
    return adminConsentUrl(found.settings.authority, found.settings.clientId, server.oauth?.tenantId);
  }

  private refuse(serverId: string | null, reason: string, consentUrl?: string): CallbackOutcome {
    const params = new URLSearchParams({ oauth: 'error' });
    if (serverId) params.set('server', serverId);
    params.set('reason', reason);
    if (consentUrl) params.set('adminConsentUrl', consentUrl);
    this.logger.warn({ serverId, reason }, 'OAuth sign-in refused');
    return { ok: false, serverId, reason, location: `${SERVERS_PAGE}?${params}` };
  }
}
