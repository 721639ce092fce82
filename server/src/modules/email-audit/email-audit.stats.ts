import { and, count, eq, gte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { emailAudit, type EmailOutcome } from '../../db/schema.js';
import { isUuid } from '../../lib/uuid.js';

export interface IngestBucket { hour: Date; outcome: EmailOutcome; count: number }

export const MAX_STATS_HOURS = 24 * 31;
const HOUR_MS = 3600_000;

/** Hours are UTC hours, so every process and database session buckets the same way. */
const hourOf = sql`date_trunc('hour', ${emailAudit.at}, 'UTC')`;

/** Messages per hour and outcome, for the ingest chart. */
export class EmailIngestStats {
  constructor(private readonly db: Db, private readonly now: () => Date = () => new Date()) {}

  /**
   * The last `hours` hours including the current one, oldest first; hours and outcomes without
   * mail are left out (the chart fills them with zero). `serverId` null: every server.
   */
  async perHour(serverId: string | null, hours: number): Promise<IngestBucket[]> {
    if (serverId !== null && !isUuid(serverId)) return [];
    const span = Math.min(Math.max(Math.trunc(hours), 1), MAX_STATS_HOURS);
    const since = new Date((Math.floor(this.now().getTime() / HOUR_MS) - (span - 1)) * HOUR_MS);
    const where: SQL[] = [gte(emailAudit.at, since)];
    if (serverId) where.push(eq(emailAudit.serverId, serverId));
    const rows = await this.db
      .select({ hour: hourOf.mapWith((v: string | Date) => new Date(v)), outcome: emailAudit.outcome, count: count() })
      .from(emailAudit)
      .where(and(...where))
      .groupBy(hourOf, emailAudit.outcome)
      .orderBy(hourOf, emailAudit.outcome);
    return rows;
  }
}
