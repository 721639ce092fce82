import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { inTextSet } from '../db/insert-set.js';
import { messages, type EmailOutcome, type EmailPreferenceRow, type IncomingServerRow } from '../db/schema.js';
import type { AttachmentStore, StoredFile } from './attachments.js';
import { showInlineImages } from './inline-images.js';
import { formatBytes } from './limits.js';
import { UNKNOWN_SENDER, unreadableMessage } from './mime/fallback.js';
import { headerSummary, type HeaderSummary } from './mime/summary.js';
import type { BatchLookups } from './lookups.js';
import { contentHash } from './content-hash.js';
import type { ParsedMessage } from './parse.js';
import { decide, type DecisionWithTrace } from './pipeline.js';
import { contentFingerprint } from './steps/duplicates.js';
import { addressesToCheck } from './steps/loop.js';
import type { PreparedMail } from './prepared-mail.js';

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
  /**
   * The whole message's size as the server declared it, set when `raw` is only its beginning:
   * a message over the size limit is never downloaded whole (see `headOnly`), it is quarantined
   * with the bytes that were read.
   */
  declaredSize?: number;
  /** `declaredSize` is only what was counted before the download was cut off (no size declared). */
  sizeAtLeast?: boolean;
}

/** How much of an over-size message is downloaded: its header section and the start of its body. */
export const OVERSIZE_HEAD_BYTES = 64 * 1024;

/** Whether a message of this declared size is fetched as its first OVERSIZE_HEAD_BYTES only. */
export const headOnly = (size: number | null | undefined, maxMessageBytes: number) => size != null && size > maxMessageBytes;

/** What downloading a message of this declared size costs: all of it, or its first bytes when over the limit. */
export const downloadBytes = (size: number | null | undefined, maxMessageBytes: number) => (headOnly(size, maxMessageBytes) ? OVERSIZE_HEAD_BYTES : (size ?? 0));

/** Its size: the declared one when only the beginning was read. */
export const fullSize = (item: IncomingItem) => Math.max(item.raw.length, item.declaredSize ?? 0);

/** A message after the checks that need no database (prepare.ts, run in the parser pool). */
export type Prepared = { item: IncomingItem } & PreparedMail;

/** Messages of one mailbox; a batch may hold several mailboxes' (IngestService's group commit). */
export interface ServerBatch { server: IncomingServerRow; fresh: Prepared[] }

/** What persisting one message needs, whatever the outcome. */
export interface Planned {
  p: Prepared;
  /** The mailbox it came from. */
  server: IncomingServerRow;
  outcome: EmailOutcome;
  reason: string;
  fingerprint: string;
  messageRowId: string;
  /** Set when the row exists already (reprocessing a quarantined message). */
  existingRow: boolean;
  ticketId: string | null;
  created: { number: number; decision: Extract<DecisionWithTrace, { outcome: 'TICKET_CREATED' }> } | null;
  appendText: string | null;
  /** The reply re-opens its ticket. */
  reopen: boolean;
  files: StoredFile[];
  /** The sanitized HTML with its cid: images pointing at `files`. */
  html: string | null;
  /** From, To and Cc minus our own mailboxes: who may reply into the ticket. */
  participants: string[];
  /** For a message the parser could not read: subject and sender from its raw headers. */
  summary: HeaderSummary | null;
}

/** A message this mailbox stored before, re-listed under a new number: its DUPLICATE reason, or null. */
function storedBefore(parsed: ParsedMessage, fingerprint: string, lookups: BatchLookups): { reason: string; fingerprint: string } | null {
  if (!lookups.storedIn(parsed.messageId, fingerprint)) return null;
  lookups.remember({ messageId: parsed.messageId, fingerprint, ticketId: null });
  const id = parsed.messageId ? `Message-ID ${parsed.messageId}` : 'no Message-ID';
  return { reason: `already received by this mailbox (${id}, same content) before the server renumbered its messages`, fingerprint };
}

/** Reprocessing one stored message; `force` releases it (a ticket whatever the pipeline says). */
export interface Reprocess { messageRowId: string; force: boolean }

const lower = (s: string) => s.trim().toLowerCase();

export function overSize(item: IncomingItem, limit: number): string {
  const reason = `message is ${item.sizeAtLeast ? 'more than ' : ''}${formatBytes(item.declaredSize!)}, over the ${formatBytes(limit)} limit`;
  return item.raw.length < item.declaredSize! ? `${reason} (only its first ${formatBytes(item.raw.length)} were downloaded)` : reason;
}

/** Drops messages committed already (a re-fetch after a crash) and second copies within the batch. */
export async function skipCommitted(tx: Tx, prepared: Prepared[]): Promise<Prepared[]> {
  const keys = prepared.map((p) => p.item.sourceKey);
  const done = new Set((await tx.select({ key: messages.sourceKey }).from(messages).where(inTextSet(messages.sourceKey, keys))).map((r) => r.key));
  return prepared.filter((p) => !done.has(p.item.sourceKey) && (done.add(p.item.sourceKey), true));
}

/**
 * Decides each message in order, mailbox after mailbox; later decisions see earlier ones of the
 * same batch (the lookups remember them), whichever mailbox they came from. The lookups are read
 * once for the whole batch, and ticket numbers are drawn once, after every message is decided.
 */
export async function planBatch(
  tx: Tx,
  lookups: BatchLookups,
  batches: ServerBatch[],
  pref: EmailPreferenceRow,
  attachmentStore: AttachmentStore | null,
  reprocess: Reprocess | null,
): Promise<Planned[]> {
  const now = new Date();
  const parsedOf = (fresh: Prepared[]) => fresh.filter((p): p is Prepared & { parsed: ParsedMessage; fingerprint: string } => p.parsed !== null);
  const parsed = batches.flatMap((b) => parsedOf(b.fresh));
  await lookups.prefetch(
    parsed.map((p) => p.fingerprint),
    parsed.flatMap((p) => (p.parsed.from ? [p.parsed.from.address] : [])),
    new Date(now.getTime() - pref.duplicateWindowMinutes * 60_000),
    new Date(now.getTime() - 3_600_000),
    parsed.flatMap((p) => addressesToCheck(p.parsed)),
    batches.map((b) => b.server.outgoingServerId),
  );
  for (const b of batches) await lookups.prefetchStoredIn(b.server.id, parsedOf(b.fresh).filter((p) => p.item.recheckStored).map((p) => p.fingerprint));
  let placeholders = 0;
  const out: Planned[] = [];
  for (const { server, fresh } of batches) {
    for (const prepared of fresh) out.push(await planOne(prepared, server, pref, lookups, attachmentStore, reprocess, now, () => -(++placeholders)));
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

/** One message's decision; `placeholder` hands out the stand-in for a ticket number still to be drawn. */
async function planOne(
  prepared: Prepared,
  server: IncomingServerRow,
  pref: EmailPreferenceRow,
  lookups: BatchLookups,
  attachmentStore: AttachmentStore | null,
  reprocess: Reprocess | null,
  now: Date,
  placeholder: () => number,
): Promise<Planned> {
  const p = reprocess?.force ? releasable(prepared) : prepared;
  // A requester or a body made up for the release: never acknowledged, whatever the pipeline says.
  const madeUp = p !== prepared && (prepared.parsed === null || prepared.parsed.from === null);
  const base = {
    p, server, messageRowId: reprocess?.messageRowId ?? randomUUID(), existingRow: reprocess !== null, ticketId: null, created: null, appendText: null,
    reopen: false, files: [] as StoredFile[], html: p.html, participants: [] as string[], summary: null,
  };
  if (p.parsed === null) {
    return { ...base, outcome: 'QUARANTINED', reason: p.problem, fingerprint: contentHash(p.item.raw), summary: headerSummary(p.item.raw) };
  }
  const renumbered = p.item.recheckStored ? storedBefore(p.parsed, p.fingerprint, lookups) : null;
  if (renumbered) return { ...base, outcome: 'DUPLICATE', ...renumbered };
  let d = await decide(p.parsed, server, pref, lookups, now, p.fingerprint);
  if (reprocess?.force && ((d.outcome !== 'TICKET_CREATED' && d.outcome !== 'APPENDED') || madeUp)) d = release(d, server);
  if ((d.outcome === 'TICKET_CREATED' || d.outcome === 'APPENDED') && p.parsed.senderNote) d = { ...d, reason: `${d.reason}; ${p.parsed.senderNote}` };
  const planned: Planned = { ...base, outcome: d.outcome, reason: d.reason, fingerprint: d.fingerprint };
  if (d.outcome === 'TICKET_CREATED') {
    planned.ticketId = randomUUID();
    // A stand-in until the batch's numbers are drawn in one query (planBatch).
    planned.created = { number: placeholder(), decision: d };
  } else if (d.outcome === 'APPENDED') {
    planned.ticketId = d.ticketId;
    planned.appendText = d.appendText;
    planned.reopen = d.reopen;
  }
  if ((d.outcome === 'TICKET_CREATED' || d.outcome === 'APPENDED') && p.parsed.attachments.length && attachmentStore) {
    const put = await attachmentStore.put(p.parsed.attachments, pref.maxAttachmentBytes);
    ({ html: planned.html, files: planned.files } = showInlineImages(p.html, put.files));
    if (put.note) planned.reason += ` (${put.note})`;
  }
  const ours = await lookups.ourAddresses(addressesToCheck(p.parsed));
  const people = [p.parsed.from?.address, ...p.parsed.to.map((a) => a.address), ...p.parsed.cc.map((a) => a.address)]
    .filter((a): a is string => Boolean(a) && !ours.has(lower(a!)));
  planned.participants = people;
  lookups.remember({
    messageId: p.parsed.messageId,
    fingerprint: d.fingerprint,
    ticketId: planned.ticketId,
    created: planned.created ? { number: planned.created.number, requester: p.parsed.from!.address, participants: people, previousTicketId: planned.created.decision.previousTicketId } : undefined,
    appendedParticipants: d.outcome === 'APPENDED' ? people : undefined,
  });
  return planned;
}

/**
 * What a release needs to make a ticket of anything: a message the parser could not read becomes
 * its header summary with the original attached; one without any sender address gets the
 * unknown requester, said in the reason.
 */
function releasable(p: Prepared): Prepared {
  const parsed = withRequester(p.parsed ?? unreadableMessage(p.item.raw, p.problem!));
  const fingerprint = parsed === p.parsed ? p.fingerprint! : contentFingerprint(parsed);
  return { item: p.item, parsed, html: p.parsed ? p.html : null, fingerprint, problem: null };
}

function withRequester(parsed: ParsedMessage): ParsedMessage {
  if (parsed.from) return parsed;
  return { ...parsed, from: { ...UNKNOWN_SENDER }, senderNote: `no sender address in the message: the requester is ${UNKNOWN_SENDER.address}` };
}

/** An admin released the message from quarantine: a ticket on the server's defaults, without an acknowledgment. */
function release(d: DecisionWithTrace, server: IncomingServerRow): DecisionWithTrace {
  return {
    outcome: 'TICKET_CREATED', reason: `released by an admin (the pipeline said ${d.outcome}: ${d.reason})`,
    route: { technicianGroupId: server.technicianGroupId, categoryId: server.categoryId, companyId: server.companyId, requestTypeId: null, priorityId: null },
    previousTicketId: null,
    matchedRules: [], acknowledge: false, acknowledgeNote: 'released from quarantine', trace: d.trace, fingerprint: d.fingerprint,
  };
}


/**
 * Ticket numbers from the tickets' sequence, drawn once per batch after every message is decided,
 * so each ticket knows its `REQ-n` before the rows are written.
 */
async function drawTicketNumbers(tx: Tx, count: number): Promise<number[]> {
  if (!count) return [];
  const result = await tx.execute(sql`select nextval(pg_get_serial_sequence('tickets', 'number'))::int as n from generate_series(1, ${count})`);
  return (result as unknown as { n: number }[]).map((r) => Number(r.n)).sort((a, b) => a - b);
}
