import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { arrayLiteral, insertSet } from '../db/insert-set.js';
import { attachments, emailAudit, messages, quarantine, requesters, ticketEvents, ticketParticipants, tickets } from '../db/schema.js';
import { appendSearchText, searchPiece } from '../db/search-text.js';
import type { Logger } from '../lib/logger.js';
import { storableText } from '../lib/text.js';
import type { MailIdentity } from './identity.js';
import { fullSize, type Planned } from './plan.js';
import { queueAcknowledgment, type AcknowledgmentLookups } from './steps/acknowledge.js';
import type { AcknowledgmentTemplates } from './steps/acknowledge-template.js';

const lower = (s: string) => s.trim().toLowerCase();
const SEPARATE_RAW_BYTES = 1024 * 1024;

/** What writeBatch wrote: the audit entries' ids (announced after the commit) and how many acknowledgments it queued. */
export interface Written { audited: string[]; acknowledgments: number }

/**
 * Everything a planned batch changes (one mailbox's messages or several's), inside the batch's
 * transaction: requesters, tickets, messages, participants, attachments, quarantine entries,
 * exactly one audit entry per message, and the acknowledgments. One set-based statement per table
 * (db/insert-set.ts), whatever the batch's size.
 */
export async function writeBatch(
  tx: Tx,
  planned: Planned[],
  ack: { lookups: AcknowledgmentLookups; identity: MailIdentity; logger: Logger; templates: AcknowledgmentTemplates },
  /** The callers' own statements in the same transaction (the checkpoints), sent with the inserts: they refer to none of them. */
  alongside?: (tx: Tx) => Promise<void>,
): Promise<Written> {
  const creates = planned.filter((f) => f.created);
  // The inserts that need no answer of another go out pipelined (sendInOrder): one round trip
  // instead of one each (a one-message batch spent ~9 ms writing, most of it waiting). They are
  // all insertSet statements, so they reach postgres.js in the order they are sent.
  const statements: Statement[] = [];
  if (creates.length) {
    const people = new Map<string, string | null>();
    for (const c of creates) {
      const from = c.p.parsed!.from!;
      if (!people.has(from.address) || (!people.get(from.address) && from.name)) people.set(from.address, from.name);
    }
    // The select must see the insert's rows, so it waits for it.
    // In address order: two transactions inserting the same new requesters then wait for each other
    // in one order, never in a cycle (deadlock) — a group commit holds many mailboxes' senders.
    const newPeople = [...people].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await insertSet(tx, requesters, newPeople.map(([email, name]) => ({ email, name })), sql`on conflict do nothing`);
    const found = await tx.select({ id: requesters.id, email: requesters.email }).from(requesters).where(sql`lower(${requesters.email}) = any(${arrayLiteral([...people.keys()])}::text[])`);
    const requesterId = new Map(found.map((r) => [lower(r.email), r.id]));
    statements.push(() => insertSet(tx, tickets, creates.map((c) => {
      const route = c.created!.decision.route;
      return {
        id: c.ticketId!,
        number: c.created!.number,
        subject: c.p.parsed!.subject || '(no subject)',
        description: c.p.parsed!.text,
        descriptionHtml: c.html,
        requesterId: requesterId.get(lower(c.p.parsed!.from!.address))!,
        technicianGroupId: route.technicianGroupId,
        categoryId: route.categoryId,
        companyId: route.companyId,
        requestTypeId: route.requestTypeId,
        priorityId: route.priorityId,
        previousTicketId: c.created!.decision.previousTicketId,
        incomingServerId: c.server.id,
        searchText: searchPiece(c.p.parsed!.subject, c.p.parsed!.from!.address, c.p.parsed!.from!.name, c.p.parsed!.text),
      };
    })));
  }

  const fresh = planned.filter((f) => !f.existingRow);
  for (const chunk of inChunks(fresh, (f) => f.p.item.raw.length)) {
    statements.push(() => insertSet(tx, messages, chunk.map((f) => {
      const row = messageRow(f);
      return f.p.item.raw.length > SEPARATE_RAW_BYTES ? { ...row, raw: Buffer.alloc(0) } : row;
    })));
  }

  const participants = planned.flatMap((f) =>
    f.ticketId && (f.created || f.outcome === 'APPENDED') ? [...new Set(f.participants.map(lower))].map((email) => ({ ticketId: f.ticketId!, email })) : [],
  );
  if (participants.length) statements.push(() => insertSet(tx, ticketParticipants, participants, sql`on conflict do nothing`));

  const files = planned.flatMap((f) => f.files.map((file) => ({ ...file, messageRowId: f.messageRowId, ticketId: f.ticketId })));
  if (files.length) statements.push(() => insertSet(tx, attachments, files));

  const quarantined = planned.filter((f) => f.outcome === 'QUARANTINED');
  const entries: { messageRowId: string; serverId: string; reason: string }[] = [];
  for (const f of quarantined) {
    // Held again on reprocessing: the message's open entry takes the new reason, no second entry.
    const reopened = f.existingRow
      ? await tx.update(quarantine).set({ reason: storableText(f.reason) }).where(and(eq(quarantine.messageRowId, f.messageRowId), isNull(quarantine.resolvedAt))).returning({ id: quarantine.id })
      : [];
    if (!reopened.length) entries.push({ messageRowId: f.messageRowId, serverId: f.server.id, reason: storableText(f.reason) });
  }
  if (entries.length) statements.push(() => insertSet(tx, quarantine, entries));

  let audited: { id: string }[] = [];
  if (planned.length) {
    statements.push(async () => {
      audited = (await insertSet(tx, emailAudit, planned.map((f) => ({
        serverId: f.server.id,
        messageRowId: f.messageRowId,
        messageId: f.p.parsed?.messageId ?? f.summary?.messageId ?? null,
        fromAddress: f.p.parsed?.from?.address ?? f.summary?.from?.address ?? null,
        subject: f.p.parsed?.subject ?? f.summary?.subject ?? null,
        outcome: f.outcome,
        reason: storableText(f.reason),
        ticketId: f.ticketId,
      })), sql`returning id`)) as { id: string }[];
    });
  }
  await Promise.all([sendInOrder(statements, planned.length > 1), alongside?.(tx)]);

  // A large message's raw bytes go in a statement of their own: encoding one statement is one
  // synchronous stretch of the event loop, and its parsed text and HTML are large already.
  for (const f of fresh.filter((x) => x.p.item.raw.length > SEPARATE_RAW_BYTES)) {
    await tx.execute(sql`update ${messages} set ${sql.identifier(messages.raw.name)} = decode(${f.p.item.raw.toString('base64')}, 'base64') where ${messages.id} = ${f.messageRowId}`);
  }
  // Reprocessing a stored message (rare): its row takes the new ticket, now written.
  for (const f of planned.filter((x) => x.existingRow)) {
    const { raw: _raw, sourceKey: _key, id: _id, ...row } = messageRow(f);
    await tx.update(messages).set(row).where(eq(messages.id, f.messageRowId));
  }

  for (const f of planned.filter((x) => x.outcome === 'APPENDED')) await recordRequesterReply(tx, f);

  let acknowledgments = 0;
  for (const c of creates) {
    if (!c.created!.decision.acknowledge) continue;
    const parsed = c.p.parsed!;
    const { server } = c;
    const queued = await queueAcknowledgment(tx, ack.lookups, {
      ticket: { id: c.ticketId!, number: c.created!.number, subject: parsed.subject || '(no subject)' },
      server: { id: server.id, name: server.name, email: server.email, outgoingServerId: server.outgoingServerId },
      templates: ack.templates,
      parsedMessage: parsed,
      identity: ack.identity,
    });
    if (queued.queued) acknowledgments++;
    else ack.logger.debug({ ticketId: c.ticketId, reason: queued.reason }, 'no acknowledgment');
  }
  return { audited: audited.map((a) => a.id), acknowledgments };
}

/**
 * A reply from the requester's side: the ticket's activity and search text, and — when the
 * pipeline said so — back to OPEN, recorded in its history with no actor (the requester did it).
 */
async function recordRequesterReply(tx: Tx, f: Planned): Promise<void> {
  const now = new Date();
  const parsed = f.p.parsed!;
  const [before] = await tx.select({ status: tickets.status }).from(tickets).where(eq(tickets.id, f.ticketId!)).for('update');
  const reopen = f.reopen && before !== undefined && before.status !== 'OPEN';
  await tx
    .update(tickets)
    .set({
      lastActivityAt: now,
      requesterActivityAt: now,
      updatedAt: now,
      searchText: appendSearchText(searchPiece(parsed.from?.address, parsed.from?.name, f.appendText ?? parsed.text)),
      ...(reopen ? { status: 'OPEN' as const, closedAt: null } : {}),
    })
    .where(eq(tickets.id, f.ticketId!));
  if (reopen) await tx.insert(ticketEvents).values({ ticketId: f.ticketId!, actorUserId: null, field: 'STATUS', fromValue: before!.status, toValue: 'OPEN' });
}

function messageRow(f: Planned) {
  const parsed = f.p.parsed;
  return {
    id: f.messageRowId,
    serverId: f.server.id,
    sourceKey: f.p.item.sourceKey,
    ticketId: f.ticketId,
    messageId: parsed?.messageId ?? f.summary?.messageId ?? null,
    inReplyTo: parsed?.inReplyTo ?? null,
    references: parsed?.references ?? [],
    toAddresses: parsed?.to.map((a) => a.address) ?? [],
    ccAddresses: parsed?.cc.map((a) => a.address) ?? [],
    kind: 'INCOMING' as const,
    contentHash: f.fingerprint,
    fromAddress: parsed?.from?.address ?? f.summary?.from?.address ?? null,
    fromName: parsed?.from?.name ?? f.summary?.from?.name ?? null,
    subject: parsed?.subject ?? f.summary?.subject ?? null,
    bodyText: f.appendText ?? parsed?.text ?? null,
    bodyHtml: f.html,
    sentAt: parsed?.date ?? null,
    rawSize: fullSize(f.p.item),
    raw: f.p.item.raw,
  };
}

/** An insertSet statement to send: called when its turn comes, so it is built and encoded then. */
type Statement = () => Promise<unknown>;

/**
 * Sends the statements one after another without waiting for each answer: postgres.js pipelines
 * them on the transaction's connection and PostgreSQL runs them in this order, so a row is written
 * before one that refers to it. With `yieldBetween` each is built in its own turn of the event
 * loop (a statement may carry ~2 MB of mail). The first failure is the result; the statements
 * after it fail as well (the transaction is aborted) and everything is rolled back.
 */
async function sendInOrder(statements: Statement[], yieldBetween: boolean): Promise<void> {
  const sent: Promise<unknown>[] = [];
  for (const [i, send] of statements.entries()) {
    if (i && yieldBetween) await new Promise((resolve) => setImmediate(resolve));
    const answer = send();
    // Handled by Promise.all below; until then a failure must not count as unhandled.
    answer.catch(() => {});
    sent.push(answer);
  }
  await Promise.all(sent);
}

/**
 * Rows for multi-row inserts, split so one statement carries at most ~2 MB of raw mail (or one
 * larger message): encoding a statement is one synchronous stretch of the event loop.
 */
function inChunks<T>(rows: T[], sizeOf: (row: T) => number, maxBytes = 2 * 1024 * 1024): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (chunk.length && bytes + sizeOf(row) > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += sizeOf(row);
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}
