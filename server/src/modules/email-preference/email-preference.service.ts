import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { emailPreference, incomingServers, outgoingServers, type EmailPreferenceRow } from '../../db/schema.js';
import {
  DEFAULT_ACKNOWLEDGMENT_BODY, DEFAULT_ACKNOWLEDGMENT_SUBJECT, renderAcknowledgment, storedTemplate, templateProblems,
} from '../../ingest/steps/acknowledge-template.js';
import { ValidationError, type FieldError } from '../../lib/errors.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { loadEmailPreference } from '../settings/settings.service.js';

export interface EmailPreferenceInput {
  emailToTicket?: boolean | null; duplicateWindowMinutes?: number | null; maxMessageBytes?: number | null;
  perSenderHourlyCap?: number | null; quarantineRetentionDays?: number | null; maxAttachmentBytes?: number | null;
  reopenWindowDays?: number | null;
  /** true / false; null: automatic (on once any technician group has members); undefined: unchanged. */
  technicianGroupScoping?: boolean | null;
  /** "" goes back to the built-in text; null or omitted keeps what is stored. */
  acknowledgmentSubject?: string | null; acknowledgmentBody?: string | null;
}

const RANGES = [
  { key: 'duplicateWindowMinutes', min: 0, max: 10080, message: 'Between 0 and 10080 minutes (one week)' },
  { key: 'maxMessageBytes', min: 1024, max: 150 * 1024 * 1024, message: 'Between 1 KB and 150 MB' },
  { key: 'perSenderHourlyCap', min: 1, max: 10000, message: 'Between 1 and 10000 tickets per hour' },
  { key: 'quarantineRetentionDays', min: 1, max: 3650, message: 'Between 1 and 3650 days' },
  { key: 'maxAttachmentBytes', min: 1024, max: 150 * 1024 * 1024, message: 'Between 1 KB and 150 MB' },
  { key: 'reopenWindowDays', min: 0, max: 3650, message: 'Between 0 and 3650 days' },
] as const;

/** The email preference: what Mailroom does with mail (SPEC §4) and the words of its acknowledgment. */
export class EmailPreferenceService {
  /** `saved`: after a committed change (the settings service's cached copy is dropped). */
  constructor(private readonly db: Db, private readonly saved: () => void = () => {}) {}

  get(): Promise<EmailPreferenceRow> {
    return loadEmailPreference(this.db);
  }

  async update(input: EmailPreferenceInput, actorUserId: string | null): Promise<EmailPreferenceRow | ValidationError> {
    const errors: FieldError[] = [];
    for (const { key, min, max, message } of RANGES) {
      const value = input[key];
      if (value != null && (value < min || value > max)) errors.push({ path: [key], message });
    }
    errors.push(...templateErrors(input));
    if (errors.length) return ValidationError.of(errors);
    const before = await loadEmailPreference(this.db);
    const after = await this.db.transaction(async (tx) => {
      const [after] = await tx
        .update(emailPreference)
        .set({
          emailToTicket: input.emailToTicket ?? before.emailToTicket,
          duplicateWindowMinutes: input.duplicateWindowMinutes ?? before.duplicateWindowMinutes,
          maxMessageBytes: input.maxMessageBytes ?? before.maxMessageBytes,
          perSenderHourlyCap: input.perSenderHourlyCap ?? before.perSenderHourlyCap,
          quarantineRetentionDays: input.quarantineRetentionDays ?? before.quarantineRetentionDays,
          maxAttachmentBytes: input.maxAttachmentBytes ?? before.maxAttachmentBytes,
          reopenWindowDays: input.reopenWindowDays ?? before.reopenWindowDays,
          // Absent keeps the switch; an explicit null makes it automatic again.
          technicianGroupScoping: input.technicianGroupScoping === undefined ? before.technicianGroupScoping : input.technicianGroupScoping,
          acknowledgmentSubject: input.acknowledgmentSubject == null ? before.acknowledgmentSubject : storedTemplate(input.acknowledgmentSubject, 'subject'),
          acknowledgmentBody: input.acknowledgmentBody == null ? before.acknowledgmentBody : storedTemplate(input.acknowledgmentBody, 'body'),
          updatedAt: new Date(),
        })
        .where(eq(emailPreference.id, 1))
        .returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'EmailPreference', entityId: '1', action: 'UPDATE', before, after });
      return after!;
    });
    this.saved();
    return after;
  }

  /**
   * Templates filled in as a customer would read them: a sample request to the primary mailbox,
   * sent with the primary outgoing server's From name.
   */
  async previewAcknowledgment(templates: { subject?: string | null; body?: string | null }): Promise<{ subject: string; body: string } | ValidationError> {
    const errors = templateErrors({ acknowledgmentSubject: templates.subject, acknowledgmentBody: templates.body });
    if (errors.length) return ValidationError.of(errors);
    const stored = await this.get();
    const [mailbox] = await this.db.select({ name: incomingServers.name, email: incomingServers.email }).from(incomingServers).where(eq(incomingServers.primary, true));
    const [outgoing] = await this.db.select({ fromName: outgoingServers.fromName }).from(outgoingServers).where(and(eq(outgoingServers.primary, true)));
    const rendered = renderAcknowledgment(
      {
        subject: templates.subject == null ? stored.acknowledgmentSubject : storedTemplate(templates.subject, 'subject'),
        body: templates.body == null ? stored.acknowledgmentBody : storedTemplate(templates.body, 'body'),
      },
      {
        ticketNumber: 42,
        subject: 'Printer on fire',
        requester: { address: 'ada@customer.example', name: 'Ada Lovelace' },
        mailbox: mailbox ?? { name: 'Support', email: 'support@example.com' },
        senderName: outgoing?.fromName ?? 'Example Support',
      },
    );
    return { subject: rendered.subject, body: rendered.text };
  }
}

/** The templates as they are used: the stored ones, or the built-in text. */
export function effectiveTemplates(row: EmailPreferenceRow): { subject: string; body: string } {
  return { subject: row.acknowledgmentSubject ?? DEFAULT_ACKNOWLEDGMENT_SUBJECT, body: row.acknowledgmentBody ?? DEFAULT_ACKNOWLEDGMENT_BODY };
}

function templateErrors(input: { acknowledgmentSubject?: string | null; acknowledgmentBody?: string | null }): FieldError[] {
  return [
    ...(input.acknowledgmentSubject == null ? [] : templateProblems(input.acknowledgmentSubject, 'subject').map((message) => ({ path: ['acknowledgmentSubject'], message }))),
    ...(input.acknowledgmentBody == null ? [] : templateProblems(input.acknowledgmentBody, 'body').map((message) => ({ path: ['acknowledgmentBody'], message }))),
  ];
}
