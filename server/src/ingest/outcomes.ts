// What ingest reports: per message, per dry run and reprocess, per batch (for notifications and
// the benches), and the hand-over between a connector's fetch and the parser pool.
import type { EmailOutcome, EmailPreferenceRow } from '../db/schema.js';
import type { TraceStep } from './pipeline.js';
import type { IncomingItem, Prepared } from './plan.js';

export interface IngestOutcome {
  sourceKey: string;
  /** null when the message had been ingested already (a re-fetch after a crash). */
  outcome: EmailOutcome | null;
  reason: string | null;
  ticketId: string | null;
}

export interface ReprocessOutcome { outcome: EmailOutcome; reason: string; ticketId: string | null }

export interface DryRunResult {
  outcome: EmailOutcome;
  reason: string;
  trace: TraceStep[];
  route: { technicianGroupId: string | null; categoryId: string | null; companyId: string | null; requestTypeId: string | null; priorityId: string | null } | null;
  matchedRules: { id: string; name: string }[];
  ticketId: string | null;
  acknowledge: boolean | null;
  parsed: { subject: string; from: string | null; messageId: string | null } | null;
}

export interface CommittedChanges { created: string[]; replied: string[] }

/**
 * Starts SPEC §4 steps 2–3 for one fetched message in the parser pool (see IngestService.preparer);
 * `maxMessageBytes` is the size limit it applies.
 */
export type Preparer = ((item: IncomingItem) => PendingMessage) & { maxMessageBytes: number };

/**
 * A message handed to the parser pool, with when it was handed over (for the batch timings) and
 * the email preference it was prepared under (its batch is decided under the same one).
 */
export interface PendingMessage { item: IncomingItem; submittedAt: number; prepared: Promise<Prepared>; preference?: EmailPreferenceRow }

/** Where one batch's time went, in ms since `performance.timeOrigin` (see IngestService.observe). */
export interface BatchTimings {
  serverId: string;
  messages: number;
  /** The first message of the batch was handed to the parser pool. */
  submittedAt: number;
  /** Every message of the batch is parsed. */
  parsedAt: number;
  /** The transaction began (it may wait for the parse and for the previous batch). */
  beganAt: number;
  /** Every message is decided (its transaction's reads and the pipeline's steps). */
  decidedAt: number;
  committedAt: number;
  /** Events are published. */
  publishedAt: number;
}
