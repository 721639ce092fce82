import { and, desc, eq, gte, lt, lte, or, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { emailAudit, emailPreference, messages, type EmailOutcome } from '../../db/schema.js';
import { ValidationError } from '../../graphql/errors.js';
import type { IngestService } from '../../ingest/ingest.service.js';
import { isUuid } from '../incoming-servers/incoming-server.service.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';

export type EmailAuditRow = typeof emailAudit.$inferSelect;

const encode = (row: { at: Date; id: string }) => Buffer.from(`${row.at.toISOString()}|${row.id}`).toString('base64url');
const decode = (cursor: string) => {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const date = new Date(at ?? '');
  return id && isUuid(id) && !Number.isNaN(date.getTime()) ? { at: date, id } : null;
};

export interface AuditFilter { serverId?: string | null; outcome?: EmailOutcome | null; since?: Date | null; until?: Date | null }

export class EmailAuditService {
  constructor(private readonly db: Db, private readonly ingest: IngestService) {}

  async list(filter: AuditFilter, first: number, after?: string | null) {
    const limit = Math.min(Math.max(first, 1), 500);
    const where: SQL[] = [];
    if (filter.serverId) where.push(eq(emailAudit.serverId, filter.serverId));
    if (filter.outcome) where.push(eq(emailAudit.outcome, filter.outcome));
    if (filter.since) where.push(gte(emailAudit.at, filter.since));
    if (filter.until) where.push(lte(emailAudit.at, filter.until));
    const cursor = after ? decode(after) : null;
    if (cursor) where.push(or(lt(emailAudit.at, cursor.at), and(eq(emailAudit.at, cursor.at), lt(emailAudit.id, cursor.id)))!);
    const rows = await this.db.select().from(emailAudit).where(and(...where)).orderBy(desc(emailAudit.at), desc(emailAudit.id)).limit(limit + 1);
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
    return row ?? null;
  }

  preference() {
    return this.ingest.preference();
  }

  async updatePreference(input: { emailToTicket?: boolean | null; duplicateWindowMinutes?: number | null; maxMessageBytes?: number | null }, actorUserId: string | null) {
    const errors = [];
    if (input.duplicateWindowMinutes != null && (input.duplicateWindowMinutes < 0 || input.duplicateWindowMinutes > 10080)) {
      errors.push({ path: ['duplicateWindowMinutes'], message: 'Between 0 and 10080 minutes (one week)' });
    }
    if (input.maxMessageBytes != null && (input.maxMessageBytes < 1024 || input.maxMessageBytes > 150 * 1024 * 1024)) {
      errors.push({ path: ['maxMessageBytes'], message: 'Between 1 KB and 150 MB' });
    }
    if (errors.length) return ValidationError.of(errors);
    const before = await this.ingest.preference();
    return this.db.transaction(async (tx) => {
      const [after] = await tx
        .update(emailPreference)
        .set({
          emailToTicket: input.emailToTicket ?? before.emailToTicket,
          duplicateWindowMinutes: input.duplicateWindowMinutes ?? before.duplicateWindowMinutes,
          maxMessageBytes: input.maxMessageBytes ?? before.maxMessageBytes,
          updatedAt: new Date(),
        })
        .where(eq(emailPreference.id, 1))
        .returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'EmailPreference', entityId: '1', action: 'UPDATE', before, after });
      return after!;
    });
  }
}
