import { builder } from '../../graphql/builder.js';
import { NotFoundErrorRef, ValidationErrorRef, okOrError, resultUnion } from '../../graphql/errors.js';
import { UserRef } from '../auth/auth.schema.js';
import { IncomingEmailServerRef } from '../incoming-servers/incoming-server.schema.js';
import { TicketRef } from '../tickets/ticket.schema.js';
import type { QuarantineActionResult, QuarantineEntry } from './quarantine.service.js';

const QuarantineResolution = builder.enumType('QuarantineResolution', { values: ['REPROCESSED', 'RELEASED', 'DELETED'] as const });

export const QuarantinedMessageRef = builder.objectRef<QuarantineEntry>('QuarantinedMessage').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    reason: t.exposeString('reason'),
    server: t.field({
      type: IncomingEmailServerRef,
      nullable: true,
      resolve: async (q, _a, ctx) => (q.serverId ? ((await ctx.services.servers.get(q.serverId)) ?? null) : null),
    }),
    messageId: t.exposeString('messageId', { nullable: true }),
    from: t.string({ nullable: true, resolve: (q) => q.fromAddress }),
    subject: t.exposeString('subject', { nullable: true }),
    size: t.int({ resolve: (q) => q.rawSize }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true }),
    resolution: t.field({ type: QuarantineResolution, nullable: true, resolve: (q) => q.resolution }),
    resolvedBy: t.field({
      type: UserRef,
      nullable: true,
      resolve: async (q, _a, ctx) => (q.resolvedByUserId ? ((await ctx.services.quarantine.user(q.resolvedByUserId)) ?? null) : null),
    }),
    rawUrl: t.string({ nullable: true, description: 'Download of the raw .eml (admins), until it is deleted.', resolve: (q) => (q.rawAvailable ? `/api/quarantine/${q.id}/raw` : null) }),
  }),
});

const QuarantineActionRef = builder.objectRef<QuarantineActionResult>('QuarantineAction').implement({
  fields: (t) => ({
    entry: t.field({ type: QuarantinedMessageRef, resolve: (r) => r.entry }),
    outcome: t.string({ nullable: true, description: 'The pipeline outcome of reprocessing (an EmailOutcome); null for delete.', resolve: (r) => r.outcome }),
    ticket: t.field({ type: TicketRef, nullable: true, resolve: async (r, _a, ctx) => (r.ticketId ? ((await ctx.services.tickets.get(r.ticketId)) ?? null) : null) }),
    message: t.exposeString('message', { description: 'What happened, in words ("Created REQ-12: …", "Still held: …").' }),
  }),
});

const actionResult = resultUnion('QuarantineAction', 'result', QuarantineActionRef, [ValidationErrorRef, NotFoundErrorRef]);
const admin = { manageSupportChannels: true } as const;

builder.queryFields((t) => ({
  quarantinedMessages: t.field({
    type: [QuarantinedMessageRef],
    authScopes: admin,
    description: 'Newest first; only the open ones unless includeResolved.',
    args: { includeResolved: t.arg.boolean({ defaultValue: false }), serverId: t.arg.id(), first: t.arg.int({ defaultValue: 100 }) },
    resolve: (_r, args, ctx) => ctx.services.quarantine.list({ includeResolved: args.includeResolved, serverId: args.serverId?.toString(), first: args.first }),
  }),
}));

builder.mutationFields((t) => ({
  reprocessQuarantinedMessage: t.field({
    type: actionResult.union,
    authScopes: admin,
    description: 'Runs the message through the pipeline again, all checks included.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => okOrError(await ctx.services.quarantine.reprocessQuarantined(String(id), ctx.viewer!.user.id), actionResult.ok),
  }),
  releaseQuarantinedMessage: t.field({
    type: actionResult.union,
    authScopes: admin,
    description: 'Creates the ticket anyway.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => okOrError(await ctx.services.quarantine.releaseQuarantined(String(id), ctx.viewer!.user.id), actionResult.ok),
  }),
  deleteQuarantinedMessage: t.field({
    type: actionResult.union,
    authScopes: admin,
    description: 'Deletes the raw message; the entry stays as a record until the retention period ends.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => okOrError(await ctx.services.quarantine.deleteQuarantined(String(id), ctx.viewer!.user.id), actionResult.ok),
  }),
}));
