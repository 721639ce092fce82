import { builder } from '../../graphql/builder.js';
import { INLINE_IMAGE_TYPES, attachmentUrl, displayName, type AttachmentRow } from '../../ingest/attachments.js';
import { TicketMessageRef, TicketRef } from '../tickets/ticket.schema.js';

export const AttachmentRef = builder.objectRef<AttachmentRow>('Attachment').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    filename: t.string({ resolve: (a) => displayName(a) }),
    contentType: t.exposeString('contentType'),
    size: t.exposeInt('size'),
    inline: t.boolean({ description: 'Shown in the message body (a cid image) rather than listed.', resolve: (a) => a.inline }),
    url: t.string({ description: 'Download (Content-Disposition: attachment).', resolve: (a) => attachmentUrl(a.id) }),
    inlineUrl: t.string({
      nullable: true,
      description: 'For raster images only: the same content shown inline, as the rewritten cid: links of bodyHtml use it.',
      resolve: (a) => (INLINE_IMAGE_TYPES.has(a.contentType) ? attachmentUrl(a.id, true) : null),
    }),
  }),
});

builder.objectField(TicketRef, 'attachments', (t) =>
  t.field({ type: [AttachmentRef], resolve: (ticket, _a, ctx) => ctx.services.attachments.forTicket(ticket.id) }));

builder.objectField(TicketMessageRef, 'attachments', (t) =>
  t.field({ type: [AttachmentRef], resolve: (message, _a, ctx) => ctx.services.attachments.forMessage(message.id) }));
