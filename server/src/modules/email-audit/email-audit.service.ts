import { and, asc, desc, eq, gte, ilike, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { emailAudit, messages, type EmailOutcome } from '../../db/schema.js';
import { isUuid } from '../../lib/uuid.js';

export type EmailAuditRow = typeof emailAudit.$inferSelect;

const encode = (row: { seq: number }) => Buffer.from(`a:${row.seq}`).toString('base64url');
const decode = (cursor: string) => {
  const m = /^a:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m ? Number(m[1]) : null;
};

export interface AuditFilter {
  serverId?: string | null; outcome?: EmailOutcome | null; since?: Date | null; until?: Date | null;
  /** Part of the sender's address, the subject or the Message-ID, case-insensitive. */
  search?: string | null;
}

/** LIKE's own characters taken literally, so a search for "50%" finds "50%". */
const likeEscaped = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The filter as SQL, for listing and for deciding whether a new entry belongs to a live list. */
export function auditConditions(filter: AuditFilter): SQL[] {
  const where: SQL[] = [];
  // A malformed id names no mailbox, as everywhere else (lib/uuid.ts): nothing matches.
  if (filter.serverId) where.push(isUuid(filter.serverId) ? eq(emailAudit.serverId, filter.serverId) : sql`false`);
  if (filter.outcome) where.push(eq(emailAudit.outcome, filter.outcome));
  if (filter.since) where.push(gte(emailAudit.at, filter.since));
  if (filter.until) where.push(lte(emailAudit.at, filter.until));
  const search = filter.search?.trim().replace(/^<(.*)>$/, '$1');
  if (search) {
    const pattern = `%${likeEscaped(search.slice(0, 300))}%`;
    where.push(or(ilike(emailAudit.fromAddress, pattern), ilike(emailAudit.subject, pattern), ilike(emailAudit.messageId, pattern))!);
  }
  return where;
}

export class EmailAuditService {
  constructor(private readonly db: Db) {}

  async list(filter: AuditFilter, first: number, after?: string | null) {
    const limit = Math.min(Math.max(first, 1), 500);
    const where = auditConditions(filter);
    const cursor = after ? decode(after) : null;
    if (cursor !== null) where.push(lt(emailAudit.seq, cursor));
    const rows = await this.db.select().from(emailAudit).where(and(...where)).orderBy(desc(emailAudit.seq)).limit(limit + 1);
    const page = rows.slice(0, limit);
    return {
      edges: page.map((node) => ({ cursor: encode(node), node })),
      pageInfo: { hasNextPage: rows.length > limit, endCursor: page.length ? encode(page[page.length - 1]!) : null },
    };
  }

  async get(id: string): Promise<EmailAuditRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select().from(emailAudit).where(eq(emailAudit.id, id));
    return row;
  }

  /** Entries by id (a live batch), oldest first, narrowed to those `filter` lets through. */
  byIds(ids: string[], filter: AuditFilter = {}): Promise<EmailAuditRow[]> {
    const valid = ids.filter(isUuid);
    if (!valid.length) return Promise.resolve([]);
    return this.db.select().from(emailAudit).where(and(inArray(emailAudit.id, valid), ...auditConditions(filter))).orderBy(asc(emailAudit.seq));
  }

  /** What the stored message says beyond the audit row: its recipients and size. */
  async message(messageRowId: string | null): Promise<{ toAddresses: string[]; ccAddresses: string[]; rawSize: number } | null> {
    if (!messageRowId) return null;
    const [row] = await this.db
      .select({ toAddresses: messages.toAddresses, ccAddresses: messages.ccAddresses, rawSize: messages.rawSize })
      .from(messages)
      .where(eq(messages.id, messageRowId));
    return row ?? null;
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
}
