import { builder } from '../../graphql/builder.js';
import { DeleteResultRef, NotFoundErrorRef, ValidationErrorRef, okOrError, resultUnion } from '../../graphql/errors.js';
import type { PriorityRow, RequestTypeRow } from './ticket-lists.service.js';

export const PriorityRef = builder.objectRef<PriorityRow>('Priority').implement({
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name'), position: t.exposeInt('position', { description: 'Lowest first.' }) }),
});
export const RequestTypeRef = builder.objectRef<RequestTypeRow>('RequestType').implement({
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name') }),
});

const priorityResult = resultUnion('Priority', 'priority', PriorityRef, [ValidationErrorRef, NotFoundErrorRef]);
const requestTypeResult = resultUnion('RequestType', 'requestType', RequestTypeRef, [ValidationErrorRef, NotFoundErrorRef]);
const admin = { manageSupportChannels: true } as const;

builder.queryFields((t) => ({
  priorities: t.field({ type: [PriorityRef], description: 'In position order.', resolve: (_r, _a, ctx) => ctx.services.ticketLists.priorities() }),
  requestTypes: t.field({ type: [RequestTypeRef], resolve: (_r, _a, ctx) => ctx.services.ticketLists.requestTypes() }),
}));

builder.mutationFields((t) => ({
  createPriority: t.field({
    type: priorityResult.union,
    authScopes: admin,
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_r, { name }, ctx) => okOrError(await ctx.services.ticketLists.createPriority(name, ctx.viewer!.user.id), priorityResult.ok),
  }),
  updatePriority: t.field({
    type: priorityResult.union,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), name: t.arg.string(), position: t.arg.int() },
    resolve: async (_r, { id, name, position }, ctx) =>
      okOrError(await ctx.services.ticketLists.updatePriority(String(id), { name, position }, ctx.viewer!.user.id), priorityResult.ok),
  }),
  deletePriority: t.field({
    type: DeleteResultRef,
    authScopes: admin,
    description: 'Tickets with it keep no priority; rules setting it stop doing so.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.services.ticketLists.delete('priority', String(id), ctx.viewer!.user.id),
  }),
  createRequestType: t.field({
    type: requestTypeResult.union,
    authScopes: admin,
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_r, { name }, ctx) => okOrError(await ctx.services.ticketLists.createRequestType(name, ctx.viewer!.user.id), requestTypeResult.ok),
  }),
  updateRequestType: t.field({
    type: requestTypeResult.union,
    authScopes: admin,
    args: { id: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    resolve: async (_r, { id, name }, ctx) => okOrError(await ctx.services.ticketLists.renameRequestType(String(id), name, ctx.viewer!.user.id), requestTypeResult.ok),
  }),
  deleteRequestType: t.field({
    type: DeleteResultRef,
    authScopes: admin,
    description: 'Tickets with it keep no request type; rules setting it stop doing so.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.services.ticketLists.delete('requestType', String(id), ctx.viewer!.user.id),
  }),
}));
