import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { inTextSet } from '../db/insert-set.js';
import { incomingServers, messages, type EmailPreferenceRow, type IncomingServerRow } from '../db/schema.js';
import type { Logger } from '../lib/logger.js';
import type { PubSub } from '../lib/pubsub.js';
import type { AttachmentStore } from './attachments.js';
import type { MailIdentity } from './identity.js';
import { BatchLookups } from './lookups.js';
import { faultPoint } from '../lib/faults.js';
import { GroupCommit } from '../lib/group-commit.js';
import type { ParserPool } from './parser-pool.js';
import { headOnly, overSize, planBatch, skipCommitted, type IncomingItem, type Planned, type Prepared } from './plan.js';
import { rejected } from './prepared-mail.js';
import { decide } from './pipeline.js';
import { writeBatch, type Written } from './write.js';
import { recordFailure } from './failure.js';
import type { BatchTimings, CommittedChanges, DryRunResult, IngestOutcome, PendingMessage, Preparer, ReprocessOutcome } from './outcomes.js';

const AUDIT_IDS_PER_EVENT = 100;
/** Batches join a group while it holds at most this many messages (a connector's own batch may be larger, and goes alone). */
const MAX_GROUP_MESSAGES = 500;

/** A connector's batch, parsed, waiting for its transaction. */
interface Submission {
  server: IncomingServerRow;
  prepared: Prepared[];
  checkpoint?: (tx: Tx) => Promise<void>;
  pref: EmailPreferenceRow;
  submittedAt: number;
  parsedAt: number;
}

export interface IngestDeps {
  identity: MailIdentity;
  /** The email preference (the settings module reads it). */
  preference: () => Promise<EmailPreferenceRow>;
  attachments: AttachmentStore | null;
  /** Where limits, parsing and sanitising run: worker threads, off the event loop. */
  parser: ParserPool;
  /** Acknowledgments were queued: the outbound worker can send them now. */
  onQueued?: () => void;
  faultPoint?: string;
  /** After the commit: tickets created, and tickets a requester's reply was appended to (for notifications). */
  onCommitted?: (changes: CommittedChanges) => void;
}

/**
 * The orchestrator of SPEC §4. Limits and parsing happen outside the transaction, in the parser
 * pool (prepare.ts, parser-pool.ts); then one transaction per batch decides every message
 * (plan.ts: planBatch, around the pure pipeline.ts), writes it (write.ts) together with the
 * caller's checkpoint, and events are published only after the commit. The unique
 * `messages.source_key` makes a re-fetched message a no-op.
 */
export class IngestService {
  private observers: ((t: BatchTimings) => void)[] = [];
  /** Two transactions at once: one commits while the next group, formed meanwhile, is decided and written. */
  private readonly commits = new GroupCommit<Submission, IngestOutcome[]>((group) => this.commitTogether(group), { concurrency: 2, maxWeight: MAX_GROUP_MESSAGES });

  constructor(
    readonly db: Db,
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
    private readonly deps: IngestDeps,
  ) {}

  /** The size limit: connectors download a message over it as its first bytes only (plan.ts: headOnly). */
  async maxMessageBytes(): Promise<number> {
    return (await this.deps.preference()).maxMessageBytes;
  }

  async committedSourceKeys(keys: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += 1000) {
      const rows = await this.db.select({ key: messages.sourceKey }).from(messages).where(inTextSet(messages.sourceKey, keys.slice(i, i + 1000)));
      for (const r of rows) found.add(r.key);
    }
    return found;
  }

  /**
   * Reads the email preference once and returns a function that hands each message to the parser
   * pool as soon as it is fetched, so a connector's fetching, the parsers and the database (the
   * previous batch's commit) all work at once.
   */
  async preparer(): Promise<Preparer> {
    const preference = await this.deps.preference();
    const { maxMessageBytes } = preference;
    const prepare = (item: IncomingItem): PendingMessage => {
      const submittedAt = performance.now();
      // Rejects only when the pool is shut down; a PendingMessage nobody awaits (stop) must not
      // become an unhandled rejection, hence the no-op handler on a second branch.
      const prepared = this.prepareOne(item, maxMessageBytes);
      prepared.catch(() => {});
      return { item, submittedAt, prepared, preference };
    };
    return Object.assign(prepare, { maxMessageBytes });
  }

  /** A mailbox is being read: keep a parser thread ready for its mail (see ParserPool.keepWarm). */
  keepParserWarm(): void {
    this.deps.parser.keepWarm();
  }

  /** Each batch's timings to `fn` (the benches); returns the function that stops it. */
  observe(fn: (t: BatchTimings) => void): () => void {
    this.observers.push(fn);
    return () => (this.observers = this.observers.filter((o) => o !== fn));
  }

  async ingestBatch(server: IncomingServerRow, items: IncomingItem[], checkpoint?: (tx: Tx) => Promise<void>): Promise<IngestOutcome[]> {
    const prepare = await this.preparer();
    return this.ingestPrepared(server, items.map(prepare), checkpoint);
  }

  /**
   * One batch, committed together with `checkpoint`; each message was handed to the parser pool
   * already (preparer). Batches of other mailboxes that are parsed while earlier transactions run
   * share one transaction with it (group-commit.ts), each with its own checkpoint.
   */
  async ingestPrepared(server: IncomingServerRow, pending: PendingMessage[], checkpoint?: (tx: Tx) => Promise<void>): Promise<IngestOutcome[]> {
    const submittedAt = Math.min(...pending.map((m) => m.submittedAt));
    const prepared = await Promise.all(pending.map((m) => m.prepared));
    const parsedAt = performance.now();
    faultPoint(this.deps.faultPoint, 'ingest.afterParseBeforeCommit');
    const pref = pending[0]?.preference ?? (await this.deps.preference());
    return this.commits.submit({ server, prepared, checkpoint, pref, submittedAt, parsedAt }, Math.max(1, prepared.length));
  }

  /**
   * One transaction for a group of batches (one mailbox's, or several's), decided under the first
   * one's preference. Each batch settles on its own: one that fails even alone fails by itself.
   */
  private async commitTogether(group: Submission[]): Promise<PromiseSettledResult<IngestOutcome[]>[]> {
    const pref = group[0]!.pref;
    let outcomes: IngestOutcome[][];
    let planned: Planned[] = [];
    const beganAt = performance.now();
    let decidedAt = beganAt;
    let written: Written = { audited: [], acknowledgments: 0 };
    try {
      outcomes = await this.db.transaction(async (tx) => {
        const lookups = new BatchLookups(tx, this.deps.identity);
        const all = group.flatMap((s) => s.prepared);
        // One round trip: which messages are committed already, and the batch's duplicate lock.
        const [fresh] = await Promise.all([skipCommitted(tx, all), lookups.lock(all.flatMap((p) => (p.parsed ? [p.fingerprint] : [])))]);
        const kept = new Set(fresh);
        planned = await planBatch(tx, lookups, group.map((s) => ({ server: s.server, fresh: s.prepared.filter((p) => kept.has(p)) })), pref, this.deps.attachments, null);
        decidedAt = performance.now();
        const checkpoints = group.flatMap((s) => (s.checkpoint ? [s.checkpoint] : []));
        const alongside = checkpoints.length ? (t: Tx) => Promise.all(checkpoints.map((c) => c(t))).then(() => undefined) : undefined;
        written = await writeBatch(tx, planned, this.ack(lookups, pref), alongside);
        const bySource = new Map(planned.map((f) => [f.p.item.sourceKey, f]));
        return group.map((s) => s.prepared.map((p) => {
          const f = bySource.get(p.item.sourceKey);
          return { sourceKey: p.item.sourceKey, outcome: f?.outcome ?? null, reason: f?.reason ?? null, ticketId: f?.ticketId ?? null };
        }));
      });
    } catch (err) {
      // One mailbox's batch must not fail the others': each goes again in a transaction of its own.
      if (group.length > 1) {
        this.logger.warn({ err, batches: group.length }, 'a group commit failed; each mailbox\'s batch goes again on its own');
        return Promise.allSettled(group.map((s) => this.commitAlone(s)));
      }
      return Promise.allSettled([this.commitOneByOne(group[0]!, err)]);
    }
    const committedAt = performance.now();
    this.afterCommit(planned, written);
    if (this.observers.length) {
      for (const s of group) {
        const t = { serverId: s.server.id, messages: s.prepared.length, submittedAt: s.submittedAt, parsedAt: s.parsedAt, beganAt, decidedAt, committedAt, publishedAt: performance.now() };
        for (const o of this.observers) o(t);
      }
    }
    return outcomes.map((value) => ({ status: 'fulfilled', value }));
  }

  /** One batch in a transaction of its own; rejects when even its failure could not be recorded. */
  private async commitAlone(s: Submission): Promise<IngestOutcome[]> {
    const [result] = await this.commitTogether([s]);
    if (result!.status === 'rejected') throw result!.reason;
    return result!.value;
  }

  /** A batch whose transaction failed: one bad message must not block it, so only the culprit is recorded FAILED. */
  private async commitOneByOne(s: Submission, err: unknown): Promise<IngestOutcome[]> {
    if (s.prepared.length === 1) {
      const failed = await recordFailure(this.db, this.logger, s.server, s.prepared[0]!, err, s.checkpoint);
      if (failed.audited) this.pubsub.publish('emailAuditAdded', failed.audited);
      return [failed.outcome];
    }
    this.logger.warn({ err, serverId: s.server.id }, 'batch failed; retrying message by message');
    const outcomes: IngestOutcome[] = [];
    for (const [i, p] of s.prepared.entries()) {
      outcomes.push(...(await this.commitAlone({ ...s, prepared: [p], checkpoint: i === s.prepared.length - 1 ? s.checkpoint : undefined })));
    }
    return outcomes;
  }

  /**
   * The whole pipeline's decision for a raw message and a server, without writing anything
   * (the rules panel's dry run). `excludeMessageRowId`: the message is already stored (taken from
   * the audit log), so it must not count as its own duplicate.
   */
  async dryRun(server: IncomingServerRow, raw: Buffer, excludeMessageRowId: string | null = null): Promise<DryRunResult> {
    const pref = await this.deps.preference();
    const p = await this.prepareOne({ sourceKey: 'dry-run', raw }, pref.maxMessageBytes);
    if (p.problem !== null) {
      return { outcome: 'QUARANTINED', reason: p.problem, trace: [], route: null, matchedRules: [], ticketId: null, acknowledge: null, parsed: null };
    }
    const lookups = new BatchLookups(this.db, this.deps.identity, excludeMessageRowId);
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
  async reprocess(
    messageRowId: string,
    opts: { force: boolean; within?: (tx: Tx, result: ReprocessOutcome) => Promise<void> },
  ): Promise<ReprocessOutcome> {
    const [row] = await this.db.select().from(messages).where(eq(messages.id, messageRowId));
    if (!row) throw new Error('no such message');
    const [server] = row.serverId ? await this.db.select().from(incomingServers).where(eq(incomingServers.id, row.serverId)) : [];
    if (!server) throw new Error('the message\'s mailbox no longer exists');
    if (row.ticketId) {
      const result: ReprocessOutcome = { outcome: 'DUPLICATE', reason: 'the message already belongs to a request', ticketId: row.ticketId };
      if (opts.within) await this.db.transaction((tx) => opts.within!(tx, result));
      return result;
    }
    const pref = await this.deps.preference();
    // A message stored as its first bytes only (over the size limit when it arrived) stays over it.
    const declaredSize = row.rawSize > row.raw.length ? row.rawSize : undefined;
    const p = await this.prepareOne({ sourceKey: row.sourceKey, raw: row.raw, declaredSize }, opts.force ? Number.MAX_SAFE_INTEGER : pref.maxMessageBytes);
    let planned: Planned[] = [];
    let written: Written = { audited: [], acknowledgments: 0 };
    const result = await this.db.transaction(async (tx) => {
      const lookups = new BatchLookups(tx, this.deps.identity, messageRowId);
      planned = await planBatch(tx, lookups, [{ server, fresh: [p] }], pref, this.deps.attachments, { messageRowId, force: opts.force });
      written = await writeBatch(tx, planned, this.ack(lookups, pref));
      const f = planned[0]!;
      const outcome: ReprocessOutcome = { outcome: f.outcome, reason: f.reason, ticketId: f.ticketId };
      // The caller's bookkeeping (closing the quarantine entry) commits with the ticket, or not at all.
      await opts.within?.(tx, outcome);
      return outcome;
    });
    this.afterCommit(planned, written);
    return result;
  }

  /** Limits, parsing and sanitising in the parser pool; a message read only in part (over the size limit) needs none of it. */
  private async prepareOne(item: IncomingItem, maxMessageBytes: number): Promise<Prepared> {
    if (headOnly(item.declaredSize, maxMessageBytes)) return { item, ...rejected(overSize(item, maxMessageBytes)) };
    return { item, ...(await this.deps.parser.prepare(item.raw, maxMessageBytes)) };
  }

  /** Stops the parser pool's workers (the supervisor has stopped every connector). */
  stop(): Promise<void> {
    return this.deps.parser.destroy();
  }

  private ack(lookups: BatchLookups, pref: EmailPreferenceRow) {
    const templates = { subject: pref.acknowledgmentSubject, body: pref.acknowledgmentBody };
    return { lookups, identity: this.deps.identity, logger: this.logger, templates };
  }

  private afterCommit(planned: Planned[], { audited, acknowledgments }: Written): void {
    // NOTIFY carries at most 8,000 bytes: a batch's entries go out 100 ids (3,700 bytes) at a time.
    for (let i = 0; i < audited.length; i += AUDIT_IDS_PER_EVENT) this.pubsub.publish('emailAuditAdded', audited.slice(i, i + AUDIT_IDS_PER_EVENT).join(','));
    for (const f of planned) {
      if (f.outcome === 'TICKET_CREATED' && f.ticketId) this.pubsub.publish('ticketCreated', f.ticketId);
      // The long-closed ticket now lists its follow-up.
      if (f.created?.decision.previousTicketId) this.pubsub.publish('ticketUpdated', f.created.decision.previousTicketId);
      if (f.outcome === 'APPENDED' && f.ticketId) this.pubsub.publish('ticketUpdated', f.ticketId);
      if (f.outcome === 'QUARANTINED') this.logger.warn({ serverId: f.server.id, sourceKey: f.p.item.sourceKey, reason: f.reason }, 'message quarantined');
    }
    // The outbound worker looks at its queue only when this batch put an acknowledgment in it.
    if (acknowledgments) this.deps.onQueued?.();
    const created = planned.filter((f) => f.outcome === 'TICKET_CREATED' && f.ticketId).map((f) => f.ticketId!);
    const replied = [...new Set(planned.filter((f) => f.outcome === 'APPENDED').map((f) => f.ticketId!))];
    if (created.length || replied.length) {
      try {
        this.deps.onCommitted?.({ created, replied });
      } catch (err) {
        this.logger.warn({ err }, 'after-commit listener threw');
      }
    }
  }
}
