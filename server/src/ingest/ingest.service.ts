import { randomUUID } from 'node:crypto';
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

type Prepared = { item: IncomingItem; hash: string; html: string | null } & ({ parsed: ParsedMessage; problem: null } | { parsed: ParsedMessage | null; problem: string });

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
        const results = await this.persistBatch(tx, server, prepared, pref);
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
    if (overLimit) return { item, hash, html: null, parsed: null, problem: overLimit };
    try {
      const parsed = await parseMessage(item.raw);
      const html = parsed.html ? sanitizeMailHtml(parsed.html) : null;
      if (!parsed.from) return { item, hash, html, parsed, problem: 'no sender address (From) in the message' };
      return { item, hash, html, parsed, problem: null };
    } catch (err) {
      if (err instanceof ParseError) return { item, hash, html: null, parsed: null, problem: err.message };
      throw err;
    }
  }

  /**
   * Decides every fresh message of the batch, then writes with a few multi-row statements
   * (requesters, tickets, messages, audit) instead of several statements per message: the
   * commit, not the parse, is what bounds a backlog's ingest rate.
   */
  private async persistBatch(tx: Tx, server: IncomingServerRow, prepared: Prepared[], pref: EmailPreferenceRow): Promise<IngestOutcome[]> {
    const keys = prepared.map((p) => p.item.sourceKey);
    const done = new Set((await tx.select({ key: messages.sourceKey }).from(messages).where(inArray(messages.sourceKey, keys))).map((r) => r.key));
    const outcomes: IngestOutcome[] = [];
    const fresh: { p: Prepared; outcome: EmailOutcome; reason: string | null; ticketId: string | null; messageRowId: string }[] = [];
    for (const p of prepared) {
      if (done.has(p.item.sourceKey)) {
        outcomes.push({ sourceKey: p.item.sourceKey, outcome: null, reason: null, ticketId: null });
        continue;
      }
      done.add(p.item.sourceKey);
      const decided = !pref.emailToTicket
        ? { outcome: 'EMAIL_TO_TICKET_DISABLED' as const, reason: 'Email to Ticket is turned off in the email preference' }
        : p.problem !== null || !p.parsed?.from
          ? { outcome: 'QUARANTINED' as const, reason: p.problem ?? 'no sender address' }
          : { outcome: 'TICKET_CREATED' as const, reason: null };
      fresh.push({ p, ...decided, ticketId: decided.outcome === 'TICKET_CREATED' ? randomUUID() : null, messageRowId: randomUUID() });
    }

    const creates = fresh.filter((f) => f.outcome === 'TICKET_CREATED');
    if (creates.length) {
      const people = new Map<string, string | null>();
      for (const c of creates) {
        const from = c.p.parsed!.from!;
        if (!people.has(from.address) || (!people.get(from.address) && from.name)) people.set(from.address, from.name);
      }
      await tx.insert(requesters).values([...people].map(([email, name]) => ({ email, name }))).onConflictDoNothing();
      const found = await tx
        .select({ id: requesters.id, email: requesters.email })
        .from(requesters)
        .where(inArray(sql`lower(${requesters.email})`, [...people.keys()]));
      const requesterId = new Map(found.map((r) => [r.email.toLowerCase(), r.id]));
      const numbers = await tx
        .insert(tickets)
        .values(creates.map((c) => ({
          id: c.ticketId!,
          subject: c.p.parsed!.subject || '(no subject)',
          description: c.p.parsed!.text,
          descriptionHtml: c.p.html,
          requesterId: requesterId.get(c.p.parsed!.from!.address)!,
          technicianGroupId: server.technicianGroupId,
          categoryId: server.categoryId,
          companyId: server.companyId,
          incomingServerId: server.id,
        })))
        .returning({ id: tickets.id, number: tickets.number });
      const numberOf = new Map(numbers.map((n) => [n.id, n.number]));
      for (const c of creates) c.reason = `created REQ-${numberOf.get(c.ticketId!)}`;
    }

    await insertInChunks(fresh, (f) => f.p.item.raw.length, (chunk) =>
      tx.insert(messages).values(chunk.map((f) => ({
        id: f.messageRowId,
        serverId: server.id,
        sourceKey: f.p.item.sourceKey,
        ticketId: f.ticketId,
        messageId: f.p.parsed?.messageId ?? null,
        inReplyTo: f.p.parsed?.inReplyTo ?? null,
        references: f.p.parsed?.references ?? [],
        toAddresses: f.p.parsed?.to.map((a) => a.address) ?? [],
        ccAddresses: f.p.parsed?.cc.map((a) => a.address) ?? [],
        contentHash: f.p.hash,
        fromAddress: f.p.parsed?.from?.address ?? null,
        fromName: f.p.parsed?.from?.name ?? null,
        subject: f.p.parsed?.subject ?? null,
        bodyText: f.p.parsed?.text ?? null,
        bodyHtml: f.p.html,
        sentAt: f.p.parsed?.date ?? null,
        rawSize: f.p.item.raw.length,
        raw: f.p.item.raw,
      }))),
    );
    if (fresh.length) {
      await tx.insert(emailAudit).values(fresh.map((f) => ({
        serverId: server.id,
        messageRowId: f.messageRowId,
        messageId: f.p.parsed?.messageId ?? null,
        fromAddress: f.p.parsed?.from?.address ?? null,
        subject: f.p.parsed?.subject ?? null,
        outcome: f.outcome,
        reason: f.reason,
        ticketId: f.ticketId,
      })));
    }
    const bySource = new Map(fresh.map((f) => [f.p.item.sourceKey, f]));
    return prepared.map((p) => {
      const f = bySource.get(p.item.sourceKey);
      return f ? { sourceKey: p.item.sourceKey, outcome: f.outcome, reason: f.reason, ticketId: f.ticketId } : { sourceKey: p.item.sourceKey, outcome: null, reason: null, ticketId: null };
    });
  }
}

/** Multi-row inserts, split so one statement never carries more than ~16 MB of raw mail. */
async function insertInChunks<T>(rows: T[], sizeOf: (row: T) => number, insert: (chunk: T[]) => Promise<unknown>, maxBytes = 16 * 1024 * 1024): Promise<void> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (chunk.length && bytes + sizeOf(row) > maxBytes) {
      await insert(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += sizeOf(row);
  }
  if (chunk.length) await insert(chunk);
}
