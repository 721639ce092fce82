import type { ProxyConfig } from '../proxy.js';
import { GenericOAuthClient } from './generic-client.js';
import { GoogleOAuthClient } from './google-client.js';
import { MicrosoftOAuthClient } from './microsoft-client.js';
import type { OAuthClient } from './oauth-client.js';
import type { OAuthClientSettings } from './oauth-settings.js';

export interface ClientOptions {
  /** The address guard's loopback switch (MAILROOM_ALLOW_LOOPBACK_MAIL_SERVERS), for every token URL. */
  allowLoopback: boolean;
}

export function createOAuthClient(settings: OAuthClientSettings, proxy: ProxyConfig | null, opts: ClientOptions): OAuthClient {
  switch (settings.provider) {
    case 'MICROSOFT': return new MicrosoftOAuthClient(settings, proxy, { allowLoopback: opts.allowLoopback });
    case 'GOOGLE': return new GoogleOAuthClient(settings, proxy, { allowLoopback: opts.allowLoopback });
    case 'OTHER': return new GenericOAuthClient(settings, proxy, { allowLoopback: opts.allowLoopback });
  }
}
