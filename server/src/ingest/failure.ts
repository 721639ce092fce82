import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { emailAudit, messages, quarantine, type IncomingServerRow } from '../db/schema.js';
import type { Logger } from '../lib/logger.js';
import { storableText } from '../lib/text.js';
import { contentHash } from './content-hash.js';
import { headerSummary } from './mime/summary.js';
import type { IngestOutcome } from './outcomes.js';
import { fullSize, type Prepared } from './plan.js';

/**
 * Records FAILED with the raw message kept, so the mailbox moves on. When that fails too (the
 * message's own fields are what the database refuses, e.g. a Message-ID too long for its index),
 * a minimal record — the raw bytes and the reason, nothing parsed — is kept instead. Only a
 * database that does not answer at all makes this throw: the connector then retries the message
 * later instead of skipping it. `audited`: the audit entry to announce, if one was written.
 */
export async function recordFailure(
  db: Db, logger: Logger, server: IncomingServerRow, p: Prepared, err: unknown, checkpoint?: (tx: Tx) => Promise<void>,
): Promise<{ outcome: IngestOutcome; audited: string | null }> {
  const reason = storableText(`processing failed: ${firstLine(err)}`).slice(0, 1000);
  logger.error({ err, serverId: server.id, sourceKey: p.item.sourceKey }, 'message processing failed');
  const record = (minimal: boolean) => db.transaction(async (tx) => {
    const recorded = await writeFailure(tx, server, p, reason, { minimal });
    if (checkpoint) await checkpoint(tx);
    return { outcome: { sourceKey: p.item.sourceKey, outcome: recorded ? ('FAILED' as const) : null, reason, ticketId: null }, audited: recorded };
  });
  try {
    return await record(false);
  } catch (again) {
    if (!(await databaseAnswers(db))) throw again;
    logger.error({ err: again, serverId: server.id, sourceKey: p.item.sourceKey }, 'recording the failure failed too; keeping the raw message with the reason only');
    return record(true);
  }
}

/**
 * A message that could not be processed, recorded FAILED with its raw bytes kept (quarantine +
 * audit). `minimal`: nothing parsed is written, only the raw bytes and the reason (the parsed
 * fields were what the database refused). Returns the audit entry's id; null when its row existed already (another attempt
 * recorded it).
 */
async function writeFailure(tx: Tx, server: IncomingServerRow, p: Prepared, reason: string, opts: { minimal: boolean } = { minimal: false }): Promise<string | null> {
  const summary = p.parsed || opts.minimal ? null : headerSummary(p.item.raw);
  const known = opts.minimal
    ? { messageId: null, fromAddress: null, subject: null }
    : { messageId: p.parsed?.messageId ?? summary?.messageId ?? null, fromAddress: p.parsed?.from?.address ?? summary?.from?.address ?? null, subject: p.parsed?.subject ?? summary?.subject ?? null };
  const [message] = await tx
    .insert(messages)
    .values({ serverId: server.id, sourceKey: p.item.sourceKey, contentHash: contentHash(p.item.raw), rawSize: fullSize(p.item), raw: p.item.raw, ...known })
    .onConflictDoNothing({ target: messages.sourceKey })
    .returning({ id: messages.id });
  if (!message) return null;
  await tx.insert(quarantine).values({ messageRowId: message.id, serverId: server.id, reason: storableText(reason) });
  const [audited] = await tx.insert(emailAudit).values({ serverId: server.id, messageRowId: message.id, ...known, outcome: 'FAILED', reason: storableText(reason) }).returning({ id: emailAudit.id });
  return audited!.id;
}

async function databaseAnswers(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}

/** The database's own words rather than drizzle's "Failed query: <the SQL>" wrapper. */
function firstLine(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error && err.message.startsWith('Failed query') ? err.cause : err;
  return (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!.trim();
}
