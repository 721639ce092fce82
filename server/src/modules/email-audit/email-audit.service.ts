import { and, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { emailAudit, emailPreference, messages, type EmailOutcome } from '../../db/schema.js';
import { ValidationError } from '../../lib/errors.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { loadEmailPreference } from '../settings/settings.service.js';
import { isUuid } from '../../lib/uuid.js';

export type EmailAuditRow = typeof emailAudit.$inferSelect;

const encode = (row: { seq: number }) => Buffer.from(`a:${row.seq}`).toString('base64url');
const decode = (cursor: string) => {
  const m = /^a:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m ? Number(m[1]) : null;
};

export interface AuditFilter { serverId?: string | null; outcome?: EmailOutcome | null; since?: Date | null; until?: Date | null }

export class EmailAuditService {
  constructor(private readonly db: Db) {}

  async list(filter: AuditFilter, first: number, after?: string | null) {
    const limit = Math.min(Math.max(first, 1), 500);
    const where: SQL[] = [];
    if (filter.serverId) where.push(eq(emailAudit.serverId, filter.serverId));
    if (filter.outcome) where.push(eq(emailAudit.outcome, filter.outcome));
    if (filter.since) where.push(gte(emailAudit.at, filter.since));
    if (filter.until) where.push(lte(emailAudit.at, filter.until));
    const cursor = after ? decode(after) : null;
    if (cursor !== null) where.push(lt(emailAudit.seq, cursor));
    const rows = await this.db.select().from(emailAudit).where(and(...where)).orderBy(desc(emailAudit.seq)).limit(limit + 1);
    const page = rows.slice(0, limit);
    return {
      edges: page.map((node) => ({ cursor: encode(node), node })),
      pageInfo: { hasNextPage: rows.length > limit, endCursor: page.length ? encode(page[page.length - 1]!) : null },
    };
  }

  async raw(auditId: string): Promise<{ raw: Buffer; messageId: string | null } | null> {
    if (!isUuid(auditId)) return null;
    const [row] = await this.db
      .select({ raw: messages.raw, messageId: messages.messageId })
      .from(emailAudit)
      .innerJoin(messages, eq(messages.id, emailAudit.messageRowId))
      .where(eq(emailAudit.id, auditId));
    // A deleted quarantined message keeps its row but not its content.
    return row && row.raw.length ? row : null;
  }

  preference() {
    return loadEmailPreference(this.db);
  }

  async updatePreference(
    input: {
      emailToTicket?: boolean | null; duplicateWindowMinutes?: number | null; maxMessageBytes?: number | null;
      perSenderHourlyCap?: number | null; quarantineRetentionDays?: number | null; maxAttachmentBytes?: number | null;
    },
    actorUserId: string | null,
  ) {
    const errors: { path: string[]; message: string }[] = [];
    if (input.duplicateWindowMinutes != null && (input.duplicateWindowMinutes < 0 || input.duplicateWindowMinutes > 10080)) {
      errors.push({ path: ['duplicateWindowMinutes'], message: 'Between 0 and 10080 minutes (one week)' });
    }
    if (input.maxMessageBytes != null && (input.maxMessageBytes < 1024 || input.maxMessageBytes > 150 * 1024 * 1024)) {
      errors.push({ path: ['maxMessageBytes'], message: 'Between 1 KB and 150 MB' });
    }
    if (input.perSenderHourlyCap != null && (input.perSenderHourlyCap < 1 || input.perSenderHourlyCap > 10000)) {
      errors.push({ path: ['perSenderHourlyCap'], message: 'Between 1 and 10000 tickets per hour' });
    }
    if (input.quarantineRetentionDays != null && (input.quarantineRetentionDays < 1 || input.quarantineRetentionDays > 3650)) {
      errors.push({ path: ['quarantineRetentionDays'], message: 'Between 1 and 3650 days' });
    }
    if (input.maxAttachmentBytes != null && (input.maxAttachmentBytes < 1024 || input.maxAttachmentBytes > 150 * 1024 * 1024)) {
      errors.push({ path: ['maxAttachmentBytes'], message: 'Between 1 KB and 150 MB' });
    }
    if (errors.length) return ValidationError.of(errors);
    const before = await loadEmailPreference(this.db);
    return this.db.transaction(async (tx) => {
      const [after] = await tx
        .update(emailPreference)
        .set({
          emailToTicket: input.emailToTicket ?? before.emailToTicket,
          duplicateWindowMinutes: input.duplicateWindowMinutes ?? before.duplicateWindowMinutes,
          maxMessageBytes: input.maxMessageBytes ?? before.maxMessageBytes,
          perSenderHourlyCap: input.perSenderHourlyCap ?? before.perSenderHourlyCap,
          quarantineRetentionDays: input.quarantineRetentionDays ?? before.quarantineRetentionDays,
          maxAttachmentBytes: input.maxAttachmentBytes ?? before.maxAttachmentBytes,
          updatedAt: new Date(),
        })
        .where(eq(emailPreference.id, 1))
        .returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'EmailPreference', entityId: '1', action: 'UPDATE', before, after });
      return after!;
    });
  }
}
