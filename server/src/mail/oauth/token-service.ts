import type { Config } from '../../config.js';
import type { Logger } from '../../lib/logger.js';
import { MailError } from '../connector.js';
import type { IncomingServerDirectory } from '../ports.js';
import type { ProxyConfig } from '../proxy.js';
import type { OAuthClient } from './oauth-client.js';
import { LEGACY_SETTINGS_MESSAGE, isLegacyOAuthSettings, resolveClientSettings, type OAuthClientSettings } from './oauth-settings.js';
import { createOAuthClient, type ClientOptions } from './providers.js';
import { TokenSource } from './token-source.js';
import type { IncomingServerRow, OAuthSecrets } from '../../db/schema.js';

interface Entry {
  version: number;
  /** What the last load() read, and the proxy of the last caller: a refresh uses these. */
  current: { row: IncomingServerRow; secrets: OAuthSecrets; proxy: ProxyConfig | null };
  source: TokenSource;
}

export type ClientFactory = (settings: OAuthClientSettings, proxy: ProxyConfig | null, opts: ClientOptions) => OAuthClient;

/**
 * Access tokens for every OAuth mailbox, one TokenSource per server. A source lives as long as
 * the server's credentials version: a new sign-in (or changed client secret) starts a fresh
 * one, which also clears a remembered refresh failure.
 */
export class OAuthTokenService {
  private readonly sources = new Map<string, Entry>();

  constructor(
    private readonly servers: Pick<IncomingServerDirectory, 'get' | 'credentials' | 'storeOAuthSecrets'>,
    private readonly config: Pick<Config, 'microsoft' | 'google' | 'allowLoopbackMailServers'>,
    private readonly logger: Logger,
    private readonly clientFactory: ClientFactory = createOAuthClient,
  ) {}

  /** The provider client a server signs in and refreshes with, or the reason it has none. */
  client(server: IncomingServerRow, secrets: OAuthSecrets, proxy: ProxyConfig | null): { ok: true; client: OAuthClient; settings: OAuthClientSettings } | { ok: false; reason: string } {
    const resolved = resolveClientSettings(server, secrets.clientSecret, this.config);
    if (!resolved.ok) return resolved;
    return { ok: true, settings: resolved.settings, client: this.clientFactory(resolved.settings, proxy, { allowLoopback: this.config.allowLoopbackMailServers }) };
  }

  /** ConnectorDeps.accessToken(): a token valid for at least 30 s more, refreshed if needed. */
  accessToken(server: IncomingServerRow, proxy: ProxyConfig | null = null, opts: { rejected?: string } = {}): Promise<string> {
    if (server.needsReconfiguration || isLegacyOAuthSettings(server.provider, server.oauth)) {
      return Promise.reject(new MailError('OAUTH_TOKEN', LEGACY_SETTINGS_MESSAGE, { permanent: true }));
    }
    let entry = this.sources.get(server.id);
    // Only move forward: a connector that is still stopping must not swap the source back.
    if (!entry || server.credentialsVersion > entry.version) {
      entry = this.createEntry(server);
      this.sources.set(server.id, entry);
    }
    entry.current.proxy = proxy;
    return entry.source.accessToken(opts);
  }

  /** Drops what is held for a server: after a new sign-in, or when it is deleted. */
  forget(serverId: string): void {
    this.sources.delete(serverId);
  }

  private createEntry(server: IncomingServerRow): Entry {
    const log = this.logger.child({ serverId: server.id });
    const current: Entry['current'] = { row: server, secrets: {}, proxy: null };
    const source = new TokenSource({
      load: async () => {
        const row = await this.servers.get(server.id);
        if (!row) throw new MailError('INTERNAL', 'The server was deleted');
        current.row = row;
        current.secrets = this.servers.credentials(row).oauth;
        const { accessToken, refreshToken, expiresAt } = current.secrets;
        return { accessToken, refreshToken, expiresAt };
      },
      refresh: async (refreshToken) => {
        const found = this.client(current.row, current.secrets, current.proxy);
        if (!found.ok) throw new MailError('OAUTH_TOKEN', found.reason, { permanent: true });
        try {
          const tokens = await found.client.refresh(refreshToken);
          log.info({ provider: current.row.provider, expiresAt: new Date(tokens.expiresAt).toISOString(), rotated: Boolean(tokens.refreshToken && tokens.refreshToken !== refreshToken) }, 'refreshed the OAuth access token');
          return tokens;
        } catch (err) {
          log.warn({ provider: current.row.provider, kind: (err as MailError).kind, reason: (err as Error).message }, 'could not refresh the OAuth access token');
          throw err;
        }
      },
      save: async (tokens, replaced) => {
        try {
          const row = await this.servers.get(server.id);
          if (!row) return;
          const current = this.servers.credentials(row).oauth;
          // A sign-in that happened meanwhile wins over what this refresh brought.
          if (current.refreshToken !== replaced.refreshToken) return;
          await this.servers.storeOAuthSecrets(server.id, { ...current, ...tokens });
        } catch (err) {
          log.error({ err }, 'could not store the refreshed OAuth tokens; they are kept in memory until the next refresh');
        }
      },
      notSignedIn: () => new MailError('OAUTH_TOKEN', `OAuth sign-in has not been completed for this mailbox: ${signInPrompt(server.provider)}`, { permanent: true }),
    });
    return { version: server.credentialsVersion, current, source };
  }
}

function signInPrompt(provider: IncomingServerRow['provider']): string {
  return provider === 'MICROSOFT' ? 'sign in with Microsoft from the server settings' : provider === 'GOOGLE' ? 'sign in with Google from the server settings' : 'sign in from the server settings';
}
