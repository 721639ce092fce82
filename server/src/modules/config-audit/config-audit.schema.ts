import { builder } from '../../graphql/builder.js';
import { UserRef } from '../auth/auth.schema.js';
import type { ConfigAuditEntry, NamedChange } from './config-audit.trail.js';

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

const ConfigAuditAction = builder.enumType('ConfigAuditAction', { values: ['CREATE', 'UPDATE', 'DELETE', 'LOCKOUT'] as const });

const ConfigChangeRef = builder.objectRef<NamedChange>('ConfigChange').implement({
  fields: (t) => ({
    path: t.exposeString('path', { description: 'Dotted field path, e.g. `oauth.clientId`.' }),
    before: t.string({ nullable: true, description: 'JSON; null when absent.', resolve: (c) => json(c.before) }),
    after: t.string({ nullable: true, description: 'JSON; null when absent.', resolve: (c) => json(c.after) }),
    beforeName: t.exposeString('beforeName', { nullable: true, description: 'When the value is the id of a group, category, company, server or proxy: its name.' }),
    afterName: t.exposeString('afterName', { nullable: true, description: 'When the value is the id of a group, category, company, server or proxy: its name.' }),
  }),
});

const ConfigAuditEntryRef = builder.objectRef<ConfigAuditEntry>('ConfigAuditEntry').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    at: t.expose('at', { type: 'DateTime' }),
    actor: t.field({ type: UserRef, nullable: true, description: 'Who made the change (null: the system, or a deleted user).', resolve: (e) => e.actor }),
    action: t.field({ type: ConfigAuditAction, resolve: (e) => e.action }),
    entityType: t.exposeString('entityType'),
    entityId: t.exposeString('entityId', { nullable: true }),
    before: t.string({ nullable: true, description: 'The entity before the change, as JSON (secrets redacted).', resolve: (e) => json(e.before) }),
    after: t.string({ nullable: true, description: 'The entity after the change, as JSON (secrets redacted).', resolve: (e) => json(e.after) }),
    changes: t.field({ type: [ConfigChangeRef], description: 'Field-by-field differences between before and after.', resolve: (e, _a, ctx) => ctx.services.configAudit.namedChanges(e) }),
  }),
});

type Edge = { cursor: string; node: ConfigAuditEntry };
const ConfigAuditEdge = builder.objectRef<Edge>('ConfigAuditEdge').implement({
  fields: (t) => ({ cursor: t.exposeString('cursor'), node: t.field({ type: ConfigAuditEntryRef, resolve: (e) => e.node }) }),
});
const ConfigAuditPageInfo = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('ConfigAuditPageInfo').implement({
  fields: (t) => ({ hasNextPage: t.exposeBoolean('hasNextPage'), endCursor: t.exposeString('endCursor', { nullable: true }) }),
});
const ConfigAuditConnection = builder
  .objectRef<{ edges: Edge[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>('ConfigAuditConnection')
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [ConfigAuditEdge], resolve: (c) => c.edges }),
      nodes: t.field({ type: [ConfigAuditEntryRef], resolve: (c) => c.edges.map((e) => e.node) }),
      pageInfo: t.field({ type: ConfigAuditPageInfo, resolve: (c) => c.pageInfo }),
    }),
  });

builder.queryFields((t) => ({
  configAuditTrail: t.field({
    type: ConfigAuditConnection,
    authScopes: { manageSupportChannels: true },
    args: {
      entityType: t.arg.string({ description: 'e.g. IncomingEmailServer, EmailPreference, ProxyServer.' }),
      entityId: t.arg.id(),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: (_r, args, ctx) =>
      ctx.services.configAudit.list({ entityType: args.entityType, entityId: args.entityId?.toString() }, args.first ?? 50, args.after),
  }),
}));
