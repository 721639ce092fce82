import { builder } from '../../graphql/builder.js';
import type { Context } from '../../graphql/context.js';
import { NotFoundErrorRef, ValidationErrorRef } from '../../graphql/errors.js';
import { callbackUrl } from '../../mail/oauth/oauth-settings.js';
import { IncomingEmailServerRef } from '../incoming-servers/incoming-server.schema.js';

interface StartedSignIn { authorizationUrl: string; expiresAt: Date }

const StartOAuthSignInSuccessRef = builder.objectRef<StartedSignIn>('StartOAuthSignInSuccess').implement({
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'authorizationUrl' in v,
  fields: (t) => ({
    authorizationUrl: t.exposeString('authorizationUrl', { description: "Send the admin's browser here; the provider redirects back to /oauth/callback." }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'The sign-in must be finished before this (10 minutes).' }),
  }),
});

const StartOAuthSignInResultRef = builder.unionType('StartOAuthSignInResult', {
  types: [StartOAuthSignInSuccessRef, ValidationErrorRef, NotFoundErrorRef],
});

/** The origin the admin reached us on, for the redirect URI when PUBLIC_URL is not set (HTTP only). */
function requestOrigin(ctx: Context): string | undefined {
  const url = (ctx as Context & { request?: { url?: string } }).request?.url;
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
}

interface InstallationApp { configured: boolean; missing: string[]; redirectUrl: string | null }

const InstallationAppRef = builder.objectRef<InstallationApp>('InstallationOAuthApp').implement({
  description: "The installation's own app registration for a provider, which servers use unless they carry their own client id and secret.",
  fields: (t) => ({
    configured: t.exposeBoolean('configured'),
    missing: t.exposeStringList('missing', { description: 'The environment variables still to set (then restart Mailroom).' }),
    redirectUrl: t.exposeString('redirectUrl', { nullable: true, description: 'The redirect URI to register with the provider.' }),
  }),
});

const OAuthProvidersRef = builder.objectRef<{ microsoft: InstallationApp; google: InstallationApp }>('OAuthProviders').implement({
  fields: (t) => ({
    microsoft: t.field({ type: InstallationAppRef, resolve: (p) => p.microsoft }),
    google: t.field({ type: InstallationAppRef, resolve: (p) => p.google }),
  }),
});

function installationApp(vars: [name: string, value: string | undefined][], redirectUrl: string | null): InstallationApp {
  const missing = vars.filter(([, value]) => !value).map(([name]) => name);
  return { configured: missing.length === 0, missing, redirectUrl };
}

builder.queryFields((t) => ({
  oauthProviders: t.field({
    type: OAuthProvidersRef,
    authScopes: { manageSupportChannels: true },
    description: 'Whether "Sign in with Microsoft" and Google can use the installation\'s app registration, and what is missing.',
    resolve: (_r, _a, ctx) => {
      const { microsoft, google, publicUrl } = ctx.services.config;
      const redirectUrl = callbackUrl(publicUrl, requestOrigin(ctx));
      return {
        microsoft: installationApp([['MAILROOM_MICROSOFT_CLIENT_ID', microsoft.clientId], ['MAILROOM_MICROSOFT_CLIENT_SECRET', microsoft.clientSecret]], redirectUrl),
        google: installationApp([['MAILROOM_GOOGLE_CLIENT_ID', google.clientId], ['MAILROOM_GOOGLE_CLIENT_SECRET', google.clientSecret]], redirectUrl),
      };
    },
  }),
}));

builder.mutationFields((t) => ({
  startOAuthSignIn: t.field({
    type: StartOAuthSignInResultRef,
    authScopes: { manageSupportChannels: true },
    args: { serverId: t.arg.id({ required: true }) },
    resolve: (_r, { serverId }, ctx) => ctx.services.oauth.startSignIn(String(serverId), ctx.viewer!, requestOrigin(ctx)),
  }),
}));

builder.objectField(IncomingEmailServerRef, 'oauthSignedIn', (t) =>
  t.boolean({
    description: 'OAuth servers: a sign-in has completed and Mailroom holds a refresh token.',
    resolve: (s, _a, ctx) => s.authType === 'OAUTH' && Boolean(ctx.services.servers.credentials(s).oauth.refreshToken),
  }),
);
