import { and, asc, desc, eq, gte, isNotNull, ne, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { arrayLiteral, inTextSet } from '../db/insert-set.js';
import { incomingRules, incomingServers, messages, outgoingServers, requesters, ticketParticipants, tickets, type OutgoingServerRow } from '../db/schema.js';
import { isUuid } from '../lib/uuid.js';
import type { MailIdentity } from './identity.js';
import type { PipelineLookups, RuleRow } from './pipeline.js';
import type { AcknowledgmentLookups } from './steps/acknowledge.js';
import type { LifecycleTicket } from './steps/reopen.js';

const lower = (s: string) => s.trim().toLowerCase();
/** Message-IDs compare case-insensitively; a message without one matches only another without one. */
const sameMessageId = (messageId: string | null) => (other: string | null) =>
  other === null || messageId === null ? other === messageId : lower(other) === lower(messageId);

interface PendingTicket { id: string; number: number; participants: Set<string>; requester: string; previousTicketId: string | null }

const lifecycleColumns = { id: tickets.id, number: tickets.number, status: tickets.status, closedAt: tickets.closedAt };
/** A ticket this batch creates: open, and nothing closed it yet. */
const fresh = (t: PendingTicket): LifecycleTicket => ({ id: t.id, number: t.number, status: 'OPEN', closedAt: null });

/**
 * The pipeline's view of the database for one batch, read inside the batch's transaction. Rows the
 * batch itself will write are not in the database yet, so decisions already taken in this batch
 * are kept here too: a second copy of a message, a reply to a ticket opened two messages earlier,
 * or the tenth ticket from one sender in the batch are all seen.
 */
export class BatchLookups implements PipelineLookups, AcknowledgmentLookups {
  readonly ourMessageIdDomain: string;
  readonly ourLoopValue: string;
  /** Addresses already asked about, and those of them that are our own mailboxes'. */
  private readonly askedAddresses = new Set<string>();
  private readonly ownAddresses = new Set<string>();
  private addressesRead: Promise<void> = Promise.resolve();
  private ruleRows: Promise<RuleRow[]> | null = null;
  private readonly pendingTickets: PendingTicket[] = [];
  private readonly pendingMessages: { messageId: string | null; fingerprint: string; ticketId: string | null }[] = [];
  private readonly pendingBySender = new Map<string, number>();
  private readonly priorDuplicates = new Map<string, { messageId: string | null; ticketId: string | null }[]>();
  private readonly priorSenderCounts = new Map<string, number>();
  /** Message-IDs by fingerprint of what one mailbox stored, whenever (see IncomingItem.recheckStored). */
  private readonly storedByFingerprint = new Map<string, (string | null)[]>();
  private readonly outgoing = new Map<string, Promise<OutgoingServerRow | undefined>>();
  private readonly lockedKeys = new Set<string>();
  private locked: Promise<void> = Promise.resolve();

  constructor(private readonly q: Queryable, identity: MailIdentity, private readonly excludeMessageRowId: string | null = null) {
    this.ourMessageIdDomain = identity.messageIdDomain;
    this.ourLoopValue = identity.loopValue;
  }

  /** One query each for the common path (duplicates, sender cap) instead of two per message. */
  /**
   * Two mailboxes receiving the same mail (To + Cc) are read by two connectors in two concurrent
   * transactions; neither would see the other's row. A transaction-scoped lock per fingerprint
   * makes the second wait for the first to commit, and then see it. Taken once per batch, in one
   * sorted statement (no deadlock between batches); the batch may take it early, while it asks
   * which of its messages are committed already, and prefetch then finds it taken.
   */
  lock(fingerprints: string[]): Promise<void> {
    const keys = [...new Set(fingerprints)].filter((k) => !this.lockedKeys.has(k)).sort();
    if (!keys.length) return this.locked;
    for (const k of keys) this.lockedKeys.add(k);
    const taken = this.q.execute(sql`select pg_advisory_xact_lock(k) from (select distinct hashtextextended(f, 7) as k from unnest(${arrayLiteral(keys)}::text[]) f order by 1) s`).then(() => undefined);
    this.locked = Promise.all([this.locked, taken]).then(() => undefined);
    return this.locked;
  }

  /** `outgoingFrom`: the mailboxes' linked outgoing servers, whose rows an acknowledgment needs (read in the same round trip). */
  async prefetch(fingerprints: string[], senders: string[], duplicateSince: Date, senderSince: Date, addresses: string[] = [], outgoingFrom: readonly (string | null)[] = []): Promise<void> {
    if (!fingerprints.length && !senders.length) return; // nothing parsed: nothing to decide
    await this.lock(fingerprints);
    // Independent reads, sent together: postgres.js pipelines them on the transaction's connection.
    const duplicates = fingerprints.length
      ? this.q
        .select({ hash: messages.contentHash, messageId: messages.messageId, ticketId: messages.ticketId })
        .from(messages)
        .where(and(inTextSet(messages.contentHash, fingerprints), gte(messages.receivedAt, duplicateSince), eq(messages.direction, 'INBOUND'), this.notExcluded()))
        .then((rows) => rows)
      : Promise.resolve([]);
    const senderCounts = senders.length
      ? this.q
        .select({ email: sql<string>`lower(${requesters.email})`, n: sql<number>`count(*)::int` })
        .from(tickets)
        .innerJoin(requesters, eq(requesters.id, tickets.requesterId))
        .where(and(inTextSet(sql`lower(${requesters.email})`, senders.map(lower)), gte(tickets.createdAt, senderSince)))
        .groupBy(sql`lower(${requesters.email})`)
        .then((rows) => rows)
      : Promise.resolve([]);
    const outgoing = [...new Set(outgoingFrom)].map((id) => this.outgoingServerFor(id));
    const [dupRows, senderRows] = await Promise.all([duplicates, senderCounts, this.ourAddresses(addresses), this.rules(), ...outgoing]);
    for (const r of dupRows) this.priorDuplicates.set(r.hash, [...(this.priorDuplicates.get(r.hash) ?? []), { messageId: r.messageId, ticketId: r.ticketId }]);
    for (const r of senderRows) this.priorSenderCounts.set(r.email, r.n);
  }

  /** Everything `serverId` ever stored with these fingerprints, for messages the server may have renumbered. */
  async prefetchStoredIn(serverId: string, fingerprints: string[]): Promise<void> {
    if (!fingerprints.length) return;
    const rows = await this.q
      .select({ hash: messages.contentHash, messageId: messages.messageId })
      .from(messages)
      .where(and(eq(messages.serverId, serverId), inTextSet(messages.contentHash, [...new Set(fingerprints)]), eq(messages.direction, 'INBOUND'), this.notExcluded()));
    for (const r of rows) this.storedByFingerprint.set(r.hash, [...(this.storedByFingerprint.get(r.hash) ?? []), r.messageId]);
  }

  /** True when the mailbox stored this message before (or this batch already holds it). */
  storedIn(messageId: string | null, fingerprint: string): boolean {
    const same = sameMessageId(messageId);
    return this.pendingMessages.some((m) => m.fingerprint === fingerprint && same(m.messageId))
      || (this.storedByFingerprint.get(fingerprint) ?? []).some(same);
  }

  private notExcluded() {
    return this.excludeMessageRowId ? ne(messages.id, this.excludeMessageRowId) : undefined;
  }

  /**
   * Which of `addresses` are our own mailboxes'. Only addresses not asked about yet are read: a
   * batch asks for all of its messages' at once (prefetch), so deciding each message reads nothing.
   */
  ourAddresses(addresses: string[]): Promise<ReadonlySet<string>> {
    const missing = [...new Set(addresses.map(lower))].filter((a) => !this.askedAddresses.has(a));
    if (missing.length) {
      for (const a of missing) this.askedAddresses.add(a);
      const read = this.q.select({ email: sql<string>`lower(${incomingServers.email})` }).from(incomingServers).where(inTextSet(sql`lower(${incomingServers.email})`, missing))
        .then((rows) => void rows.forEach((r) => this.ownAddresses.add(r.email)));
      this.addressesRead = Promise.all([this.addressesRead, read]).then(() => undefined);
    }
    return this.addressesRead.then(() => this.ownAddresses);
  }

  rules(): Promise<RuleRow[]> {
    // then(): a drizzle query is a lazy thenable that runs again on every await; the batch reads the rules once.
    return (this.ruleRows ??= this.q.select().from(incomingRules).where(eq(incomingRules.enabled, true)).orderBy(asc(incomingRules.position), asc(incomingRules.createdAt)).then((rows) => rows));
  }

  async ticketByNumber(n: number): Promise<LifecycleTicket | null> {
    const pending = this.pendingTickets.find((t) => t.number === n);
    if (pending) return fresh(pending);
    const [row] = await this.q.select(lifecycleColumns).from(tickets).where(eq(tickets.number, n));
    return row ?? null;
  }

  async followUpOf(ticketId: string): Promise<LifecycleTicket | null> {
    const pending = this.pendingTickets.filter((t) => t.previousTicketId === ticketId).at(-1);
    if (pending) return fresh(pending);
    const [row] = await this.q.select(lifecycleColumns).from(tickets).where(eq(tickets.previousTicketId, ticketId)).orderBy(desc(tickets.number)).limit(1);
    return row ?? null;
  }

  async ticketsByMessageIds(ids: string[]): Promise<LifecycleTicket[]> {
    if (!ids.length) return [];
    const wanted = ids.map(lower);
    const found = new Map<string, LifecycleTicket>();
    const rows = await this.q
      .selectDistinct(lifecycleColumns)
      .from(messages)
      .innerJoin(tickets, eq(tickets.id, messages.ticketId))
      .where(and(inTextSet(sql`lower(${messages.messageId})`, wanted), isNotNull(messages.ticketId), this.notExcluded()));
    for (const r of rows) found.set(r.id, r);
    for (const m of this.pendingMessages) {
      if (m.ticketId && m.messageId && wanted.includes(lower(m.messageId))) {
        const t = this.pendingTickets.find((p) => p.id === m.ticketId);
        if (t) found.set(t.id, fresh(t));
      }
    }
    return [...found.values()];
  }

  async isParticipant(ticketId: string, address: string): Promise<boolean> {
    const pending = this.pendingTickets.find((t) => t.id === ticketId);
    if (pending?.participants.has(lower(address))) return true;
    const rows = await this.q
      .select({ email: ticketParticipants.email })
      .from(ticketParticipants)
      .where(and(eq(ticketParticipants.ticketId, ticketId), eq(ticketParticipants.email, lower(address))));
    return rows.length > 0;
  }

  async duplicateOf(messageId: string | null, fingerprint: string, _since: Date) {
    const same = sameMessageId(messageId);
    const pending = this.pendingMessages.find((m) => m.fingerprint === fingerprint && same(m.messageId));
    if (pending) return { ticketId: pending.ticketId };
    const prior = (this.priorDuplicates.get(fingerprint) ?? []).find((m) => same(m.messageId));
    return prior ? { ticketId: prior.ticketId } : null;
  }

  async ticketsFromSenderSince(address: string, _since: Date): Promise<number> {
    return (this.priorSenderCounts.get(lower(address)) ?? 0) + (this.pendingBySender.get(lower(address)) ?? 0);
  }

  /** Per batch: every ticket of a mailbox is acknowledged through the same server. */
  outgoingServerFor(preferredId: string | null): Promise<OutgoingServerRow | undefined> {
    const key = preferredId ?? '';
    let found = this.outgoing.get(key);
    if (!found) this.outgoing.set(key, (found = outgoingServerForSending(this.q, preferredId)));
    return found;
  }

  /** Record what the batch decided, for the decisions that follow. */
  remember(entry: {
    messageId: string | null; fingerprint: string; ticketId: string | null;
    created?: { number: number; requester: string; participants: string[]; previousTicketId: string | null }; appendedParticipants?: string[];
  }): void {
    this.pendingMessages.push({ messageId: entry.messageId, fingerprint: entry.fingerprint, ticketId: entry.ticketId });
    if (entry.created && entry.ticketId) {
      this.pendingTickets.push({
        id: entry.ticketId, number: entry.created.number, requester: lower(entry.created.requester),
        participants: new Set(entry.created.participants.map(lower)), previousTicketId: entry.created.previousTicketId,
      });
      this.pendingBySender.set(lower(entry.created.requester), (this.pendingBySender.get(lower(entry.created.requester)) ?? 0) + 1);
    }
    if (entry.appendedParticipants && entry.ticketId) {
      const t = this.pendingTickets.find((p) => p.id === entry.ticketId);
      for (const a of entry.appendedParticipants) t?.participants.add(lower(a));
    }
  }
}

/** The server mail goes out through: the preferred one (an incoming server's link) if enabled, else the enabled primary. */
export async function outgoingServerForSending(q: Queryable, preferredId: string | null | undefined): Promise<OutgoingServerRow | undefined> {
  if (preferredId && isUuid(preferredId)) {
    const [preferred] = await q.select().from(outgoingServers).where(eq(outgoingServers.id, preferredId));
    if (preferred?.enabled) return preferred;
  }
  const [primary] = await q.select().from(outgoingServers).where(and(eq(outgoingServers.primary, true), eq(outgoingServers.enabled, true)));
  return primary;
}
