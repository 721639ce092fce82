import { builder } from '../../graphql/builder.js';
import { NotAllowedErrorRef, NotFoundErrorRef, ValidationErrorRef, okOrError, resultUnion } from '../../graphql/errors.js';
import { BodyFormat, TicketMessageRef, TicketRef, TicketStatusRef } from './ticket.schema.js';
import type { TicketUpdateInput } from './ticket-work.service.js';

const errors = [ValidationErrorRef, NotFoundErrorRef, NotAllowedErrorRef];
const replyResult = resultUnion('TicketReply', 'message', TicketMessageRef, errors);
const noteResult = resultUnion('TicketNote', 'message', TicketMessageRef, errors);
const updateResult = resultUnion('UpdateTicket', 'ticket', TicketRef, errors);
const ticketResult = resultUnion('Ticket', 'ticket', TicketRef, errors);

const TicketReplyInput = builder.inputType('TicketReplyInput', {
  fields: (t) => ({
    body: t.string({ required: true }),
    bodyFormat: t.field({ type: BodyFormat, defaultValue: 'TEXT', description: 'HTML is sanitized like incoming mail; a text alternative is derived from it.' }),
    cc: t.stringList({ description: 'Copied addresses; they may answer into the ticket too.' }),
    attachments: t.field({ type: ['File'], description: 'GraphQL multipart request; each file at most the email preference\'s maxAttachmentBytes.' }),
    setStatus: t.field({ type: TicketStatusRef, description: 'Also set the status ("send and set Pending").' }),
  }),
});

const UpdateTicketInput = builder.inputType('UpdateTicketInput', {
  description: 'Every field optional: absent keeps it, null clears it (a status can\'t be cleared).',
  fields: (t) => ({
    status: t.field({ type: TicketStatusRef }),
    technicianGroupId: t.id(),
    assigneeId: t.id(),
    categoryId: t.id(),
    priorityId: t.id(),
    requestTypeId: t.id(),
    priority: t.string({ description: 'A priority by name, instead of priorityId.' }),
    requestType: t.string({ description: 'A request type by name, instead of requestTypeId.' }),
  }),
});

/** GraphQL gives absent keys as missing and explicit nulls as null: both are kept apart here. */
function updateInput(input: Record<string, unknown>): TicketUpdateInput {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (value !== undefined) out[key] = value === null ? null : typeof value === 'string' || key === 'status' ? value : String(value);
  return out as TicketUpdateInput;
}

builder.mutationFields((t) => ({
  replyToTicket: t.field({
    type: replyResult.union,
    description: 'Emails the requester from the ticket\'s mailbox; the message shows its delivery (sending, sent, failed).',
    args: { ticketId: t.arg.id({ required: true }), input: t.arg({ type: TicketReplyInput, required: true }) },
    resolve: async (_r, { ticketId, input }, ctx) =>
      okOrError(
        await ctx.services.ticketReplies.reply(ctx.viewer!, String(ticketId), {
          body: input.body, bodyFormat: input.bodyFormat ?? 'TEXT', cc: input.cc ?? [], attachments: input.attachments ?? [], setStatus: input.setStatus,
        }),
        replyResult.ok,
      ),
  }),
  addTicketNote: t.field({
    type: noteResult.union,
    description: 'An internal note: in the conversation and in search, never emailed.',
    args: { ticketId: t.arg.id({ required: true }), body: t.arg.string({ required: true }), bodyFormat: t.arg({ type: BodyFormat, defaultValue: 'TEXT' }) },
    resolve: async (_r, { ticketId, body, bodyFormat }, ctx) =>
      okOrError(await ctx.services.ticketWork.addNote(ctx.viewer!, String(ticketId), body, bodyFormat ?? 'TEXT'), noteResult.ok),
  }),
  updateTicket: t.field({
    type: updateResult.union,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateTicketInput, required: true }) },
    resolve: async (_r, { id, input }, ctx) => okOrError(await ctx.services.ticketWork.update(ctx.viewer!, String(id), updateInput(input)), updateResult.ok),
  }),
  assignTicketToMe: t.field({
    type: ticketResult.union,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => okOrError(await ctx.services.ticketWork.assignToMe(ctx.viewer!, String(id)), ticketResult.ok),
  }),
  markTicketSeen: t.field({
    type: ticketResult.union,
    description: 'Clears the unread marker for you.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => okOrError(await ctx.services.ticketWork.markSeen(ctx.viewer!, String(id)), ticketResult.ok),
  }),
  retryTicketMessage: t.field({
    type: replyResult.union,
    description: 'Sends a FAILED reply again, with a fresh set of attempts.',
    args: { messageId: t.arg.id({ required: true, description: 'The TicketMessage id.' }) },
    resolve: async (_r, { messageId }, ctx) => okOrError(await ctx.services.ticketReplies.retry(ctx.viewer!, String(messageId)), replyResult.ok),
  }),
}));
