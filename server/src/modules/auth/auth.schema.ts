import { z } from 'zod';
import { builder } from '../../graphql/builder.js';
import { InvalidCredentialsRef, ValidationErrorRef, resultUnion } from '../../graphql/errors.js';
import { InvalidCredentials, ValidationError, zodFieldErrors } from '../../lib/errors.js';
import { SESSION_COOKIE, type UserRow } from './auth.service.js';

export const UserRef = builder.objectRef<UserRow>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    name: t.exposeString('name'),
    isSuperAdmin: t.exposeBoolean('isSuperAdmin'),
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
const SignInResult = builder.unionType('SignInResult', { types: [SignInSuccess, InvalidCredentialsRef, ValidationErrorRef] });

interface ApiTokenPayload { token: string; name: string }
const ApiTokenRef = builder.objectRef<ApiTokenPayload>('ApiToken').implement({
  fields: (t) => ({ name: t.exposeString('name'), token: t.exposeString('token', { description: 'Shown once; only a hash is stored.' }) }),
});
const apiTokenResult = resultUnion('CreateApiToken', 'apiToken', ApiTokenRef);

const cookie = (value: string, maxAge: number) =>
  `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}`;

const signInInput = z.object({ email: z.email(), password: z.string().min(1).max(1024) });

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
      const result = await ctx.services.auth.signIn(parsed.data.email, parsed.data.password);
      if (!result) return new InvalidCredentials('Wrong email or password');
      ctx.responseCookies.push(cookie(result.token, 30 * 24 * 3600));
      return result;
    },
  }),
  signOut: t.boolean({
    resolve: async (_root, _args, ctx) => {
      await ctx.services.auth.revokeToken(ctx.viewer!.tokenId);
      ctx.responseCookies.push(cookie('', 0));
      return true;
    },
  }),
  createApiToken: t.field({
    type: apiTokenResult.union,
    authScopes: { $any: { manageSupportChannels: true, superAdmin: true } },
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, { name }, ctx) => {
      const trimmed = name.trim();
      if (!trimmed || trimmed.length > 200) return ValidationError.of([{ path: ['name'], message: 'Give the token a name (1–200 characters)' }]);
      const token = await ctx.services.auth.issueToken(ctx.viewer!.user.id, 'API', trimmed);
      return apiTokenResult.ok({ token, name: trimmed });
    },
  }),
}));

const RoleRef = builder.objectRef<{ id: string; name: string; permissions: string[] }>('Role').implement({
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name'), permissions: t.exposeStringList('permissions') }),
});
const Permission = builder.enumType('Permission', { values: ['MANAGE_SUPPORT_CHANNELS'] as const });
const roleResult = resultUnion('Role', 'role', RoleRef);
const userResult = resultUnion('User', 'user', UserRef);
const createUserInput = z.object({
  email: z.email(),
  name: z.string().trim().min(1).max(200),
  password: z.string().min(8, 'At least 8 characters').max(1024),
});

builder.queryFields((t) => ({
  users: t.field({ type: [UserRef], authScopes: { superAdmin: true }, resolve: (_r, _a, ctx) => ctx.services.auth.listUsers() }),
}));

builder.mutationFields((t) => ({
  createRole: t.field({
    type: roleResult.union,
    authScopes: { superAdmin: true },
    args: { name: t.arg.string({ required: true }), permissions: t.arg({ type: [Permission], required: true }) },
    resolve: async (_r, { name, permissions }, ctx) => {
      if (!name.trim()) return ValidationError.of([{ path: ['name'], message: 'Enter a name' }]);
      return roleResult.ok(await ctx.services.auth.createRole(name.trim(), [...new Set(permissions)]));
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
      if (await ctx.services.auth.findUserByEmail(parsed.data.email)) {
        return ValidationError.of([{ path: ['email'], message: 'A user with this email exists' }]);
      }
      const user = await ctx.services.auth.createUser({ ...parsed.data, roleId: args.roleId ? String(args.roleId) : null });
      return userResult.ok(user);
    },
  }),
}));
