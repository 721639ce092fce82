import type { Config } from '../../config.js';
import type { EmailProvider, MailProtocol, OAuthSettings } from '../../db/schema.js';

export const CALLBACK_PATH = '/oauth/callback';
export const GOOGLE_MAIL_SCOPE = 'https://mail.google.com/';

/** Microsoft: the resource scope per protocol; the provider decides, whatever the stored scope says. */
export function microsoftScopes(protocol: MailProtocol): string[] {
  switch (protocol) {
    case 'IMAP': return ['https://outlook.office365.com/IMAP.AccessAsUser.All', 'offline_access'];
    case 'POP3': return ['https://outlook.office365.com/POP.AccessAsUser.All', 'offline_access'];
    case 'EWS': return ['https://outlook.office365.com/EWS.AccessAsUser.All', 'offline_access'];
    case 'GRAPH': return ['https://graph.microsoft.com/Mail.ReadWrite', 'offline_access'];
  }
}

export function splitScope(scope: string | null | undefined): string[] {
  return (scope ?? '').split(/[\s,]+/).filter(Boolean);
}

/** Where the identity provider sends the admin's browser back to. */
export function callbackUrl(publicUrl: string | undefined, requestOrigin: string | undefined): string | null {
  const base = publicUrl ?? requestOrigin;
  return base ? `${base.replace(/\/+$/, '')}${CALLBACK_PATH}` : null;
}

/** The shape of the seed's version 8.0: a tenant id, but no token URL, scope or redirect URL. */
export function isLegacyOAuthSettings(provider: EmailProvider, oauth: OAuthSettings | null): boolean {
  if (provider !== 'OTHER' || !oauth?.tenantId) return false;
  return !oauth.tokenUrl || !oauth.scope || !oauth.redirectUrl;
}

export const LEGACY_SETTINGS_MESSAGE =
  'These OAuth settings come from an older Mailroom version and are incomplete: enter the token URL, scope and redirect URL in the server settings, then sign in again';

const MICROSOFT_CLOUD_HOSTS = new Set([
  'login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn', 'login.microsoftonline.de',
]);

/** Public Microsoft clouds are discovered by msal; any other host (ADFS, a test IdP) must be declared as a known authority. */
export function isMicrosoftCloudAuthority(authority: string): boolean {
  return MICROSOFT_CLOUD_HOSTS.has(new URL(authority).hostname.toLowerCase());
}

const GENERIC_TENANTS = new Set(['common', 'organizations', 'consumers']);

/** A server's own tenant narrows the installation's multi-tenant authority (…/common → …/<tenant>). */
export function microsoftAuthority(configured: string, tenantId: string | null | undefined): string {
  const url = new URL(configured);
  const segments = url.pathname.split('/').filter(Boolean);
  const tenant = tenantId?.trim();
  if (tenant && isMicrosoftCloudAuthority(configured) && (segments.length === 0 || GENERIC_TENANTS.has(segments[0]!.toLowerCase()))) {
    return `${url.origin}/${encodeURIComponent(tenant)}`;
  }
  return configured.replace(/\/+$/, '');
}

/** https://login.microsoftonline.com/{tenant}/adminconsent?client_id=… — "organizations" when we don't know the tenant. */
export function adminConsentUrl(authority: string, clientId: string, tenantId?: string | null): string {
  const url = new URL(authority);
  const first = url.pathname.split('/').filter(Boolean)[0];
  const tenant = tenantId?.trim() || (first && !GENERIC_TENANTS.has(first.toLowerCase()) ? first : 'organizations');
  const consent = new URL(`${url.origin}/${encodeURIComponent(tenant)}/adminconsent`);
  consent.searchParams.set('client_id', clientId);
  return consent.href;
}

export interface MicrosoftClientSettings {
  provider: 'MICROSOFT';
  clientId: string;
  clientSecret: string;
  authority: string;
  scopes: string[];
  /** The client secret is the installation's (env) rather than the server's own. */
  installationApp: boolean;
}
export interface GoogleClientSettings {
  provider: 'GOOGLE';
  clientId: string;
  clientSecret: string;
  scopes: string[];
  installationApp: boolean;
}
export interface GenericClientSettings {
  provider: 'OTHER';
  clientId: string;
  clientSecret: string;
  authorizationUrl: string;
  tokenUrl: string;
  scopes: string[];
  redirectUrl: string;
  installationApp: false;
}
export type OAuthClientSettings = MicrosoftClientSettings | GoogleClientSettings | GenericClientSettings;

export interface OAuthServerFacts {
  provider: EmailProvider;
  protocol: MailProtocol;
  authType: string | null;
  oauth: OAuthSettings | null;
  needsReconfiguration: boolean;
}

/**
 * Which app registration and endpoints a server signs in with: Microsoft and Google use the
 * installation's registration (env) unless the server carries its own client id and secret;
 * "Other" always uses the server's own settings. Pure; the reason is user-facing.
 */
export function resolveClientSettings(
  server: OAuthServerFacts,
  clientSecret: string | undefined,
  config: Pick<Config, 'microsoft' | 'google'>,
): { ok: true; settings: OAuthClientSettings } | { ok: false; reason: string } {
  if (server.authType !== 'OAUTH') return { ok: false, reason: 'This server does not use OAuth' };
  if (server.needsReconfiguration || isLegacyOAuthSettings(server.provider, server.oauth)) return { ok: false, reason: LEGACY_SETTINGS_MESSAGE };
  const own = server.oauth?.clientId && clientSecret ? { clientId: server.oauth.clientId, clientSecret } : null;
  switch (server.provider) {
    case 'MICROSOFT': {
      const app = own ?? (config.microsoft.clientId && config.microsoft.clientSecret ? { clientId: config.microsoft.clientId, clientSecret: config.microsoft.clientSecret } : null);
      if (!app) {
        return { ok: false, reason: 'Sign in with Microsoft is not set up on this Mailroom installation: set MAILROOM_MICROSOFT_CLIENT_ID and MAILROOM_MICROSOFT_CLIENT_SECRET (an Azure app registration) and restart' };
      }
      return {
        ok: true,
        settings: {
          provider: 'MICROSOFT', ...app, installationApp: !own,
          authority: microsoftAuthority(config.microsoft.authority, server.oauth?.tenantId),
          scopes: microsoftScopes(server.protocol),
        },
      };
    }
    case 'GOOGLE': {
      const app = own ?? (config.google.clientId && config.google.clientSecret ? { clientId: config.google.clientId, clientSecret: config.google.clientSecret } : null);
      if (!app) {
        return { ok: false, reason: 'Sign in with Google is not set up on this Mailroom installation: set MAILROOM_GOOGLE_CLIENT_ID and MAILROOM_GOOGLE_CLIENT_SECRET, or enter a client id and secret in the server settings' };
      }
      return { ok: true, settings: { provider: 'GOOGLE', ...app, installationApp: !own, scopes: [GOOGLE_MAIL_SCOPE] } };
    }
    case 'OTHER': {
      const o = server.oauth;
      if (!o?.clientId || !clientSecret || !o.authorizationUrl || !o.tokenUrl || !o.scope || !o.redirectUrl) {
        return { ok: false, reason: 'The OAuth settings are incomplete: enter client id, client secret, authorization URL, token URL, scope and redirect URL' };
      }
      return {
        ok: true,
        settings: {
          provider: 'OTHER', clientId: o.clientId, clientSecret, authorizationUrl: o.authorizationUrl, tokenUrl: o.tokenUrl,
          scopes: splitScope(o.scope), redirectUrl: o.redirectUrl, installationApp: false,
        },
      };
    }
  }
}

/** "sign in again with Microsoft" / "with Google" / "" — for messages that tell the admin what to do. */
export function signInAgain(provider: EmailProvider): string {
  switch (provider) {
    case 'MICROSOFT': return 'sign in again with Microsoft from the server settings';
    case 'GOOGLE': return 'sign in again with Google from the server settings';
    case 'OTHER': return 'sign in again from the server settings';
  }
}
