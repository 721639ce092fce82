import { randomUUID } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import type { Db, Queryable, Tx } from '../db/client.js';
import {
  attachments, emailAudit, emailPreference, incomingServers, messages, quarantine, requesters, ticketParticipants, tickets,
  type EmailOutcome,
} from '../db/schema.js';
import type { Logger } from '../lib/logger.js';
import type { PubSub } from '../lib/pubsub.js';
import type { MailIdentity } from '../mail/outbound/identity.js';
import { queueAcknowledgment } from '../mail/outbound/outbox.js';
import type { IncomingServerRow } from '../modules/incoming-servers/incoming-server.service.js';
import { rewriteCidImages, type AttachmentStore, type StoredFile } from './attachments.js';
import { DEFAULT_LIMITS, checkLimits } from './limits.js';
import { BatchLookups } from './lookups.js';
import { ParseError, contentHash, parseMessage, type ParsedMessage } from './parse.js';
import { contentFingerprint, decide, type DecisionWithTrace, type TraceStep } from './pipeline.js';
import { sanitizeMailHtml } from './sanitize.js';

/** One fetched message. `sourceKey` names where it came from (server + UIDVALIDITY + UID, UIDL, item id). */
export interface IncomingItem {
  sourceKey: string;
  raw: Buffer;
  /**
   * The server may have renumbered its messages (a new UIDVALIDITY, rebuilt POP3 ids), so this one
   * may already be stored under another source key: it is matched against every message this
   * mailbox stored (Message-ID + content fingerprint), whatever the duplicate window.
   */
  recheckStored?: boolean;
}

export interface IngestOutcome {
  sourceKey: string;
  /** null when the message had been ingested already (a re-fetch after a crash). */
  outcome: EmailOutcome | null;
  reason: string | null;
  ticketId: string | null;
}

export type EmailPreferenceRow = typeof emailPreference.$inferSelect;

/** A message after the checks that need no database: size and structure limits, then parsing. */
type Prepared = { item: IncomingItem; html: string | null } & ({ parsed: ParsedMessage; problem: null } | { parsed: null; problem: string });

/** What persisting one message needs, whatever the outcome. */
interface Planned {
  p: Prepared;
  outcome: EmailOutcome;
  reason: string;
  fingerprint: string;
  messageRowId: string;
  /** Set when the row exists already (reprocessing a quarantined message). */
  existingRow: boolean;
  ticketId: string | null;
  created: { number: number; decision: Extract<DecisionWithTrace, { outcome: 'TICKET_CREATED' }> } | null;
  appendText: string | null;
  files: StoredFile[];
  /** From, To and Cc minus our own mailboxes: who may reply into the ticket. */
  participants: string[];
}

export interface DryRunResult {
  outcome: EmailOutcome;
  reason: string;
  trace: TraceStep[];
  route: { technicianGroupId: string | null; categoryId: string | null; companyId: string | null; requestType: string | null; priority: string | null } | null;
  matchedRules: { id: string; name: string }[];
  ticketId: string | null;
  acknowledge: boolean | null;
  parsed: { subject: string; from: string | null; messageId: string | null } | null;
}

const lower = (s: string) => s.trim().toLowerCase();

/** Rows returned by `db.execute()`: postgres.js gives an array, PGlite a `{ rows }` object. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

/**
 * The orchestrator of SPEC §4. Limits and parsing happen outside the transaction; then one
 * transaction per batch decides every message (`decide()`, the pure pipeline), writes tickets,
 * messages, participants, attachments, quarantine entries, acknowledgments and exactly one audit
 * entry per message together with the caller's checkpoint, and events are published only after
 * the commit. The unique `messages.source_key` makes a re-fetched message a no-op.
 */
export class IngestService {
  constructor(
    readonly db: Db,
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
    private readonly identity: MailIdentity,
    private readonly attachmentStore: AttachmentStore | null,
    private readonly onQueued: () => void = () => {},
  ) {}

  async preference(q: Queryable = this.db): Promise<EmailPreferenceRow> {
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
    const prepared = await Promise.all(items.map((item) => this.prepare(item, pref)));

    let outcomes: IngestOutcome[];
    let planned: Planned[] = [];
    try {
      outcomes = await this.db.transaction(async (tx) => {
        const fresh = await this.skipCommitted(tx, prepared);
        planned = await this.plan(tx, server, fresh, pref, null);
        await this.write(tx, server, planned);
        if (checkpoint) await checkpoint(tx);
        const bySource = new Map(planned.map((f) => [f.p.item.sourceKey, f]));
        return prepared.map((p) => {
          const f = bySource.get(p.item.sourceKey);
          return { sourceKey: p.item.sourceKey, outcome: f?.outcome ?? null, reason: f?.reason ?? null, ticketId: f?.ticketId ?? null };
        });
      });
    } catch (err) {
      if (prepared.length === 1) return [await this.recordFailure(server, prepared[0]!, err, checkpoint)];
      // One bad message must not block the batch: retry them one by one so only the culprit fails.
      this.logger.warn({ err, serverId: server.id }, 'batch failed; retrying message by message');
      outcomes = [];
      for (const [i, item] of items.entries()) {
        outcomes.push(...(await this.ingestBatch(server, [item], i === items.length - 1 ? checkpoint : undefined)));
      }
      return outcomes;
    }
    await this.afterCommit(server, planned);
    return outcomes;
  }

  /**
   * The whole pipeline's decision for a raw message and a server, without writing anything
   * (the rules panel's dry run). `excludeMessageRowId`: the message is already stored (taken from
   * the audit log), so it must not count as its own duplicate.
   */
  async dryRun(server: IncomingServerRow, raw: Buffer, excludeMessageRowId: string | null = null): Promise<DryRunResult> {
    const pref = await this.preference();
    const p = await this.prepare({ sourceKey: 'dry-run', raw }, pref);
    if (p.problem !== null) {
      return { outcome: 'QUARANTINED', reason: p.problem, trace: [], route: null, matchedRules: [], ticketId: null, acknowledge: null, parsed: null };
    }
    const lookups = new BatchLookups(this.db, this.identity, excludeMessageRowId);
    const d = await decide(p.parsed, server, pref, lookups, new Date());
    return {
      outcome: d.outcome,
      reason: d.reason,
      trace: d.trace,
      route: d.outcome === 'TICKET_CREATED' ? d.route : null,
      matchedRules: d.outcome === 'TICKET_CREATED' ? d.matchedRules : [],
      ticketId: 'ticketId' in d ? (d.ticketId ?? null) : null,
      acknowledge: d.outcome === 'TICKET_CREATED' ? d.acknowledge : null,
      parsed: { subject: p.parsed.subject, from: p.parsed.from?.address ?? null, messageId: p.parsed.messageId },
    };
  }

  /**
   * Runs a stored (quarantined or failed) message through the pipeline again. `force` releases it:
   * a ticket is created whatever the pipeline says (the admin looked at it and wants it).
   */
  async reprocess(messageRowId: string, opts: { force: boolean }): Promise<{ outcome: EmailOutcome; reason: string; ticketId: string | null }> {
    const [row] = await this.db.select().from(messages).where(eq(messages.id, messageRowId));
    if (!row) throw new Error('no such message');
    const [server] = row.serverId ? await this.db.select().from(incomingServers).where(eq(incomingServers.id, row.serverId)) : [];
    if (!server) throw new Error('the message\'s mailbox no longer exists');
    if (row.ticketId) return { outcome: 'DUPLICATE', reason: 'the message already belongs to a ticket', ticketId: row.ticketId };
    const pref = await this.preference();
    const p = await this.prepare({ sourceKey: row.sourceKey, raw: row.raw }, { ...pref, maxMessageBytes: opts.force ? Number.MAX_SAFE_INTEGER : pref.maxMessageBytes });
    let planned: Planned[] = [];
    const result = await this.db.transaction(async (tx) => {
      planned = await this.plan(tx, server, [p], pref, { messageRowId, force: opts.force });
      await this.write(tx, server, planned);
      const f = planned[0]!;
      return { outcome: f.outcome, reason: f.reason, ticketId: f.ticketId };
    });
    await this.afterCommit(server, planned);
    return result;
  }

  private async afterCommit(server: IncomingServerRow, planned: Planned[]): Promise<void> {
    for (const f of planned) {
      if (f.outcome === 'TICKET_CREATED' && f.ticketId) this.pubsub.publish('ticketCreated', f.ticketId);
      if (f.outcome === 'APPENDED' && f.ticketId) this.pubsub.publish('ticketUpdated', f.ticketId);
      if (f.outcome === 'QUARANTINED') this.logger.warn({ serverId: server.id, sourceKey: f.p.item.sourceKey, reason: f.reason }, 'message quarantined');
    }
    if (planned.some((f) => f.created)) this.onQueued();
  }

  private async prepare(item: IncomingItem, pref: Pick<EmailPreferenceRow, 'maxMessageBytes'>): Promise<Prepared> {
    const overLimit = checkLimits(item.raw, { ...DEFAULT_LIMITS, maxMessageBytes: pref.maxMessageBytes });
    if (overLimit) return { item, html: null, parsed: null, problem: overLimit };
    try {
      const parsed = await parseMessage(item.raw);
      return { item, html: parsed.html ? sanitizeMailHtml(parsed.html) : null, parsed, problem: null };
    } catch (err) {
      if (err instanceof ParseError) return { item, html: null, parsed: null, problem: err.message };
      throw err;
    }
  }

  private async skipCommitted(tx: Tx, prepared: Prepared[]): Promise<Prepared[]> {
    const keys = prepared.map((p) => p.item.sourceKey);
    const done = new Set((await tx.select({ key: messages.sourceKey }).from(messages).where(inArray(messages.sourceKey, keys))).map((r) => r.key));
    return prepared.filter((p) => !done.has(p.item.sourceKey) && (done.add(p.item.sourceKey), true));
  }

  /** Decides each message in order; later decisions see earlier ones of the same batch. */
  private async plan(tx: Tx, server: IncomingServerRow, fresh: Prepared[], pref: EmailPreferenceRow, reprocess: { messageRowId: string; force: boolean } | null): Promise<Planned[]> {
    const now = new Date();
    const lookups = new BatchLookups(tx, this.identity, reprocess?.messageRowId ?? null);
    const parsed = fresh.filter((p): p is Prepared & { parsed: ParsedMessage } => p.parsed !== null);
    await lookups.prefetch(
      parsed.map((p) => contentFingerprint(p.parsed)),
      parsed.flatMap((p) => (p.parsed.from ? [p.parsed.from.address] : [])),
      new Date(now.getTime() - pref.duplicateWindowMinutes * 60_000),
      new Date(now.getTime() - 3_600_000),
    );
    const rechecked = parsed.filter((p) => p.item.recheckStored);
    await lookups.prefetchStoredIn(server.id, rechecked.map((p) => contentFingerprint(p.parsed)));
    let placeholders = 0;
    const out: Planned[] = [];
    for (const p of fresh) {
      const base = { p, messageRowId: reprocess?.messageRowId ?? randomUUID(), existingRow: reprocess !== null, ticketId: null, created: null, appendText: null, files: [] as StoredFile[], participants: [] as string[] };
      if (p.parsed === null) {
        out.push({ ...base, outcome: 'QUARANTINED', reason: p.problem, fingerprint: contentHash(p.item.raw) });
        continue;
      }
      if (p.item.recheckStored) {
        const fingerprint = contentFingerprint(p.parsed);
        if (lookups.storedIn(p.parsed.messageId, fingerprint)) {
          const id = p.parsed.messageId ? `Message-ID ${p.parsed.messageId}` : 'no Message-ID';
          const reason = `already received by this mailbox (${id}, same content) before the server renumbered its messages`;
          lookups.remember({ messageId: p.parsed.messageId, fingerprint, ticketId: null });
          out.push({ ...base, outcome: 'DUPLICATE', reason, fingerprint });
          continue;
        }
      }
      let d = await decide(p.parsed, server, pref, lookups, now);
      if (reprocess?.force && d.outcome !== 'TICKET_CREATED' && d.outcome !== 'APPENDED' && p.parsed.from) {
        d = {
          outcome: 'TICKET_CREATED', reason: `released by an admin (the pipeline said ${d.outcome}: ${d.reason})`,
          route: { technicianGroupId: server.technicianGroupId, categoryId: server.categoryId, companyId: server.companyId, requestType: null, priority: null },
          matchedRules: [], acknowledge: false, acknowledgeNote: 'released from quarantine', trace: d.trace, fingerprint: d.fingerprint,
        };
      }
      const planned: Planned = { ...base, outcome: d.outcome, reason: d.reason, fingerprint: d.fingerprint };
      if (d.outcome === 'TICKET_CREATED') {
        planned.ticketId = randomUUID();
        // A stand-in until the batch's numbers are drawn in one query below.
        planned.created = { number: -(++placeholders), decision: d };
      } else if (d.outcome === 'APPENDED') {
        planned.ticketId = d.ticketId;
        planned.appendText = d.appendText;
      } else if (d.outcome === 'DUPLICATE') {
        planned.ticketId = null;
      }
      if ((d.outcome === 'TICKET_CREATED' || d.outcome === 'APPENDED') && p.parsed.attachments.length && this.attachmentStore) {
        const put = await this.attachmentStore.put(p.parsed.attachments, pref.maxAttachmentBytes);
        planned.files = put.files;
        if (put.note) planned.reason += ` (${put.note})`;
      }
      const ours = new Set(await lookups.ourAddresses());
      const people = [p.parsed.from?.address, ...p.parsed.to.map((a) => a.address), ...p.parsed.cc.map((a) => a.address)]
        .filter((a): a is string => Boolean(a) && !ours.has(lower(a!)));
      planned.participants = people;
      lookups.remember({
        messageId: p.parsed.messageId,
        fingerprint: d.fingerprint,
        ticketId: planned.ticketId,
        created: planned.created ? { number: planned.created.number, requester: p.parsed.from!.address, participants: people } : undefined,
        appendedParticipants: d.outcome === 'APPENDED' ? people : undefined,
      });
      out.push(planned);
    }
    // Draw exactly as many numbers as tickets (no gaps), then put them where the stand-ins were.
    const numbers = await drawTicketNumbers(tx, placeholders);
    const real = (n: number) => (n < 0 ? numbers[-n - 1]! : n);
    for (const f of out) {
      if (f.created) f.created.number = real(f.created.number);
      f.reason = f.reason.replace(/REQ--(\d+)/g, (_m, i: string) => `REQ-${real(-Number(i))}`);
      if (f.created) f.reason = `created REQ-${f.created.number}${f.reason ? `: ${f.reason}` : ''}`;
    }
    return out;
  }

  /** A few multi-row statements per batch: the commit, not the parse, bounds a backlog's ingest rate. */
  private async write(tx: Tx, server: IncomingServerRow, planned: Planned[]): Promise<void> {
    const creates = planned.filter((f) => f.created);
    if (creates.length) {
      const people = new Map<string, string | null>();
      for (const c of creates) {
        const from = c.p.parsed!.from!;
        if (!people.has(from.address) || (!people.get(from.address) && from.name)) people.set(from.address, from.name);
      }
      await tx.insert(requesters).values([...people].map(([email, name]) => ({ email, name }))).onConflictDoNothing();
      const found = await tx.select({ id: requesters.id, email: requesters.email }).from(requesters).where(inArray(sql`lower(${requesters.email})`, [...people.keys()]));
      const requesterId = new Map(found.map((r) => [lower(r.email), r.id]));
      await tx.insert(tickets).values(creates.map((c) => {
        const route = c.created!.decision.route;
        return {
          id: c.ticketId!,
          number: c.created!.number,
          subject: c.p.parsed!.subject || '(no subject)',
          description: c.p.parsed!.text,
          descriptionHtml: c.p.html ? rewriteCidImages(c.p.html, cidMap(c.files)) : null,
          requesterId: requesterId.get(lower(c.p.parsed!.from!.address))!,
          technicianGroupId: route.technicianGroupId,
          categoryId: route.categoryId,
          companyId: route.companyId,
          requestType: route.requestType,
          priority: route.priority,
          incomingServerId: server.id,
        };
      }));
    }

    const fresh = planned.filter((f) => !f.existingRow);
    await insertInChunks(fresh, (f) => f.p.item.raw.length, (chunk) => tx.insert(messages).values(chunk.map((f) => this.messageRow(server, f))));
    for (const f of planned.filter((x) => x.existingRow)) {
      const { raw: _raw, sourceKey: _key, id: _id, ...row } = this.messageRow(server, f);
      await tx.update(messages).set(row).where(eq(messages.id, f.messageRowId));
    }

    const participants = planned.flatMap((f) =>
      f.ticketId && (f.created || f.outcome === 'APPENDED') ? [...new Set(f.participants.map(lower))].map((email) => ({ ticketId: f.ticketId!, email })) : [],
    );
    if (participants.length) await tx.insert(ticketParticipants).values(participants).onConflictDoNothing();

    const files = planned.flatMap((f) => f.files.map((file) => ({ ...file, messageRowId: f.messageRowId, ticketId: f.ticketId })));
    if (files.length) await tx.insert(attachments).values(files);

    const quarantined = planned.filter((f) => f.outcome === 'QUARANTINED');
    if (quarantined.length) await tx.insert(quarantine).values(quarantined.map((f) => ({ messageRowId: f.messageRowId, serverId: server.id, reason: f.reason })));

    if (planned.length) {
      await tx.insert(emailAudit).values(planned.map((f) => ({
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

    const appendedTo = [...new Set(planned.filter((f) => f.outcome === 'APPENDED').map((f) => f.ticketId!))];
    if (appendedTo.length) await tx.update(tickets).set({ updatedAt: new Date() }).where(inArray(tickets.id, appendedTo));

    for (const c of creates) {
      const d = c.created!.decision;
      if (!d.acknowledge) continue;
      const parsed = c.p.parsed!;
      const queued = await queueAcknowledgment(tx, {
        ticket: { id: c.ticketId!, number: c.created!.number, subject: parsed.subject || '(no subject)' },
        server: { id: server.id, email: server.email, outgoingServerId: server.outgoingServerId },
        parsedMessage: parsed,
        identity: this.identity,
      });
      if (!queued.queued) this.logger.debug({ ticketId: c.ticketId, reason: queued.reason }, 'no acknowledgment');
    }
  }

  private messageRow(server: IncomingServerRow, f: Planned) {
    const parsed = f.p.parsed;
    return {
      id: f.messageRowId,
      serverId: server.id,
      sourceKey: f.p.item.sourceKey,
      ticketId: f.ticketId,
      messageId: parsed?.messageId ?? null,
      inReplyTo: parsed?.inReplyTo ?? null,
      references: parsed?.references ?? [],
      toAddresses: parsed?.to.map((a) => a.address) ?? [],
      ccAddresses: parsed?.cc.map((a) => a.address) ?? [],
      contentHash: f.fingerprint,
      fromAddress: parsed?.from?.address ?? null,
      fromName: parsed?.from?.name ?? null,
      subject: parsed?.subject ?? null,
      bodyText: f.appendText ?? parsed?.text ?? null,
      bodyHtml: f.p.html ? rewriteCidImages(f.p.html, cidMap(f.files)) : null,
      sentAt: parsed?.date ?? null,
      rawSize: f.p.item.raw.length,
      raw: f.p.item.raw,
    };
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
        .values({
          serverId: server.id, sourceKey: p.item.sourceKey, contentHash: contentHash(p.item.raw), rawSize: p.item.raw.length, raw: p.item.raw,
          messageId: p.parsed?.messageId ?? null, fromAddress: p.parsed?.from?.address ?? null, subject: p.parsed?.subject ?? null,
        })
        .onConflictDoNothing({ target: messages.sourceKey })
        .returning({ id: messages.id });
      if (message) {
        await tx.insert(quarantine).values({ messageRowId: message.id, serverId: server.id, reason });
        await tx.insert(emailAudit).values({
          serverId: server.id, messageRowId: message.id, messageId: p.parsed?.messageId ?? null,
          fromAddress: p.parsed?.from?.address ?? null, subject: p.parsed?.subject ?? null, outcome: 'FAILED', reason,
        });
      }
      if (checkpoint) await checkpoint(tx);
      return { sourceKey: p.item.sourceKey, outcome: message ? 'FAILED' : null, reason, ticketId: null };
    });
  }
}

function cidMap(files: StoredFile[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const f of files) if (f.contentId) map.set(f.contentId.replace(/^<|>$/g, ''), f.id);
  return map;
}

/**
 * Ticket numbers from the tickets' sequence, drawn once per batch after every message is decided,
 * so each ticket knows its `REQ-n` before the rows are written.
 */
async function drawTicketNumbers(tx: Tx, count: number): Promise<number[]> {
  if (!count) return [];
  const result = await tx.execute(sql`select nextval(pg_get_serial_sequence('tickets', 'number'))::int as n from generate_series(1, ${count})`);
  return rowsOf<{ n: number }>(result).map((r) => Number(r.n)).sort((a, b) => a - b);
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
