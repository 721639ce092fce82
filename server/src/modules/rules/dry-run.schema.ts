import { eq } from 'drizzle-orm';
import { emailAudit, messages } from '../../db/schema.js';
import { builder } from '../../graphql/builder.js';
import { NotFoundErrorRef, ValidationErrorRef, resultUnion } from '../../graphql/errors.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import type { DryRunResult } from '../../ingest/outcomes.js';
import type { TraceStep } from '../../ingest/pipeline.js';
import { CategoryRef, TechnicianGroupRef } from '../catalog/catalog.schema.js';
import { isUuid } from '../../lib/uuid.js';

const MAX_PASTED_BYTES = 10 * 1024 * 1024;

const TraceStepRef = builder.objectRef<TraceStep>('PipelineTraceStep').implement({
  fields: (t) => ({ step: t.exposeString('step'), result: t.exposeString('result'), detail: t.exposeString('detail') }),
});

type Route = NonNullable<DryRunResult['route']>;
const DryRunRouteRef = builder.objectRef<Route>('DryRunRoute').implement({
  fields: (t) => ({
    technicianGroup: t.field({
      type: TechnicianGroupRef, nullable: true,
      resolve: async (r, _a, ctx) => (r.technicianGroupId ? ((await ctx.services.catalog.groups.get(r.technicianGroupId)) ?? null) : null),
    }),
    category: t.field({
      type: CategoryRef, nullable: true,
      resolve: async (r, _a, ctx) => (r.categoryId ? ((await ctx.services.catalog.categories.get(r.categoryId)) ?? null) : null),
    }),
    companyId: t.id({ nullable: true, resolve: (r) => r.companyId }),
    requestTypeId: t.id({ nullable: true, resolve: (r) => r.requestTypeId }),
    priorityId: t.id({ nullable: true, resolve: (r) => r.priorityId }),
    requestType: t.string({ nullable: true, resolve: async (r, _a, ctx) => (r.requestTypeId ? ((await ctx.services.ticketLists.requestType(r.requestTypeId))?.name ?? null) : null) }),
    priority: t.string({ nullable: true, resolve: async (r, _a, ctx) => (r.priorityId ? ((await ctx.services.ticketLists.priority(r.priorityId))?.name ?? null) : null) }),
  }),
});

const MatchedRuleRef = builder.objectRef<{ id: string; name: string }>('MatchedRule').implement({
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name') }),
});

const DryRunRef = builder.objectRef<DryRunResult>('EmailDryRun').implement({
  description: 'What the pipeline would do with a message; nothing is created.',
  fields: (t) => ({
    outcome: t.string({ resolve: (r) => r.outcome }),
    reason: t.exposeString('reason'),
    trace: t.field({ type: [TraceStepRef], resolve: (r) => r.trace }),
    route: t.field({ type: DryRunRouteRef, nullable: true, resolve: (r) => r.route }),
    matchedRules: t.field({ type: [MatchedRuleRef], resolve: (r) => r.matchedRules }),
    ticketId: t.id({ nullable: true, description: 'The ticket a reply or duplicate belongs to.', resolve: (r) => r.ticketId }),
    acknowledge: t.boolean({ nullable: true, resolve: (r) => r.acknowledge }),
    subject: t.string({ nullable: true, resolve: (r) => r.parsed?.subject ?? null }),
    from: t.string({ nullable: true, resolve: (r) => r.parsed?.from ?? null }),
  }),
});

const dryRunResult = resultUnion('EmailDryRun', 'dryRun', DryRunRef, [ValidationErrorRef, NotFoundErrorRef]);

builder.mutationFields((t) => ({
  dryRunIncomingEmail: t.field({
    type: dryRunResult.union,
    description: 'Runs the whole pipeline (filters, loop and auto-reply checks, duplicates, threading, rules) on a pasted .eml or a message from the email audit log, for a server, without creating anything.',
    authScopes: { manageSupportChannels: true },
    args: { serverId: t.arg.id({ required: true }), rawEmail: t.arg.string(), emailAuditEntryId: t.arg.id() },
    resolve: async (_r, args, ctx) => {
      const server = await ctx.services.servers.get(String(args.serverId));
      if (!server) return ValidationError.of([{ path: ['serverId'], message: 'Unknown incoming email server' }]);
      if (args.rawEmail != null) {
        const raw = Buffer.from(args.rawEmail.replace(/\r?\n/g, '\r\n'), 'utf8');
        if (!args.rawEmail.trim()) return ValidationError.of([{ path: ['rawEmail'], message: 'Paste a raw email (.eml)' }]);
        if (raw.length > MAX_PASTED_BYTES) return ValidationError.of([{ path: ['rawEmail'], message: 'At most 10 MB can be pasted' }]);
        return dryRunResult.ok(await ctx.services.ingest.dryRun(server, raw));
      }
      if (args.emailAuditEntryId != null) {
        const id = String(args.emailAuditEntryId);
        const [row] = isUuid(id)
          ? await ctx.services.db
              .select({ raw: messages.raw, messageRowId: messages.id })
              .from(emailAudit)
              .innerJoin(messages, eq(messages.id, emailAudit.messageRowId))
              .where(eq(emailAudit.id, id))
          : [];
        if (!row) return new NotFoundError('No such email audit entry (or its message is gone)');
        return dryRunResult.ok(await ctx.services.ingest.dryRun(server, row.raw, row.messageRowId));
      }
      return ValidationError.of([{ path: ['rawEmail'], message: 'Paste a raw email or choose a message from the audit log' }]);
    },
  }),
}));
