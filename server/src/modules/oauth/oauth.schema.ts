import { builder } from '../../graphql/builder.js';
import type { Context } from '../../graphql/context.js';
import { NotFoundErrorRef, ValidationErrorRef } from '../../graphql/errors.js';
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
