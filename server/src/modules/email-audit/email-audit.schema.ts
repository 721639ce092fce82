import { builder } from '../../graphql/builder.js';
import type { EmailOutcome } from '../../db/schema.js';
import { IncomingEmailServerRef } from '../incoming-servers/incoming-server.schema.js';
import { TicketRef } from '../tickets/ticket.schema.js';
import type { EmailAuditRow } from './email-audit.service.js';
import { eachEvent } from '../../lib/batch-events.js';

const outcomes = ['TICKET_CREATED', 'APPENDED', 'FILTERED', 'DUPLICATE', 'AUTO_REPLY', 'LOOP_SUSPECTED', 'EMAIL_TO_TICKET_DISABLED', 'QUARANTINED', 'FAILED'] as const satisfies readonly EmailOutcome[];
const EmailOutcomeRef = builder.enumType('EmailOutcome', { values: outcomes });

const EmailAuditEntryRef = builder.objectRef<EmailAuditRow>('EmailAuditEntry').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    at: t.expose('at', { type: 'DateTime' }),
    server: t.field({
      type: IncomingEmailServerRef,
      nullable: true,
      resolve: async (e, _a, ctx) => (e.serverId ? ((await ctx.services.servers.get(e.serverId)) ?? null) : null),
    }),
    messageId: t.exposeString('messageId', { nullable: true }),
    from: t.string({ nullable: true, resolve: (e) => e.fromAddress }),
    subject: t.exposeString('subject', { nullable: true }),
    outcome: t.field({ type: EmailOutcomeRef, resolve: (e) => e.outcome }),
    reason: t.exposeString('reason', { nullable: true }),
    ticket: t.field({
      type: TicketRef,
      nullable: true,
      resolve: async (e, _a, ctx) => (e.ticketId ? ((await ctx.services.tickets.get(e.ticketId)) ?? null) : null),
    }),
    rawUrl: t.string({ nullable: true, description: 'Download of the raw .eml (admins).', resolve: (e) => (e.messageRowId ? `/api/email-audit/${e.id}/raw` : null) }),
    to: t.stringList({ description: 'The To and Cc addresses of the stored message.', resolve: async (e, _a, ctx) => {
      const m = await ctx.services.emailAudit.message(e.messageRowId);
      return m ? [...m.toAddresses, ...m.ccAddresses] : [];
    } }),
    size: t.int({ nullable: true, description: 'Size of the raw message in bytes.', resolve: async (e, _a, ctx) => (await ctx.services.emailAudit.message(e.messageRowId))?.rawSize ?? null }),
  }),
});

const EmailAuditEdge = builder.objectRef<{ cursor: string; node: EmailAuditRow }>('EmailAuditEdge').implement({
  fields: (t) => ({ cursor: t.exposeString('cursor'), node: t.field({ type: EmailAuditEntryRef, resolve: (e) => e.node }) }),
});
const EmailAuditPageInfo = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('EmailAuditPageInfo').implement({
  fields: (t) => ({ hasNextPage: t.exposeBoolean('hasNextPage'), endCursor: t.exposeString('endCursor', { nullable: true }) }),
});
const EmailAuditConnection = builder
  .objectRef<{ edges: { cursor: string; node: EmailAuditRow }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>('EmailAuditConnection')
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [EmailAuditEdge], resolve: (c) => c.edges }),
      nodes: t.field({ type: [EmailAuditEntryRef], resolve: (c) => c.edges.map((e) => e.node) }),
      pageInfo: t.field({ type: EmailAuditPageInfo, resolve: (c) => c.pageInfo }),
    }),
  });

const admin = { manageSupportChannels: true } as const;

builder.queryFields((t) => ({
  emailAuditLog: t.field({
    type: EmailAuditConnection,
    authScopes: admin,
    args: {
      serverId: t.arg.id(),
      outcome: t.arg({ type: EmailOutcomeRef }),
      since: t.arg({ type: 'DateTime' }),
      until: t.arg({ type: 'DateTime' }),
      search: t.arg.string({ description: "Part of the sender's address, the subject or the Message-ID (case-insensitive)." }),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: (_r, args, ctx) =>
      ctx.services.emailAudit.list(
        { serverId: args.serverId?.toString(), outcome: args.outcome, since: args.since, until: args.until, search: args.search },
        args.first ?? 50,
        args.after,
      ),
  }),
  emailAuditEntry: t.field({
    type: EmailAuditEntryRef,
    nullable: true,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => (await ctx.services.emailAudit.get(String(id))) ?? null,
  }),
}));

builder.subscriptionFields((t) => ({
  emailAuditEntryAdded: t.field({
    type: EmailAuditEntryRef,
    authScopes: admin,
    description: 'Each new email audit entry as its batch commits, narrowed like emailAuditLog.',
    args: { serverId: t.arg.id(), outcome: t.arg({ type: EmailOutcomeRef }), search: t.arg.string() },
    subscribe: (_r, args, ctx) => {
      const filter = { serverId: args.serverId?.toString(), outcome: args.outcome, search: args.search };
      return eachEvent(ctx.services.pubsub.subscribe('emailAuditAdded'), (ids) => ctx.services.emailAudit.byIds(ids.split(','), filter));
    },
    resolve: (entry: EmailAuditRow) => entry,
  }),
}));
