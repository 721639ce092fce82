import { builder } from '../../graphql/builder.js';
import { DeleteResultRef, NotFoundErrorRef, ValidationErrorRef, okOrError, resultUnion } from '../../graphql/errors.js';
import { IncomingEmailServerRef } from '../incoming-servers/incoming-server.schema.js';
import { TicketRef } from '../tickets/ticket.schema.js';
import type { AppSettingsRow, CompanyRow } from './settings.service.js';

const AppSettingsRef = builder.objectRef<AppSettingsRow>('AppSettings').implement({
  fields: (t) => ({
    mspEnabled: t.exposeBoolean('mspEnabled', { description: 'Managed Services Provider: servers, rules and tickets can name a company.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const CompanyRef = builder.objectRef<CompanyRow>('Company').implement({
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name'), createdAt: t.expose('createdAt', { type: 'DateTime' }) }),
});

const AppSettingsInput = builder.inputType('AppSettingsInput', { fields: (t) => ({ mspEnabled: t.boolean() }) });

builder.objectField(IncomingEmailServerRef, 'company', (t) =>
  t.field({ type: CompanyRef, nullable: true, resolve: async (s, _a, ctx) => (s.companyId ? ((await ctx.services.settings.getCompany(s.companyId)) ?? null) : null) }));

builder.objectField(TicketRef, 'company', (t) =>
  t.field({ type: CompanyRef, nullable: true, resolve: async (ticket, _a, ctx) => (ticket.companyId ? ((await ctx.services.settings.getCompany(ticket.companyId)) ?? null) : null) }));

const companyResult = resultUnion('Company', 'company', CompanyRef, [ValidationErrorRef, NotFoundErrorRef]);
const admin = { manageSupportChannels: true } as const;

builder.queryFields((t) => ({
  appSettings: t.field({ type: AppSettingsRef, resolve: (_r, _a, ctx) => ctx.services.settings.get() }),
  companies: t.field({ type: [CompanyRef], resolve: (_r, _a, ctx) => ctx.services.settings.listCompanies() }),
}));

builder.mutationFields((t) => ({
  updateAppSettings: t.field({
    type: AppSettingsRef,
    authScopes: { superAdmin: true },
    args: { input: t.arg({ type: AppSettingsInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.settings.update(input, ctx.viewer!.user.id),
  }),
  createCompany: t.field({
    type: companyResult.union,
    authScopes: admin,
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_r, { name }, ctx) => okOrError(await ctx.services.settings.createCompany(name, ctx.viewer!.user.id), companyResult.ok),
  }),
  renameCompany: t.field({
    type: companyResult.union,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    resolve: async (_r, { id, name }, ctx) => okOrError(await ctx.services.settings.renameCompany(String(id), name, ctx.viewer!.user.id), companyResult.ok),
  }),
  deleteCompany: t.field({
    type: DeleteResultRef,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), replacementId: t.arg.id({ description: 'Where the servers, rules and requests naming the company move; required while it is in use.' }) },
    resolve: (_r, { id, replacementId }, ctx) => ctx.services.settings.deleteCompany(String(id), ctx.viewer!.user.id, replacementId?.toString()),
  }),
}));
