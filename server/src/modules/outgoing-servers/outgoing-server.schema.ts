import { ADMIN_ONLY, builder } from '../../graphql/builder.js';
import { DeleteResultRef, NotFoundErrorRef, ValidationErrorRef, okOrError, resultUnion } from '../../graphql/errors.js';
import { NotFoundError } from '../../lib/errors.js';
import { ConnectionTestEventRef, ConnectionTestStageRef, streamTest } from '../incoming-servers/connection-test.schema.js';
import { IncomingEmailServerRef } from '../incoming-servers/incoming-server.schema.js';
import { TicketRef } from '../tickets/ticket.schema.js';
import type { OutgoingTestResult } from './outgoing-server.service.js';
import type { OutboundMailRow, OutgoingServerRow } from '../../db/schema.js';

const SmtpSecurity = builder.enumType('SmtpSecurity', {
  values: {
    NONE: { description: 'Plain SMTP (port 25).' },
    SSL: { description: 'TLS from the first byte (port 465).' },
    TLS: { description: 'STARTTLS (port 587).' },
  } as const,
});
const SmtpAuthType = builder.enumType('SmtpAuthType', { values: ['NONE', 'BASIC'] as const });
const SmtpStage = builder.enumType('SmtpStage', { values: ['DNS', 'TCP', 'TLS', 'AUTH', 'PROTOCOL', 'SEND'] as const });
const OutboundMailStatus = builder.enumType('OutboundMailStatus', { values: ['PENDING', 'SENT', 'FAILED'] as const });

export const OutgoingEmailServerRef = builder.objectRef<OutgoingServerRow>('OutgoingEmailServer').implement({
  // Reachable from tickets (a technician's): configuration is for channel managers only.
  authScopes: ADMIN_ONLY,
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    host: t.exposeString('host'),
    port: t.exposeInt('port'),
    security: t.field({ type: SmtpSecurity, resolve: (s) => s.security }),
    authType: t.field({ type: SmtpAuthType, resolve: (s) => s.authType }),
    username: t.string({ nullable: true, description: 'Defaults to the from address.', resolve: (s) => (s.authType === 'BASIC' ? s.username || s.fromAddress : null) }),
    passwordSet: t.boolean({ resolve: (s) => Boolean(s.passwordSealed) }),
    fromAddress: t.exposeString('fromAddress'),
    fromName: t.exposeString('fromName', { nullable: true }),
    allowSelfSignedCertificate: t.exposeBoolean('allowSelfSignedCertificate'),
    enabled: t.exposeBoolean('enabled'),
    primary: t.exposeBoolean('primary'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const OutgoingEmailServerInput = builder.inputType('OutgoingEmailServerInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    host: t.string({ required: true }),
    port: t.int({ description: 'Filled from security when omitted: 25, 465 (SSL), 587 (STARTTLS).' }),
    security: t.field({ type: SmtpSecurity, defaultValue: 'TLS' }),
    authType: t.field({ type: SmtpAuthType, defaultValue: 'BASIC' }),
    username: t.string({ description: 'Defaults to the from address.' }),
    password: t.string({ description: 'Write-only; omit to keep the stored one.' }),
    fromAddress: t.string({ required: true }),
    fromName: t.string(),
    allowSelfSignedCertificate: t.boolean({ defaultValue: false }),
    enabled: t.boolean({ defaultValue: true }),
    primary: t.boolean({ description: 'Omit to keep it as it is; the first server is always primary.' }),
  }),
});

const OutgoingServerTestResultRef = builder.objectRef<OutgoingTestResult>('OutgoingServerTestResult').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    failedStage: t.field({ type: SmtpStage, nullable: true, resolve: (r) => r.failedStage }),
    message: t.exposeString('message', { nullable: true }),
    causes: t.exposeStringList('causes'),
    stages: t.field({ type: [ConnectionTestStageRef], description: 'DNS → TCP → TLS → AUTH, as for incoming servers.', resolve: (r) => r.stages }),
    durationMs: t.int({ resolve: (r) => Math.round(r.durationMs) }),
  }),
});

type OutboundMailView = Omit<OutboundMailRow, 'raw'>;

export const OutboundMailRef = builder.objectRef<OutboundMailView>('OutboundMail').implement({
  // Reachable from tickets (a technician's): configuration is for channel managers only.
  authScopes: ADMIN_ONLY,
  description: 'Mail Mailroom sends (acknowledgments): queued, sent, or failed with the reason.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.exposeString('kind'),
    toAddress: t.exposeString('toAddress'),
    subject: t.exposeString('subject'),
    messageId: t.exposeString('messageId'),
    status: t.field({ type: OutboundMailStatus, resolve: (m) => m.status }),
    attempts: t.exposeInt('attempts'),
    nextAttemptAt: t.field({ type: 'DateTime', nullable: true, description: 'When the next attempt is due; null once sent or failed.', resolve: (m) => (m.status === 'PENDING' ? m.nextAttemptAt : null) }),
    lastError: t.exposeString('lastError', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    sentAt: t.expose('sentAt', { type: 'DateTime', nullable: true }),
    ticket: t.field({ type: TicketRef, nullable: true, resolve: async (m, _a, ctx) => (m.ticketId ? ((await ctx.services.tickets.get(m.ticketId)) ?? null) : null) }),
    outgoingServer: t.field({
      type: OutgoingEmailServerRef,
      nullable: true,
      resolve: async (m, _a, ctx) => (m.outgoingServerId ? ((await ctx.services.outgoingServers.get(m.outgoingServerId)) ?? null) : null),
    }),
  }),
});

const OutboundMailPageInfo = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('OutboundMailPageInfo').implement({
  fields: (t) => ({ hasNextPage: t.exposeBoolean('hasNextPage'), endCursor: t.exposeString('endCursor', { nullable: true }) }),
});
const OutboundMailConnection = builder
  .objectRef<{ edges: { cursor: string; node: OutboundMailView }[]; totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>('OutboundMailConnection')
  .implement({
    fields: (t) => ({
      nodes: t.field({ type: [OutboundMailRef], resolve: (c) => c.edges.map((e) => e.node) }),
      totalCount: t.exposeInt('totalCount'),
      pageInfo: t.field({ type: OutboundMailPageInfo, resolve: (c) => c.pageInfo }),
    }),
  });

builder.objectField(IncomingEmailServerRef, 'outgoingServer', (t) =>
  t.field({
    type: OutgoingEmailServerRef,
    nullable: true,
    description: 'The linked outgoing server; acknowledgments use the primary one when none is linked.',
    resolve: async (s, _a, ctx) => (s.outgoingServerId ? ((await ctx.services.outgoingServers.get(s.outgoingServerId)) ?? null) : null),
  }));

const serverResult = resultUnion('OutgoingEmailServer', 'server', OutgoingEmailServerRef, [ValidationErrorRef, NotFoundErrorRef]);
const mailResult = resultUnion('OutboundMail', 'mail', OutboundMailRef, [ValidationErrorRef, NotFoundErrorRef]);
const admin = { manageSupportChannels: true } as const;

builder.queryFields((t) => ({
  outgoingServers: t.field({
    type: [OutgoingEmailServerRef],
    authScopes: admin,
    resolve: (_r, _a, ctx) => ctx.services.outgoingServers.list(),
  }),
  outgoingServer: t.field({
    type: OutgoingEmailServerRef,
    nullable: true,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => (await ctx.services.outgoingServers.get(String(id))) ?? null,
  }),
  outboundMail: t.field({
    type: [OutboundMailRef],
    authScopes: admin,
    description: 'Newest first. status: FAILED lists what could not be sent, with lastError.',
    args: { status: t.arg({ type: OutboundMailStatus }), ticketId: t.arg.id(), first: t.arg.int({ defaultValue: 50 }) },
    resolve: (_r, args, ctx) => ctx.services.outbox.list({ status: args.status, ticketId: args.ticketId?.toString() }, args.first ?? 50),
  }),
  outboundMailPage: t.field({
    type: OutboundMailConnection,
    authScopes: admin,
    description: 'The outbox a page at a time, newest first, with the total count.',
    args: { status: t.arg({ type: OutboundMailStatus }), first: t.arg.int({ defaultValue: 30 }), after: t.arg.string() },
    resolve: (_r, args, ctx) => ctx.services.outbox.page({ status: args.status }, args.first ?? 30, args.after),
  }),
}));

builder.mutationFields((t) => ({
  createOutgoingServer: t.field({
    type: serverResult.union,
    authScopes: admin,
    args: { input: t.arg({ type: OutgoingEmailServerInput, required: true }) },
    resolve: async (_r, { input }, ctx) => okOrError(await ctx.services.outgoingServers.create(input, ctx.viewer!.user.id), serverResult.ok),
  }),
  updateOutgoingServer: t.field({
    type: serverResult.union,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: OutgoingEmailServerInput, required: true }) },
    resolve: async (_r, { id, input }, ctx) => okOrError(await ctx.services.outgoingServers.update(String(id), input, ctx.viewer!.user.id), serverResult.ok),
  }),
  deleteOutgoingServer: t.field({
    type: DeleteResultRef,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), replacementId: t.arg.id({ description: 'The server the mailboxes linked to this one and its queued mail move to; required while it is in use.' }) },
    resolve: (_r, { id, replacementId }, ctx) => ctx.services.outgoingServers.delete(String(id), ctx.viewer!.user.id, replacementId?.toString()),
  }),
  testOutgoingServerConnection: t.field({
    type: OutgoingServerTestResultRef,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const result = await ctx.services.outgoingServers.test(String(id));
      return result instanceof NotFoundError ? { ok: false, failedStage: null, message: result.message, causes: [], stages: [], durationMs: 0 } : result;
    },
  }),
  retryOutboundMail: t.field({
    type: mailResult.union,
    authScopes: admin,
    description: 'Queues a FAILED mail again with a fresh set of attempts.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const result = okOrError(await ctx.services.outbox.retry(String(id)), mailResult.ok);
      ctx.services.outboundWorker.kick();
      return result;
    },
  }),
}));

builder.subscriptionFields((t) => ({
  outgoingServerConnectionTest: t.field({
    type: ConnectionTestEventRef,
    authScopes: admin,
    description: 'Tests an outgoing server (DNS → TCP → TLS → AUTH) and reports each stage as it runs: the saved one (`id`), or unsaved settings (`input`, with `id` for its stored password).',
    args: { id: t.arg.id(), input: t.arg({ type: OutgoingEmailServerInput }) },
    subscribe: (_r, { id, input }, ctx) =>
      streamTest((onProgress) => {
        if (input) return ctx.services.outgoingServers.testDraft(input, id?.toString() ?? null, onProgress);
        return ctx.services.outgoingServers.test(id ? String(id) : '', onProgress);
      }),
    resolve: (event) => event,
  }),
}));
