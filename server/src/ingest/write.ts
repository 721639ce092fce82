import { eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { attachments, emailAudit, messages, quarantine, requesters, ticketParticipants, tickets, type IncomingServerRow } from '../db/schema.js';
import type { Logger } from '../lib/logger.js';
import { rewriteCidImages, type StoredFile } from './attachments.js';
import type { MailIdentity } from './identity.js';
import { contentHash } from './parse.js';
import type { Planned, Prepared } from './plan.js';
import { queueAcknowledgment, type AcknowledgmentLookups } from './steps/acknowledge.js';
import type { AcknowledgmentTemplates } from './steps/acknowledge-template.js';

const lower = (s: string) => s.trim().toLowerCase();

/**
 * Everything a planned batch changes, inside the batch's transaction: requesters, tickets,
 * messages, participants, attachments, quarantine entries, exactly one audit entry per message,
 * and the acknowledgments. A few multi-row statements per batch: the commit, not the parse,
 * bounds a backlog's ingest rate.
 */
export async function writeBatch(
  tx: Tx,
  server: IncomingServerRow,
  planned: Planned[],
  ack: { lookups: AcknowledgmentLookups; identity: MailIdentity; logger: Logger; templates: AcknowledgmentTemplates },
): Promise<string[]> {
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
  await insertInChunks(fresh, (f) => f.p.item.raw.length, (chunk) => tx.insert(messages).values(chunk.map((f) => messageRow(server, f))));
  for (const f of planned.filter((x) => x.existingRow)) {
    const { raw: _raw, sourceKey: _key, id: _id, ...row } = messageRow(server, f);
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

  const audited = !planned.length ? [] : await tx.insert(emailAudit).values(planned.map((f) => ({
      serverId: server.id,
      messageRowId: f.messageRowId,
      messageId: f.p.parsed?.messageId ?? null,
      fromAddress: f.p.parsed?.from?.address ?? null,
      subject: f.p.parsed?.subject ?? null,
      outcome: f.outcome,
      reason: f.reason,
      ticketId: f.ticketId,
    }))).returning({ id: emailAudit.id });

  const appendedTo = [...new Set(planned.filter((f) => f.outcome === 'APPENDED').map((f) => f.ticketId!))];
  if (appendedTo.length) await tx.update(tickets).set({ updatedAt: new Date() }).where(inArray(tickets.id, appendedTo));

  for (const c of creates) {
    if (!c.created!.decision.acknowledge) continue;
    const parsed = c.p.parsed!;
    const queued = await queueAcknowledgment(tx, ack.lookups, {
      ticket: { id: c.ticketId!, number: c.created!.number, subject: parsed.subject || '(no subject)' },
      server: { id: server.id, name: server.name, email: server.email, outgoingServerId: server.outgoingServerId },
      templates: ack.templates,
      parsedMessage: parsed,
      identity: ack.identity,
    });
    if (!queued.queued) ack.logger.debug({ ticketId: c.ticketId, reason: queued.reason }, 'no acknowledgment');
  }
  return audited.map((a) => a.id);
}

/**
 * A message that could not be processed, recorded FAILED with its raw bytes kept (quarantine +
 * audit). Returns the audit entry's id; null when its row existed already (another attempt recorded it).
 */
export async function writeFailure(tx: Tx, server: IncomingServerRow, p: Prepared, reason: string): Promise<string | null> {
  const [message] = await tx
    .insert(messages)
    .values({
      serverId: server.id, sourceKey: p.item.sourceKey, contentHash: contentHash(p.item.raw), rawSize: p.item.raw.length, raw: p.item.raw,
      messageId: p.parsed?.messageId ?? null, fromAddress: p.parsed?.from?.address ?? null, subject: p.parsed?.subject ?? null,
    })
    .onConflictDoNothing({ target: messages.sourceKey })
    .returning({ id: messages.id });
  if (!message) return null;
  await tx.insert(quarantine).values({ messageRowId: message.id, serverId: server.id, reason });
  const [audited] = await tx.insert(emailAudit).values({
    serverId: server.id, messageRowId: message.id, messageId: p.parsed?.messageId ?? null,
    fromAddress: p.parsed?.from?.address ?? null, subject: p.parsed?.subject ?? null, outcome: 'FAILED', reason,
  }).returning({ id: emailAudit.id });
  return audited!.id;
}

function messageRow(server: IncomingServerRow, f: Planned) {
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

function cidMap(files: StoredFile[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const f of files) if (f.contentId) map.set(f.contentId.replace(/^<|>$/g, ''), f.id);
  return map;
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
