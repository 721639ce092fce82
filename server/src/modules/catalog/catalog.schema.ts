import { builder } from '../../graphql/builder.js';
import { DeleteResultRef, NotFoundErrorRef, ValidationErrorRef, okOrError as wrap, resultUnion } from '../../graphql/errors.js';
import type { CategoryRow, TechnicianGroupRow } from './catalog.service.js';

export const TechnicianGroupRef = builder.objectRef<TechnicianGroupRow>('TechnicianGroup').implement({
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name') }),
});
export const CategoryRef = builder.objectRef<CategoryRow>('Category').implement({
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name') }),
});

const groupResult = resultUnion('TechnicianGroup', 'technicianGroup', TechnicianGroupRef, [ValidationErrorRef, NotFoundErrorRef]);
const categoryResult = resultUnion('Category', 'category', CategoryRef, [ValidationErrorRef, NotFoundErrorRef]);
const admin = { manageSupportChannels: true } as const;

builder.queryFields((t) => ({
  technicianGroups: t.field({ type: [TechnicianGroupRef], resolve: (_r, _a, ctx) => ctx.services.catalog.groups.list() }),
  categories: t.field({ type: [CategoryRef], resolve: (_r, _a, ctx) => ctx.services.catalog.categories.list() }),
}));

builder.mutationFields((t) => ({
  createTechnicianGroup: t.field({
    type: groupResult.union,
    authScopes: admin,
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_r, { name }, ctx) => wrap(await ctx.services.catalog.groups.create(name, ctx.viewer!.user.id), groupResult.ok),
  }),
  renameTechnicianGroup: t.field({
    type: groupResult.union,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    resolve: async (_r, { id, name }, ctx) => wrap(await ctx.services.catalog.groups.rename(String(id), name, ctx.viewer!.user.id), groupResult.ok),
  }),
  deleteTechnicianGroup: t.field({
    type: DeleteResultRef,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), replacementId: t.arg.id({ description: 'Where the servers, rules, requests and technicians using the group move; required while it is in use.' }) },
    resolve: (_r, { id, replacementId }, ctx) => ctx.services.catalog.groups.delete(String(id), ctx.viewer!.user.id, replacementId?.toString()),
  }),
  createCategory: t.field({
    type: categoryResult.union,
    authScopes: admin,
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_r, { name }, ctx) => wrap(await ctx.services.catalog.categories.create(name, ctx.viewer!.user.id), categoryResult.ok),
  }),
  renameCategory: t.field({
    type: categoryResult.union,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    resolve: async (_r, { id, name }, ctx) => wrap(await ctx.services.catalog.categories.rename(String(id), name, ctx.viewer!.user.id), categoryResult.ok),
  }),
  deleteCategory: t.field({
    type: DeleteResultRef,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), replacementId: t.arg.id({ description: 'Where the servers, rules and requests using the category move; required while it is in use.' }) },
    resolve: (_r, { id, replacementId }, ctx) => ctx.services.catalog.categories.delete(String(id), ctx.viewer!.user.id, replacementId?.toString()),
  }),
}));

