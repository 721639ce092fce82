import { ADMIN_ONLY, builder } from '../../graphql/builder.js';
import { DeleteResultRef, NotFoundErrorRef, ValidationErrorRef, okOrError, resultUnion } from '../../graphql/errors.js';
import { IncomingEmailServerRef } from '../incoming-servers/incoming-server.schema.js';
import type { ProxyServerRow } from './proxy-server.service.js';

const ProxyType = builder.enumType('ProxyType', { values: ['SOCKS5', 'HTTP'] as const, description: 'SOCKS5, or HTTP CONNECT.' });

export const ProxyServerRef = builder.objectRef<ProxyServerRow>('ProxyServer').implement({
  // Reachable from tickets (a technician's): configuration is for channel managers only.
  authScopes: ADMIN_ONLY,
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    type: t.field({ type: ProxyType, resolve: (p) => p.type }),
    host: t.exposeString('host'),
    port: t.exposeInt('port'),
    username: t.exposeString('username', { nullable: true }),
    passwordSet: t.boolean({ resolve: (p) => Boolean(p.passwordSealed) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const ProxyServerInput = builder.inputType('ProxyServerInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    type: t.field({ type: ProxyType, required: true }),
    host: t.string({ required: true }),
    port: t.int({ required: true }),
    username: t.string({ description: 'Omit for a proxy without credentials.' }),
    password: t.string({ description: 'Write-only; omit to keep the stored one, "" to remove it.' }),
  }),
});

const proxyResult = resultUnion('ProxyServer', 'proxyServer', ProxyServerRef, [ValidationErrorRef, NotFoundErrorRef]);
const admin = { manageSupportChannels: true } as const;

builder.objectField(IncomingEmailServerRef, 'proxyServer', (t) =>
  t.field({
    type: ProxyServerRef,
    nullable: true,
    resolve: async (s, _a, ctx) => (s.proxyServerId ? ((await ctx.services.proxies.get(s.proxyServerId)) ?? null) : null),
  }));

builder.queryFields((t) => ({
  proxyServers: t.field({
    type: [ProxyServerRef],
    authScopes: admin,
    resolve: (_r, _a, ctx) => ctx.services.proxies.list(),
  }),
  proxyServer: t.field({
    type: ProxyServerRef,
    nullable: true,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => (await ctx.services.proxies.get(String(id))) ?? null,
  }),
}));

builder.mutationFields((t) => ({
  createProxyServer: t.field({
    type: proxyResult.union,
    authScopes: admin,
    args: { input: t.arg({ type: ProxyServerInput, required: true }) },
    resolve: async (_r, { input }, ctx) => okOrError(await ctx.services.proxies.create(input, ctx.viewer!.user.id), proxyResult.ok),
  }),
  updateProxyServer: t.field({
    type: proxyResult.union,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: ProxyServerInput, required: true }) },
    resolve: async (_r, { id, input }, ctx) => okOrError(await ctx.services.proxies.update(String(id), input, ctx.viewer!.user.id), proxyResult.ok),
  }),
  deleteProxyServer: t.field({
    type: DeleteResultRef,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), replacementId: t.arg.id({ description: 'The proxy the mailboxes using this one move to; required while it is in use.' }) },
    resolve: (_r, { id, replacementId }, ctx) => ctx.services.proxies.delete(String(id), ctx.viewer!.user.id, replacementId?.toString()),
  }),
}));
