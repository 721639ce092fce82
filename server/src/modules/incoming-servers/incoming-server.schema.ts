import { ADMIN_ONLY, builder } from '../../graphql/builder.js';
import { loaders } from '../../graphql/loaders.js';
import { DeleteResultRef, NotFoundErrorRef, ValidationErrorRef, okOrError, resultUnion } from '../../graphql/errors.js';
import { NotFoundError } from '../../lib/errors.js';
import { CategoryRef, TechnicianGroupRef } from '../catalog/catalog.schema.js';
import { ServerHealthRef } from '../health/health.schema.js';
import type { IncomingServerRow } from '../../db/schema.js';
import { checkIntervalMs } from '../../mail/check-interval.js';
import { batchDistinct, eachEvent } from '../../lib/batch-events.js';
import { ConnectionTestEventRef, ConnectionTestResultRef, streamTest } from './connection-test.schema.js';

const MailProtocol = builder.enumType('MailProtocol', { values: ['IMAP', 'POP3', 'EWS', 'GRAPH'] as const });
const EmailProvider = builder.enumType('EmailProvider', { values: ['MICROSOFT', 'GOOGLE', 'OTHER'] as const });
const SecurityType = builder.enumType('SecurityType', { values: ['NONE', 'SSL', 'TLS'] as const });
const EmailAuthType = builder.enumType('EmailAuthType', { values: ['BASIC', 'OAUTH'] as const });
const FilterType = builder.enumType('FilterType', { values: ['ALLOW', 'IGNORE'] as const });
const AfterProcessing = builder.enumType('AfterProcessing', { values: ['MARK_READ', 'MOVE'] as const });

const EmailFilterRef = builder.objectRef<IncomingServerRow>('EmailFilter').implement({
  // Reachable from tickets (a technician's): configuration is for channel managers only.
  authScopes: ADMIN_ONLY,
  fields: (t) => ({
    type: t.field({ type: FilterType, resolve: (s) => s.filterType! }),
    emails: t.stringList({ resolve: (s) => s.filterEmails }),
    domains: t.stringList({ resolve: (s) => s.filterDomains }),
    keywords: t.stringList({ resolve: (s) => s.filterKeywords }),
  }),
});

const OAuthSettingsRef = builder.objectRef<IncomingServerRow>('OAuthSettings').implement({
  // Reachable from tickets (a technician's): configuration is for channel managers only.
  authScopes: ADMIN_ONLY,
  fields: (t) => ({
    clientId: t.string({ nullable: true, resolve: (s) => s.oauth?.clientId ?? null }),
    clientSecretSet: t.boolean({ resolve: (s, _a, ctx) => Boolean(ctx.services.servers.credentials(s).oauth.clientSecret) }),
    authorizationUrl: t.string({ nullable: true, resolve: (s) => s.oauth?.authorizationUrl ?? null }),
    tokenUrl: t.string({ nullable: true, resolve: (s) => s.oauth?.tokenUrl ?? null }),
    scope: t.string({ nullable: true, resolve: (s) => s.oauth?.scope ?? null }),
    redirectUrl: t.string({ nullable: true, resolve: (s) => s.oauth?.redirectUrl ?? null }),
    tenantId: t.string({ nullable: true, resolve: (s) => s.oauth?.tenantId ?? null }),
  }),
});

export const IncomingEmailServerRef = builder.objectRef<IncomingServerRow>('IncomingEmailServer').implement({
  // Reachable from tickets (a technician's): configuration is for channel managers only.
  authScopes: ADMIN_ONLY,
  fields: (t) => ({
    // What a technician may know of a mailbox: which one it is.
    id: t.exposeID('id', { skipTypeScopes: true }),
    name: t.exposeString('name', { skipTypeScopes: true }),
    email: t.exposeString('email', { skipTypeScopes: true }),
    protocol: t.field({ type: MailProtocol, resolve: (s) => s.protocol }),
    provider: t.field({ type: EmailProvider, resolve: (s) => s.provider }),
    host: t.exposeString('host', { nullable: true }),
    port: t.exposeInt('port', { nullable: true }),
    security: t.field({ type: SecurityType, nullable: true, resolve: (s) => s.security }),
    authType: t.field({ type: EmailAuthType, nullable: true, resolve: (s) => s.authType }),
    username: t.string({ nullable: true, description: 'Defaults to the email address.', resolve: (s) => s.username ?? s.email }),
    passwordSet: t.boolean({ resolve: (s) => Boolean(s.passwordSealed) }),
    oauth: t.field({ type: OAuthSettingsRef, nullable: true, resolve: (s) => (s.authType === 'OAUTH' ? s : null) }),
    enabled: t.exposeBoolean('enabled'),
    primary: t.exposeBoolean('primary'),
    realTimeScanning: t.exposeBoolean('realTimeScanning'),
    allowSelfSignedCertificate: t.exposeBoolean('allowSelfSignedCertificate'),
    pollIntervalSeconds: t.exposeInt('pollIntervalSeconds'),
    checkIntervalSeconds: t.int({
      description: 'How often Mailroom asks the mailbox for news: the poll interval, or 15 s with real-time scanning (besides what IMAP IDLE pushes) unless the server\'s IDLE is known to push (health.idlePush).',
      resolve: async (s, _a, ctx) => Math.round(checkIntervalMs(s, s.protocol === 'IMAP' && s.realTimeScanning ? (await loaders(ctx).health.load(s.id)).idlePush : null) / 1000),
    }),
    technicianGroup: t.field({
      type: TechnicianGroupRef,
      nullable: true,
      resolve: (s, _a, ctx) => (s.technicianGroupId ? loaders(ctx).catalog.load({ kind: 'group', id: s.technicianGroupId }) : null),
    }),
    category: t.field({
      type: CategoryRef,
      nullable: true,
      resolve: (s, _a, ctx) => (s.categoryId ? loaders(ctx).catalog.load({ kind: 'category', id: s.categoryId }) : null),
    }),
    filter: t.field({ type: EmailFilterRef, nullable: true, resolve: (s) => (s.filterType ? s : null) }),
    proxyServerId: t.id({ nullable: true, resolve: (s) => s.proxyServerId }),
    outgoingServerId: t.id({ nullable: true, resolve: (s) => s.outgoingServerId }),
    companyId: t.id({ nullable: true, resolve: (s) => s.companyId }),
    pop3DeleteAfterSave: t.exposeBoolean('pop3DeleteAfterSave'),
    afterProcessing: t.field({ type: AfterProcessing, resolve: (s) => s.afterProcessing }),
    moveToFolder: t.exposeString('moveToFolder', { nullable: true }),
    ewsUrl: t.exposeString('ewsUrl', { nullable: true }),
    needsReconfiguration: t.exposeBoolean('needsReconfiguration'),
    oauthClientSecretExpiresAt: t.expose('oauthClientSecretExpiresAt', { type: 'DateTime', nullable: true }),
    health: t.field({ type: ServerHealthRef, resolve: async (s, _a, ctx) => ({ ...(await loaders(ctx).health.load(s.id)), authType: s.authType }) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const EmailFilterInput = builder.inputType('EmailFilterInput', {
  fields: (t) => ({
    type: t.field({ type: FilterType, required: true }),
    emails: t.stringList({ defaultValue: [] }),
    domains: t.stringList({ defaultValue: [] }),
    keywords: t.stringList({ defaultValue: [] }),
  }),
});

const OAuthInput = builder.inputType('OAuthInput', {
  fields: (t) => ({
    clientId: t.string(),
    clientSecret: t.string({ description: 'Write-only.' }),
    authorizationUrl: t.string(),
    tokenUrl: t.string(),
    scope: t.string(),
    redirectUrl: t.string(),
    tenantId: t.string({ description: 'Legacy (8.0-style) setting; kept for imported configurations.' }),
  }),
});

export const IncomingEmailServerInput = builder.inputType('IncomingEmailServerInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    email: t.string({ required: true }),
    protocol: t.field({ type: MailProtocol, required: true }),
    provider: t.field({ type: EmailProvider, defaultValue: 'OTHER' }),
    host: t.string(),
    port: t.int({ description: 'Filled from protocol and security when omitted.' }),
    security: t.field({ type: SecurityType }),
    authType: t.field({ type: EmailAuthType }),
    username: t.string(),
    password: t.string({ description: 'Write-only; omit to keep the stored one.' }),
    oauth: t.field({ type: OAuthInput }),
    enabled: t.boolean({ defaultValue: true }),
    primary: t.boolean({ defaultValue: false }),
    realTimeScanning: t.boolean({ defaultValue: false }),
    allowSelfSignedCertificate: t.boolean({ defaultValue: false }),
    pollIntervalSeconds: t.int({ defaultValue: 120 }),
    technicianGroupId: t.id(),
    categoryId: t.id(),
    companyId: t.id({ description: 'Only with the Managed Services Provider feature on.' }),
    proxyServerId: t.id(),
    outgoingServerId: t.id({ description: 'Acknowledgments go out through this server; else the primary outgoing server.' }),
    pop3DeleteAfterSave: t.boolean({ defaultValue: true, description: 'POP3: delete from the server after the ticket is saved (default), or leave it there.' }),
    afterProcessing: t.field({ type: AfterProcessing, defaultValue: 'MARK_READ' }),
    moveToFolder: t.string(),
    ewsUrl: t.string({ description: 'EWS service URL; https://<host>/EWS/Exchange.asmx when empty.' }),
    oauthClientSecretExpiresAt: t.field({ type: 'DateTime', description: 'When the OAuth client secret expires, for an early warning.' }),
    filter: t.field({ type: EmailFilterInput }),
  }),
});

const serverResult = resultUnion('IncomingEmailServer', 'server', IncomingEmailServerRef, [ValidationErrorRef, NotFoundErrorRef]);

const settingsTestResult = resultUnion('ConnectionSettingsTest', 'result', ConnectionTestResultRef, [ValidationErrorRef, NotFoundErrorRef]);

const admin = { manageSupportChannels: true } as const;

/** Hundreds of failing mailboxes retry every few seconds, each retry a change or two: one event each would flood a page that shows them all. */
const SERVER_BATCH_MS = 500;

builder.queryFields((t) => ({
  incomingEmailServers: t.field({
    type: [IncomingEmailServerRef],
    authScopes: admin,
    resolve: (_r, _a, ctx) => ctx.services.servers.list(),
  }),
  incomingEmailServer: t.field({
    type: IncomingEmailServerRef,
    nullable: true,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => (await ctx.services.servers.get(String(id))) ?? null,
  }),
}));

builder.mutationFields((t) => ({
  createIncomingEmailServer: t.field({
    type: serverResult.union,
    authScopes: admin,
    args: { input: t.arg({ type: IncomingEmailServerInput, required: true }) },
    resolve: async (_r, { input }, ctx) => okOrError(await ctx.services.servers.create(input, ctx.viewer!.user.id), serverResult.ok),
  }),
  updateIncomingEmailServer: t.field({
    type: serverResult.union,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: IncomingEmailServerInput, required: true }) },
    resolve: async (_r, { id, input }, ctx) => okOrError(await ctx.services.servers.update(String(id), input, ctx.viewer!.user.id), serverResult.ok),
  }),
  deleteIncomingEmailServer: t.field({
    type: DeleteResultRef,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.services.servers.delete(String(id), ctx.viewer!.user.id),
  }),
  testIncomingEmailServerConnection: t.field({
    type: ConnectionTestResultRef,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const server = await ctx.services.servers.get(String(id));
      if (!server) {
        return { ok: false, failedStage: null, message: 'No such incoming email server', causes: [], stages: [], durationMs: 0 };
      }
      return ctx.services.connectionTester.test(server);
    },
  }),
  testIncomingEmailServerSettings: t.field({
    type: settingsTestResult.union,
    authScopes: admin,
    description: 'Test Connection with settings not saved yet. With `id`, secrets left empty are the stored ones.',
    args: { input: t.arg({ type: IncomingEmailServerInput, required: true }), id: t.arg.id() },
    resolve: async (_r, { input, id }, ctx) => okOrError(await ctx.services.connectionTester.testDraft(input, id?.toString() ?? null), settingsTestResult.ok),
  }),
}));

builder.subscriptionFields((t) => ({
  incomingEmailServerConnectionTest: t.field({
    type: ConnectionTestEventRef,
    authScopes: admin,
    description: 'Runs Test Connection and reports each stage as it starts and ends: the saved server (`id`), or unsaved settings (`input`, with `id` for its stored secrets).',
    args: { id: t.arg.id(), input: t.arg({ type: IncomingEmailServerInput }) },
    subscribe: (_r, { id, input }, ctx) =>
      streamTest(async (onProgress) => {
        if (input) return ctx.services.connectionTester.testDraft(input, id?.toString() ?? null, onProgress);
        const server = id ? await ctx.services.servers.get(String(id)) : undefined;
        if (!server) return new NotFoundError('No such incoming email server');
        return ctx.services.connectionTester.test(server, { onProgress });
      }),
    resolve: (event) => event,
  }),
  incomingEmailServerUpdated: t.field({
    type: IncomingEmailServerRef,
    authScopes: admin,
    // The events are drained whether or not the client reads: one that stops reading holds each
    // changed server once, where a queue of every event overflowed (and threw) after 1,024.
    // A deleted server has nothing left to show.
    subscribe: (_r, _a, ctx) => eachEvent(batchDistinct(ctx.services.pubsub.subscribe('incomingEmailServerUpdated'), 0), (ids) => ctx.services.servers.getMany(ids)),
    resolve: (server: IncomingServerRow) => server,
  }),
  incomingEmailServersUpdated: t.field({
    type: [IncomingEmailServerRef],
    authScopes: admin,
    description: `incomingEmailServerUpdated gathered for a page of many mailboxes: the servers that changed, each once, at most one batch every ${SERVER_BATCH_MS} ms. Deleted servers are left out.`,
    subscribe: (_r, _a, ctx) => eachEvent(batchDistinct(ctx.services.pubsub.subscribe('incomingEmailServerUpdated'), SERVER_BATCH_MS), async (ids) => {
      const servers = await ctx.services.servers.getMany(ids);
      return servers.length ? [servers] : [];
    }),
    resolve: (servers: IncomingServerRow[]) => servers,
  }),
}));
