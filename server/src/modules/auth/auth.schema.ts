import { z } from 'zod';
import { emailAddress } from '../../lib/inputs.js';
import { DeleteResultRef } from '../../graphql/errors.js';
import { isUuid } from '../../lib/uuid.js';
import { builder } from '../../graphql/builder.js';
import { InvalidCredentialsRef, NotFoundErrorRef, TooManyAttemptsRef, ValidationErrorRef, resultUnion } from '../../graphql/errors.js';
import { InvalidCredentials, NotFoundError, TooManyAttempts, ValidationError, zodFieldErrors } from '../../lib/errors.js';
import { sessionCookie } from '../../lib/request-auth.js';
import type { ApiTokenInfo, UserRow, Viewer } from './auth.service.js';

export const UserRef = builder.objectRef<UserRow>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    name: t.exposeString('name'),
    isSuperAdmin: t.exposeBoolean('isSuperAdmin'),
    active: t.boolean({ description: 'False once deactivated: the user can no longer sign in.', resolve: (u) => u.deactivatedAt === null }),
    deactivatedAt: t.expose('deactivatedAt', { type: 'DateTime', nullable: true }),
    canManageSupportChannels: t.boolean({
      resolve: async (user, _args, ctx) =>
        user.id === ctx.viewer?.user.id ? ctx.viewer.canManageSupportChannels : (await ctx.services.auth.viewerFromUser(user)).canManageSupportChannels,
    }),
  }),
});

interface SignInPayload { token: string; user: UserRow }
const SignInSuccess = builder.objectRef<SignInPayload>('SignInSuccess').implement({
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'token' in v && 'user' in v,
  fields: (t) => ({ token: t.exposeString('token'), user: t.field({ type: UserRef, resolve: (p) => p.user }) }),
});
const SignInResult = builder.unionType('SignInResult', { types: [SignInSuccess, InvalidCredentialsRef, TooManyAttemptsRef, ValidationErrorRef] });

interface ApiTokenPayload { token: string; name: string; id: string; expiresAt: Date | null }
const ApiTokenRef = builder.objectRef<ApiTokenPayload>('ApiToken').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    token: t.exposeString('token', { description: 'Shown once; only a hash is stored.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
  }),
});
const apiTokenResult = resultUnion('CreateApiToken', 'apiToken', ApiTokenRef);

const ApiTokenInfoRef = builder.objectRef<ApiTokenInfo>('ApiTokenInfo').implement({
  description: 'An API token as listed: never the token itself.',
  fields: (t) => ({
    id: t.id({ resolve: (i) => i.token.id }),
    name: t.string({ resolve: (i) => i.token.name }),
    owner: t.field({ type: UserRef, resolve: (i) => i.owner }),
    createdAt: t.field({ type: 'DateTime', resolve: (i) => i.token.createdAt }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.token.expiresAt }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.token.lastUsedAt }),
    expired: t.boolean({ resolve: (i) => i.token.expiresAt !== null && i.token.expiresAt <= new Date() }),
  }),
});

const cookie = (ctx: { services: { config: { publicUrl?: string } } }, value: string, maxAge: number) =>
  sessionCookie(value, maxAge, ctx.services.config.publicUrl?.startsWith('https:') ?? false);

const signInInput = z.object({ email: emailAddress(), password: z.string().min(1).max(1024) });

builder.queryFields((t) => ({
  me: t.field({ type: UserRef, nullable: true, skipTypeScopes: true, resolve: (_r, _a, ctx) => ctx.viewer?.user ?? null }),
}));

builder.mutationFields((t) => ({
  signIn: t.field({
    type: SignInResult,
    skipTypeScopes: true,
    args: { email: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const parsed = signInInput.safeParse(args);
      if (!parsed.success) return ValidationError.of(zodFieldErrors(parsed.error));
      const result = await ctx.services.auth.signIn(parsed.data.email, parsed.data.password, ctx.clientIp);
      if (!result.ok) return result.reason === 'THROTTLED' ? new TooManyAttempts(result.retryAfterSeconds) : new InvalidCredentials('Wrong email or password');
      ctx.responseCookies.push(cookie(ctx, result.token, 30 * 24 * 3600));
      return { token: result.token, user: result.user };
    },
  }),
  signOut: t.boolean({
    resolve: async (_root, _args, ctx) => {
      await ctx.services.auth.revokeToken(ctx.viewer!.tokenId);
      ctx.responseCookies.push(cookie(ctx, '', 0));
      return true;
    },
  }),
  createApiToken: t.field({
    type: apiTokenResult.union,
    authScopes: { $any: { manageSupportChannels: true, superAdmin: true } },
    args: {
      name: t.arg.string({ required: true }),
      expiresAt: t.arg({ type: 'DateTime', description: 'When the token stops working; never when omitted.' }),
    },
    resolve: async (_root, { name, expiresAt }, ctx) => {
      const trimmed = name.trim();
      if (!trimmed || trimmed.length > 200) return ValidationError.of([{ path: ['name'], message: 'Give the token a name (1–200 characters)' }]);
      if (expiresAt && expiresAt.getTime() <= Date.now()) return ValidationError.of([{ path: ['expiresAt'], message: 'Choose a time in the future' }]);
      const { token, id } = await ctx.services.auth.issueApiToken(ctx.viewer!.user.id, trimmed, expiresAt ?? null);
      return apiTokenResult.ok({ token, name: trimmed, id, expiresAt: expiresAt ?? null });
    },
  }),
  revokeApiToken: t.field({
    type: DeleteResultRef,
    description: 'Revokes one of your API tokens (a Super Admin: anyone\'s); WebSockets opened with it close at once.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) =>
      isUuid(String(id)) && (await ctx.services.auth.revokeApiToken(ctx.viewer!, String(id))) ? { id: String(id) } : new NotFoundError('No such API token'),
  }),
}));

export const RoleRef = builder.objectRef<{ id: string; name: string; permissions: string[] }>('Role').implement({
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name'), permissions: t.exposeStringList('permissions') }),
});
export const PermissionRef = builder.enumType('Permission', { values: ['MANAGE_SUPPORT_CHANNELS'] as const });
export const roleResult = resultUnion('Role', 'role', RoleRef, [ValidationErrorRef, NotFoundErrorRef]);
export const userResult = resultUnion('User', 'user', UserRef, [ValidationErrorRef, NotFoundErrorRef]);
const createUserInput = z.object({
  email: emailAddress(),
  name: z.string().trim().min(1).max(200),
  password: z.string().min(8, 'At least 8 characters').max(1024),
});

builder.queryFields((t) => ({
  users: t.field({
    type: [UserRef],
    description: 'Everyone who can sign in or could (deactivated users too): for Super Admins and channel managers.',
    authScopes: { $any: { superAdmin: true, manageSupportChannels: true } },
    resolve: (_r, _a, ctx) => ctx.services.auth.listUsers(),
  }),
  apiTokens: t.field({
    type: [ApiTokenInfoRef],
    description: 'Your API tokens (a Super Admin sees everyone\'s).',
    resolve: (_r, _a, ctx) => ctx.services.auth.listApiTokens(ctx.viewer!),
  }),
}));

const setActive = (active: boolean) => async (_r: unknown, { id }: { id: string | number }, ctx: { viewer: Viewer | null; services: import('../../services.js').Services }) => {
  if (!isUuid(String(id))) return new NotFoundError('No such user');
  if (!active && String(id) === ctx.viewer!.user.id) return ValidationError.of([{ path: ['id'], message: 'You can\'t deactivate yourself' }]);
  const user = await ctx.services.auth.setUserActive(ctx.viewer!, String(id), active);
  return user ? userResult.ok(user) : new NotFoundError('No such user');
};

builder.mutationFields((t) => ({
  createRole: t.field({
    type: roleResult.union,
    authScopes: { superAdmin: true },
    args: { name: t.arg.string({ required: true }), permissions: t.arg({ type: [PermissionRef], required: true }) },
    resolve: async (_r, { name, permissions }, ctx) => {
      const role = await ctx.services.people.createRole(ctx.viewer!, { name, permissions });
      return role instanceof ValidationError ? role : roleResult.ok(role);
    },
  }),
  createUser: t.field({
    type: userResult.union,
    authScopes: { superAdmin: true },
    args: {
      email: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      password: t.arg.string({ required: true }),
      roleId: t.arg.id(),
      technicianGroupIds: t.arg.idList(),
    },
    resolve: async (_r, args, ctx) => {
      const parsed = createUserInput.safeParse(args);
      if (!parsed.success) return ValidationError.of(zodFieldErrors(parsed.error));
      const user = await ctx.services.people.createUser(ctx.viewer!, {
        ...parsed.data, roleId: args.roleId ? String(args.roleId) : null, technicianGroupIds: (args.technicianGroupIds ?? []).map(String),
      });
      return user instanceof ValidationError ? user : userResult.ok(user);
    },
  }),
  deactivateUser: t.field({
    type: userResult.union,
    authScopes: { superAdmin: true },
    description: 'The user can no longer sign in; their sessions and API tokens end at once.',
    args: { id: t.arg.id({ required: true }) },
    resolve: setActive(false),
  }),
  reactivateUser: t.field({ type: userResult.union, authScopes: { superAdmin: true }, args: { id: t.arg.id({ required: true }) }, resolve: setActive(true) }),
}));
