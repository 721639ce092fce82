import { and, desc, eq, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db, Queryable } from '../../db/client.js';
import { emailPreference, messages, quarantine, users, type EmailOutcome } from '../../db/schema.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { headerSummary } from '../../ingest/mime/summary.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { isUuid } from '../../lib/uuid.js';

export type QuarantineRow = typeof quarantine.$inferSelect;
export type QuarantineResolution = NonNullable<QuarantineRow['resolution']>;

export interface QuarantineEntry extends QuarantineRow {
  messageId: string | null;
  fromAddress: string | null;
  subject: string | null;
  rawSize: number;
  /** False once the raw message was deleted. */
  rawAvailable: boolean;
}

export interface ReprocessResult { outcome: EmailOutcome; reason: string; ticketId: string | null }

/**
 * The ingest pipeline, run again on a stored message; `force` creates the ticket whatever the
 * checks say (release). `within` runs in the pipeline's transaction, after its writes.
 */
export interface Reprocessor {
  reprocess(messageRowId: string, opts: { force: boolean; within?: (tx: Queryable, result: ReprocessResult) => Promise<void> }): Promise<ReprocessResult>;
}

export interface QuarantineActionResult {
  entry: QuarantineEntry;
  outcome: EmailOutcome | null;
  ticketId: string | null;
  /** What happened, in words: "Created REQ-12: …", "Still held: …". */
  message: string;
}

const OUTCOME_WORDS: Record<EmailOutcome, string> = {
  TICKET_CREATED: 'Request created', APPENDED: 'Added to a request', QUARANTINED: 'Still held', FAILED: 'Still held (processing failed)',
  FILTERED: 'Not a request: filtered out', AUTO_REPLY: 'Not a request: an automatic reply or bounce', LOOP_SUSPECTED: 'Not a request: a mail loop',
  DUPLICATE: 'Not a new request: a duplicate', EMAIL_TO_TICKET_DISABLED: 'Not a request: Email to Ticket is turned off',
};

/** One sentence for the admin who pressed Reprocess or Release. */
export function describeResult(result: ReprocessResult): string {
  const created = /^created (REQ-\d+)(?::\s*)?(.*)$/.exec(result.reason);
  if (result.outcome === 'TICKET_CREATED' && created) return `Created ${created[1]}${created[2] ? `: ${created[2]}` : ''}.`;
  return `${OUTCOME_WORDS[result.outcome] ?? result.outcome}: ${result.reason}.`;
}

const ENTITY = 'QuarantinedMessage';
const STILL_HELD: readonly (EmailOutcome | null)[] = ['QUARANTINED', 'FAILED'];

/** For the ingest transaction: keep these messages (their raw is in `messages`) for an admin to look at. */
export async function recordQuarantine(q: Queryable, entries: readonly { messageRowId: string; serverId: string | null; reason: string }[]): Promise<void> {
  if (!entries.length) return;
  await q.insert(quarantine).values(entries.map((e) => ({ messageRowId: e.messageRowId, serverId: e.serverId, reason: e.reason.slice(0, 1000) })));
}

const entryColumns = {
  id: quarantine.id, messageRowId: quarantine.messageRowId, serverId: quarantine.serverId, reason: quarantine.reason,
  createdAt: quarantine.createdAt, resolvedAt: quarantine.resolvedAt, resolution: quarantine.resolution, resolvedByUserId: quarantine.resolvedByUserId,
  messageId: messages.messageId, fromAddress: messages.fromAddress, subject: messages.subject, rawSize: messages.rawSize,
  rawAvailable: sql<boolean>`octet_length(${messages.raw}) > 0`,
};

/** SPEC §4 step 2 and issue 4 item 8: what the pipeline could not handle, kept raw until an admin decides. */
export class QuarantineService {
  private readonly inFlight = new Set<string>();

  constructor(private readonly db: Db, private readonly reprocessor: Reprocessor | null, private readonly logger?: Logger) {}

  async list(opts: { includeResolved?: boolean | null; serverId?: string | null; first?: number | null } = {}): Promise<QuarantineEntry[]> {
    const where = [];
    if (!opts.includeResolved) where.push(isNull(quarantine.resolvedAt));
    if (opts.serverId && isUuid(opts.serverId)) where.push(eq(quarantine.serverId, opts.serverId));
    const rows = await this.db
      .select(entryColumns)
      .from(quarantine)
      .innerJoin(messages, eq(messages.id, quarantine.messageRowId))
      .where(and(...where))
      .orderBy(desc(quarantine.createdAt), desc(quarantine.id))
      .limit(Math.min(Math.max(opts.first ?? 100, 1), 500));
    return this.withRawHeaders(rows);
  }

  async get(id: string, q: Queryable = this.db): Promise<QuarantineEntry | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await q.select(entryColumns).from(quarantine).innerJoin(messages, eq(messages.id, quarantine.messageRowId)).where(eq(quarantine.id, id));
    return (await this.withRawHeaders(rows, q))[0];
  }

  /**
   * Subject and sender read from the stored raw headers for entries that have neither (a
   * message the parser gave up on, stored before they were kept): only the head of the raw
   * message is read.
   */
  private async withRawHeaders(rows: QuarantineEntry[], q: Queryable = this.db): Promise<QuarantineEntry[]> {
    const blind = rows.filter((r) => r.rawAvailable && r.subject === null && r.fromAddress === null);
    if (!blind.length) return rows;
    const heads = await q
      .select({ id: messages.id, head: sql<Buffer>`substring(${messages.raw} from 1 for 65536)` })
      .from(messages)
      .where(inArray(messages.id, blind.map((r) => r.messageRowId)));
    const byId = new Map(heads.map((h) => [h.id, headerSummary(Buffer.from(h.head))]));
    return rows.map((r) => {
      const summary = byId.get(r.messageRowId);
      if (!summary) return r;
      return { ...r, subject: summary.subject, fromAddress: summary.from?.address ?? null, messageId: r.messageId ?? summary.messageId };
    });
  }

  async raw(id: string): Promise<{ raw: Buffer; messageId: string | null } | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.db
      .select({ raw: messages.raw, messageId: messages.messageId })
      .from(quarantine)
      .innerJoin(messages, eq(messages.id, quarantine.messageRowId))
      .where(eq(quarantine.id, id));
    return row && row.raw.length ? row : null;
  }

  /** Who resolved an entry. */
  async user(id: string) {
    const [row] = await this.db.select().from(users).where(eq(users.id, id));
    return row;
  }

  /** Runs the message through the pipeline again, checks included. */
  reprocessQuarantined(id: string, actorUserId: string | null): Promise<QuarantineActionResult | NotFoundError | ValidationError> {
    return this.runAgain(id, actorUserId, false);
  }

  /** "Create the ticket anyway": the pipeline again with its refusals overridden. */
  releaseQuarantined(id: string, actorUserId: string | null): Promise<QuarantineActionResult | NotFoundError | ValidationError> {
    return this.runAgain(id, actorUserId, true);
  }

  /** Deletes the raw message and closes the entry. The message row stays as the idempotency key, so the mailbox does not hand it to us again. */
  async deleteQuarantined(id: string, actorUserId: string | null): Promise<QuarantineActionResult | NotFoundError | ValidationError> {
    const before = await this.get(id);
    if (!before) return new NotFoundError('No such quarantined message');
    if (before.resolvedAt) return new ValidationError(`This message was already ${before.resolution?.toLowerCase() ?? 'resolved'}`);
    const entry = await this.db.transaction(async (tx) => {
      const [closed] = await tx
        .update(quarantine)
        .set({ resolvedAt: new Date(), resolution: 'DELETED', resolvedByUserId: actorUserId })
        .where(and(eq(quarantine.id, id), isNull(quarantine.resolvedAt)))
        .returning({ id: quarantine.id });
      if (!closed) return null;
      await wipeRaw(tx, [before.messageRowId]);
      const after = (await this.get(id, tx))!;
      await recordConfigChange(tx, { actorUserId, entityType: ENTITY, entityId: id, action: 'DELETE', before: describe(before), after: describe(after) });
      return after;
    });
    if (!entry) return new ValidationError('This message was resolved by someone else meanwhile');
    return { entry, outcome: null, ticketId: null, message: 'Raw message deleted.' };
  }

  /**
   * Retention (email preference `quarantineRetentionDays`): entries resolved, or still open,
   * for longer than that are removed, and so is the raw message of any that made no ticket.
   */
  async purgeExpired(now: Date = new Date()): Promise<number> {
    const [pref] = await this.db.select({ days: emailPreference.quarantineRetentionDays }).from(emailPreference).where(eq(emailPreference.id, 1));
    const days = pref?.days ?? 30;
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    const purged = await this.db.transaction(async (tx) => {
      const expired = await tx
        .delete(quarantine)
        .where(or(and(isNotNull(quarantine.resolvedAt), lt(quarantine.resolvedAt, cutoff)), and(isNull(quarantine.resolvedAt), lt(quarantine.createdAt, cutoff))))
        .returning({ messageRowId: quarantine.messageRowId });
      if (expired.length) {
        const ids = [...new Set(expired.map((e) => e.messageRowId))];
        const stillHeld = new Set((await tx.select({ id: quarantine.messageRowId }).from(quarantine).where(inArray(quarantine.messageRowId, ids))).map((r) => r.id));
        await wipeRaw(tx, ids.filter((m) => !stillHeld.has(m)));
      }
      return expired.length;
    });
    if (purged) this.logger?.info({ purged, retentionDays: days }, 'purged expired quarantine entries');
    return purged;
  }

  private async runAgain(id: string, actorUserId: string | null, force: boolean): Promise<QuarantineActionResult | NotFoundError | ValidationError> {
    const before = await this.get(id);
    if (!before) return new NotFoundError('No such quarantined message');
    if (before.resolvedAt) return new ValidationError(`This message was already ${before.resolution?.toLowerCase() ?? 'resolved'}`);
    if (!before.rawAvailable) return new ValidationError('The raw message is no longer stored');
    if (!this.reprocessor || typeof this.reprocessor.reprocess !== 'function') return new ValidationError('Reprocessing is not available in this version of Mailroom');
    if (this.inFlight.has(id)) return new ValidationError('This message is being processed already');
    this.inFlight.add(id);
    try {
      const resolution: QuarantineResolution = force ? 'RELEASED' : 'REPROCESSED';
      let resolved = false;
      let result: ReprocessResult;
      try {
        result = await this.reprocessor.reprocess(before.messageRowId, {
          force,
          // Closed in the pipeline's own transaction: a ticket and a still-open entry never coexist.
          within: async (tx, outcome) => {
            if (STILL_HELD.includes(outcome.outcome)) return;
            const [closed] = await tx
              .update(quarantine)
              .set({ resolvedAt: new Date(), resolution, resolvedByUserId: actorUserId })
              .where(and(eq(quarantine.id, id), isNull(quarantine.resolvedAt)))
              .returning({ id: quarantine.id });
            if (!closed) throw new ValidationError('This message was resolved by someone else meanwhile');
            resolved = true;
            const after = (await this.get(id, tx))!;
            await recordConfigChange(tx, {
              actorUserId, entityType: ENTITY, entityId: id, action: 'UPDATE',
              before: describe(before), after: { ...describe(after), outcome: outcome.outcome, ticketId: outcome.ticketId },
            });
          },
        });
      } catch (err) {
        if (err instanceof ValidationError) return err;
        this.logger?.error({ err, quarantineId: id }, 'reprocessing a quarantined message failed');
        return new ValidationError('Processing failed again; the message stays in quarantine (the server log has the details)');
      }
      const entry = (await this.get(id))!;
      const message = resolved || !STILL_HELD.includes(result.outcome) ? describeResult(result) : `Still held: ${entry.reason}.`;
      return { entry, outcome: result.outcome, ticketId: result.ticketId, message };
    } finally {
      this.inFlight.delete(id);
    }
  }
}

async function wipeRaw(q: Queryable, messageRowIds: string[]): Promise<void> {
  if (!messageRowIds.length) return;
  // Only messages that became no ticket: a ticket's raw message is part of the ticket.
  await q
    .update(messages)
    .set({ raw: Buffer.alloc(0), bodyText: null, bodyHtml: null })
    .where(and(inArray(messages.id, messageRowIds), isNull(messages.ticketId)));
}

function describe(e: QuarantineEntry) {
  return {
    reason: e.reason, serverId: e.serverId, messageId: e.messageId, fromAddress: e.fromAddress, subject: e.subject,
    resolvedAt: e.resolvedAt, resolution: e.resolution, resolvedByUserId: e.resolvedByUserId,
  };
}
