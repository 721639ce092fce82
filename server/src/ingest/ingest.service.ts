import { eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { emailAudit, emailPreference, messages, requesters, tickets, type EmailOutcome } from '../db/schema.js';
import type { Logger } from '../lib/logger.js';
import type { PubSub } from '../lib/pubsub.js';
import type { IncomingServerRow } from '../modules/incoming-servers/incoming-server.service.js';
import { DEFAULT_LIMITS, checkLimits } from './limits.js';
import { ParseError, contentHash, parseMessage, type ParsedMessage } from './parse.js';
import { sanitizeMailHtml } from './sanitize.js';

/** One fetched message. `sourceKey` names where it came from (server + UIDVALIDITY + UID, UIDL, item id). */
export interface IncomingItem {
  sourceKey: string;
  raw: Buffer;
}

export interface IngestOutcome {
  sourceKey: string;
  /** null when the message had been ingested already (a re-fetch after a crash). */
  outcome: EmailOutcome | null;
  reason: string | null;
  ticketId: string | null;
}

type Prepared = { item: IncomingItem; hash: string } & ({ parsed: ParsedMessage; problem: null } | { parsed: ParsedMessage | null; problem: string });

export type EmailPreferenceRow = typeof emailPreference.$inferSelect;

/**
 * The orchestrator of SPEC §4: prepares (limits, parse) outside the transaction, then decides and
 * persists a whole batch in one transaction together with the caller's checkpoint, and publishes
 * only after the commit. The unique `messages.source_key` makes a re-fetched message a no-op.
 */
export class IngestService {
  constructor(readonly db: Db, private readonly pubsub: PubSub, private readonly logger: Logger) {}

  async preference(q: Db | Tx = this.db): Promise<EmailPreferenceRow> {
    const [row] = await q.select().from(emailPreference).where(eq(emailPreference.id, 1));
    if (row) return row;
    await q.insert(emailPreference).values({ id: 1 }).onConflictDoNothing();
    return (await q.select().from(emailPreference).where(eq(emailPreference.id, 1)))[0]!;
  }

  async committedSourceKeys(keys: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += 1000) {
      const rows = await this.db.select({ key: messages.sourceKey }).from(messages).where(inArray(messages.sourceKey, keys.slice(i, i + 1000)));
      for (const r of rows) found.add(r.key);
    }
    return found;
  }

  async ingestBatch(server: IncomingServerRow, items: IncomingItem[], checkpoint?: (tx: Tx) => Promise<void>): Promise<IngestOutcome[]> {
    const pref = await this.preference();
    const limits = { ...DEFAULT_LIMITS, maxMessageBytes: pref.maxMessageBytes };
    const prepared = await Promise.all(items.map((item) => this.prepare(item, limits)));

    let outcomes: IngestOutcome[];
    try {
      outcomes = await this.db.transaction(async (tx) => {
        const results: IngestOutcome[] = [];
        for (const p of prepared) results.push(await this.persist(tx, server, p, pref));
        if (checkpoint) await checkpoint(tx);
        return results;
      });
    } catch (err) {
      if (prepared.length === 1) outcomes = [await this.recordFailure(server, prepared[0]!, err, checkpoint)];
      else {
        // One bad message must not block the batch: retry them one by one so only the culprit fails.
        this.logger.warn({ err, serverId: server.id }, 'batch failed; retrying message by message');
        outcomes = [];
        for (const [i, item] of items.entries()) {
          outcomes.push(...(await this.ingestBatch(server, [item], i === items.length - 1 ? checkpoint : undefined)));
        }
        return outcomes;
      }
    }

    for (const o of outcomes) {
      if (o.outcome === 'TICKET_CREATED' && o.ticketId) await this.pubsub.publish('ticketCreated', o.ticketId);
      if (o.outcome === 'QUARANTINED') this.logger.warn({ serverId: server.id, sourceKey: o.sourceKey, reason: o.reason }, 'message quarantined');
    }
    return outcomes;
  }

  /**
   * Records FAILED with the raw message kept. If the database itself is down this throws too,
   * and the connector retries the message later instead of skipping it.
   */
  private async recordFailure(server: IncomingServerRow, p: Prepared, err: unknown, checkpoint?: (tx: Tx) => Promise<void>): Promise<IngestOutcome> {
    const reason = `processing failed: ${(err as Error).message ?? String(err)}`.slice(0, 1000);
    this.logger.error({ err, serverId: server.id, sourceKey: p.item.sourceKey }, 'message processing failed');
    return this.db.transaction(async (tx) => {
      const [message] = await tx
        .insert(messages)
        .values({ serverId: server.id, sourceKey: p.item.sourceKey, contentHash: p.hash, rawSize: p.item.raw.length, raw: p.item.raw,
          messageId: p.parsed?.messageId ?? null, fromAddress: p.parsed?.from?.address ?? null, subject: p.parsed?.subject ?? null })
        .onConflictDoNothing({ target: messages.sourceKey })
        .returning({ id: messages.id });
      if (message) {
        await tx.insert(emailAudit).values({ serverId: server.id, messageRowId: message.id, messageId: p.parsed?.messageId ?? null,
          fromAddress: p.parsed?.from?.address ?? null, subject: p.parsed?.subject ?? null, outcome: 'FAILED', reason });
      }
      if (checkpoint) await checkpoint(tx);
      return { sourceKey: p.item.sourceKey, outcome: message ? 'FAILED' : null, reason, ticketId: null };
    });
  }

  private async prepare(item: IncomingItem, limits: typeof DEFAULT_LIMITS): Promise<Prepared> {
    const hash = contentHash(item.raw);
    const overLimit = checkLimits(item.raw, limits);
    if (overLimit) return { item, hash, parsed: null, problem: overLimit };
    try {
      const parsed = await parseMessage(item.raw);
      if (!parsed.from) return { item, hash, parsed, problem: 'no sender address (From) in the message' };
      return { item, hash, parsed, problem: null };
    } catch (err) {
      if (err instanceof ParseError) return { item, hash, parsed: null, problem: err.message };
      throw err;
    }
  }

  private async persist(tx: Tx, server: IncomingServerRow, p: Prepared, pref: EmailPreferenceRow): Promise<IngestOutcome> {
    const parsed = p.parsed;
    const [message] = await tx
      .insert(messages)
      .values({
        serverId: server.id,
        sourceKey: p.item.sourceKey,
        messageId: parsed?.messageId ?? null,
        contentHash: p.hash,
        fromAddress: parsed?.from?.address ?? null,
        fromName: parsed?.from?.name ?? null,
        subject: parsed?.subject ?? null,
        bodyText: parsed?.text ?? null,
        bodyHtml: parsed?.html ? sanitizeMailHtml(parsed.html) : null,
        sentAt: parsed?.date ?? null,
        rawSize: p.item.raw.length,
        raw: p.item.raw,
      })
      .onConflictDoNothing({ target: messages.sourceKey })
      .returning({ id: messages.id, bodyHtml: messages.bodyHtml });
    if (!message) return { sourceKey: p.item.sourceKey, outcome: null, reason: null, ticketId: null };

    const audit = async (outcome: EmailOutcome, reason: string | null, ticketId: string | null = null): Promise<IngestOutcome> => {
      await tx.insert(emailAudit).values({
        serverId: server.id,
        messageRowId: message.id,
        messageId: parsed?.messageId ?? null,
        fromAddress: parsed?.from?.address ?? null,
        subject: parsed?.subject ?? null,
        outcome,
        reason,
        ticketId,
      });
      return { sourceKey: p.item.sourceKey, outcome, reason, ticketId };
    };

    if (!pref.emailToTicket) return audit('EMAIL_TO_TICKET_DISABLED', 'Email to Ticket is turned off in the email preference');
    if (p.problem !== null || !parsed?.from) return audit('QUARANTINED', p.problem ?? 'no sender address');

    await tx.insert(requesters).values({ email: parsed.from.address, name: parsed.from.name }).onConflictDoNothing();
    const [requester] = await tx.select({ id: requesters.id }).from(requesters).where(sql`lower(${requesters.email}) = lower(${parsed.from.address})`);
    const [ticket] = await tx
      .insert(tickets)
      .values({
        subject: parsed.subject || '(no subject)',
        description: parsed.text,
        descriptionHtml: message.bodyHtml,
        requesterId: requester!.id,
        technicianGroupId: server.technicianGroupId,
        categoryId: server.categoryId,
        companyId: server.companyId,
        incomingServerId: server.id,
      })
      .returning({ id: tickets.id, number: tickets.number });
    await tx.update(messages).set({ ticketId: ticket!.id }).where(eq(messages.id, message.id));
    return audit('TICKET_CREATED', `created REQ-${ticket!.number}`, ticket!.id);
  }
}
