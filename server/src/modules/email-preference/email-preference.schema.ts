import type { EmailPreferenceRow } from '../../db/schema.js';
import { ACKNOWLEDGMENT_PLACEHOLDERS } from '../../ingest/steps/acknowledge-template.js';
import { builder } from '../../graphql/builder.js';
import { ValidationErrorRef, okOrError, resultUnion } from '../../graphql/errors.js';
import { effectiveTemplates } from './email-preference.service.js';

const PlaceholderRef = builder.objectRef<{ name: string; description: string }>('TemplatePlaceholder').implement({
  fields: (t) => ({ name: t.exposeString('name', { description: 'As written in a template, e.g. {{ticket.number}}.' }), description: t.exposeString('description') }),
});

const EmailPreferenceRef = builder.objectRef<EmailPreferenceRow>('EmailPreference').implement({
  fields: (t) => ({
    emailToTicket: t.exposeBoolean('emailToTicket'),
    duplicateWindowMinutes: t.exposeInt('duplicateWindowMinutes'),
    maxMessageBytes: t.exposeInt('maxMessageBytes'),
    perSenderHourlyCap: t.exposeInt('perSenderHourlyCap', { description: 'Tickets one sender may open per hour; more is treated as a mail loop.' }),
    quarantineRetentionDays: t.exposeInt('quarantineRetentionDays'),
    maxAttachmentBytes: t.exposeInt('maxAttachmentBytes'),
    reopenWindowDays: t.exposeInt('reopenWindowDays', { description: 'A requester\'s reply to a ticket closed longer ago opens a new ticket linked to it.' }),
    technicianGroupScoping: t.boolean({
      description: 'Technicians see only their groups\' tickets (and those assigned to them): the switch as it is now.',
      resolve: (_p, _a, ctx) => ctx.services.tickets.access.scopingOn(),
    }),
    technicianGroupScopingAutomatic: t.boolean({
      description: 'The switch follows whether any technician group has members (technicianGroupScoping: null in the input).',
      resolve: (p) => p.technicianGroupScoping === null,
    }),
    acknowledgmentSubject: t.string({ description: 'The acknowledgment subject template; the ticket reference is added in front when missing.', resolve: (p) => effectiveTemplates(p).subject }),
    acknowledgmentBody: t.string({ description: 'The acknowledgment body template (plain text).', resolve: (p) => effectiveTemplates(p).body }),
    acknowledgmentCustomized: t.boolean({ resolve: (p) => p.acknowledgmentSubject !== null || p.acknowledgmentBody !== null }),
    acknowledgmentPlaceholders: t.field({
      type: [PlaceholderRef],
      resolve: () => Object.entries(ACKNOWLEDGMENT_PLACEHOLDERS).map(([name, description]) => ({ name: `{{${name}}}`, description })),
    }),
  }),
});

const EmailPreferenceInput = builder.inputType('EmailPreferenceInput', {
  fields: (t) => ({
    emailToTicket: t.boolean(),
    duplicateWindowMinutes: t.int(),
    maxMessageBytes: t.int(),
    perSenderHourlyCap: t.int(),
    quarantineRetentionDays: t.int(),
    maxAttachmentBytes: t.int(),
    reopenWindowDays: t.int(),
    technicianGroupScoping: t.boolean({ description: 'true / false; null: automatic (on once any technician group has members); absent: unchanged.' }),
    acknowledgmentSubject: t.string({ description: 'Omit to keep; "" goes back to the built-in text.' }),
    acknowledgmentBody: t.string({ description: 'Omit to keep; "" goes back to the built-in text.' }),
  }),
});

const AcknowledgmentPreviewRef = builder.objectRef<{ subject: string; body: string }>('AcknowledgmentPreview').implement({
  fields: (t) => ({ subject: t.exposeString('subject'), body: t.exposeString('body') }),
});

const preferenceResult = resultUnion('EmailPreference', 'preference', EmailPreferenceRef, [ValidationErrorRef]);
const previewResult = resultUnion('AcknowledgmentPreview', 'preview', AcknowledgmentPreviewRef, [ValidationErrorRef]);
const admin = { manageSupportChannels: true } as const;

builder.queryFields((t) => ({
  emailPreference: t.field({ type: EmailPreferenceRef, authScopes: admin, resolve: (_r, _a, ctx) => ctx.services.emailPreference.get() }),
  acknowledgmentPreview: t.field({
    type: previewResult.union,
    authScopes: admin,
    description: 'The acknowledgment a sample request would get with these templates (omitted: the stored ones).',
    args: { subject: t.arg.string(), body: t.arg.string() },
    resolve: async (_r, args, ctx) => okOrError(await ctx.services.emailPreference.previewAcknowledgment(args), previewResult.ok),
  }),
}));

builder.mutationFields((t) => ({
  updateEmailPreference: t.field({
    type: preferenceResult.union,
    authScopes: admin,
    args: { input: t.arg({ type: EmailPreferenceInput, required: true }) },
    resolve: async (_r, { input }, ctx) => okOrError(await ctx.services.emailPreference.update(input, ctx.viewer!.user.id), preferenceResult.ok),
  }),
}));
