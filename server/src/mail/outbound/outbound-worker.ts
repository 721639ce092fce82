import { and, asc, eq, inArray, lte, min } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { messages, outboundMail, type OutboundMailRow } from '../../db/schema.js';
import type { Logger } from '../../lib/logger.js';
import type { OutgoingServerDirectory } from '../ports.js';
import { SEND_TIMEOUTS, describeSmtpFailure, withSmtpTransport, type SmtpTimeouts } from './smtp.js';

/** Waits after the 1st, 2nd, … failed attempt; after the last one the mail is FAILED. */
export const RETRY_DELAYS_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 6 * 3_600_000];

export interface OutboundWorkerOptions {
  allowLoopback: boolean;
  /**
   * The longest sleep between two looks at the queue (default 60 s). The worker wakes earlier
   * for the next retry that falls due, and at once when this process queues mail (kick); the
   * periodic look only finds mail queued by a process that died before sending it, or a claim
   * a crashed process left behind.
   */
  pollIntervalMs?: number;
  retryDelaysMs?: number[];
  /** How long a claimed row stays invisible to other workers; a crash mid-send is retried after it. */
  claimMs?: number;
  batchSize?: number;
  timeouts?: SmtpTimeouts;
}

export interface TickResult { sent: number; retrying: number; failed: number }

export type FailureListener = (mail: Omit<OutboundMailRow, 'raw'>) => void;

/** A mail's delivery state changed (sent, a retry scheduled, failed). */
export type ChangeListener = (mail: Pick<OutboundMailRow, 'id' | 'ticketId' | 'status'>) => void;

/** The retry decision after attempt number `attempts` failed. Pure. */
export function nextAttempt(attempts: number, permanent: boolean, delays: readonly number[], now: Date): { status: 'PENDING'; at: Date } | { status: 'FAILED' } {
  if (permanent || attempts > delays.length) return { status: 'FAILED' };
  return { status: 'PENDING', at: new Date(now.getTime() + delays[attempts - 1]!) };
}

function formatDelay(ms: number): string {
  if (ms >= 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * Sends queued outbound mail (acknowledgments) after the transaction that queued it committed.
 * Rows are claimed with FOR UPDATE SKIP LOCKED and a short lease, so several Mailroom processes
 * share one queue without sending a message twice, and a process killed mid-send leaves the
 * row to be retried rather than lost. Every failure is written to `lastError` in our words.
 */
export class OutboundWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<TickResult> | null = null;
  private again = false;
  private stopped = true;
  private readonly listeners: FailureListener[] = [];
  private readonly changeListeners: ChangeListener[] = [];
  private readonly delays: number[];

  constructor(
    private readonly db: Db,
    private readonly outgoing: OutgoingServerDirectory,
    private readonly logger: Logger,
    private readonly opts: OutboundWorkerOptions,
  ) {
    this.delays = opts.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  /** Called for every mail that ends FAILED (for the SEND_FAILED notification). */
  onFailure(listener: FailureListener): void {
    this.listeners.push(listener);
  }

  /** Called after every attempt that changed a mail's state (the ticket page shows it live). */
  onChange(listener: ChangeListener): void {
    this.changeListeners.push(listener);
  }

  private changed(mail: Pick<OutboundMailRow, 'id' | 'ticketId' | 'status'>): void {
    for (const l of this.changeListeners) {
      try {
        l(mail);
      } catch (err) {
        this.logger.warn({ err }, 'outbound change listener threw');
      }
    }
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Look at the queue now rather than at the next poll (after an acknowledgment was committed). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    const longest = this.opts.pollIntervalMs ?? 60_000;
    let wait = longest;
    try {
      await this.runOnce();
      const next = await this.nextDueAt();
      if (next) wait = Math.min(longest, Math.max(0, next.getTime() - Date.now()));
    } catch (err) {
      this.logger.error({ err }, 'outbound mail queue run failed');
      wait = Math.min(longest, 5000);
    }
    const again = this.again;
    this.again = false;
    this.schedule(again ? 0 : wait);
  }

  /** When the earliest waiting mail falls due (a retry, or a claim that will lapse); null: none waits. */
  private async nextDueAt(): Promise<Date | null> {
    const [row] = await this.db.select({ at: min(outboundMail.nextAttemptAt) }).from(outboundMail).where(eq(outboundMail.status, 'PENDING'));
    return row?.at ?? null;
  }

  /** One pass over the mail due at `now`. Serialised: a second call waits for the first. */
  async runOnce(now: Date = new Date()): Promise<TickResult> {
    while (this.running) await this.running.catch(() => undefined);
    const run = this.pass(now);
    this.running = run;
    try {
      return await run;
    } finally {
      if (this.running === run) this.running = null;
    }
  }

  private async pass(now: Date): Promise<TickResult> {
    const result: TickResult = { sent: 0, retrying: 0, failed: 0 };
    for (;;) {
      const batch = await this.claim(now);
      for (const mail of batch) {
        const outcome = await this.send(mail, now);
        result[outcome]++;
      }
      if (batch.length < (this.opts.batchSize ?? 20)) return result;
    }
  }

  private claim(now: Date): Promise<OutboundMailRow[]> {
    return this.db.transaction(async (tx) => {
      const due = await tx
        .select({ id: outboundMail.id })
        .from(outboundMail)
        .where(and(eq(outboundMail.status, 'PENDING'), lte(outboundMail.nextAttemptAt, now)))
        .orderBy(asc(outboundMail.nextAttemptAt))
        .limit(this.opts.batchSize ?? 20)
        .for('update', { skipLocked: true });
      if (!due.length) return [];
      return tx
        .update(outboundMail)
        .set({ nextAttemptAt: new Date(Math.max(now.getTime(), Date.now()) + (this.opts.claimMs ?? 5 * 60_000)) })
        .where(inArray(outboundMail.id, due.map((d) => d.id)))
        .returning();
    });
  }

  private async send(mail: OutboundMailRow, now: Date): Promise<'sent' | 'retrying' | 'failed'> {
    const attempts = mail.attempts + 1;
    const server = await this.outgoing.forSending(mail.outgoingServerId);
    if (!server) {
      return this.fail(mail, attempts, 'No outgoing email server to send through: the one this mail was queued for was deleted or disabled, and no enabled primary outgoing server exists');
    }
    if (!mail.raw?.length) return this.fail(mail, attempts, 'The queued message is empty; nothing to send');

    const target = this.outgoing.smtpTarget(server);
    const envelope = { from: server.fromAddress, to: [mail.toAddress, ...mail.ccAddresses] };
    try {
      await withSmtpTransport(target, { allowLoopback: this.opts.allowLoopback, timeouts: this.opts.timeouts ?? SEND_TIMEOUTS }, (t) => t.sendMail({ envelope, raw: mail.raw! }));
    } catch (err) {
      const failure = describeSmtpFailure(err, target, { from: envelope.from, to: envelope.to });
      const next = nextAttempt(attempts, failure.permanent, this.delays, now);
      this.logger.warn({ outboundMailId: mail.id, attempts, stage: failure.stage, code: (err as { code?: string }).code }, 'outbound mail not sent');
      if (next.status === 'FAILED') {
        const why = failure.permanent ? 'not retried: the server refused it for good' : `gave up after ${attempts} attempts`;
        return this.fail(mail, attempts, `${failure.message}; ${why}`, server.id);
      }
      await this.db
        .update(outboundMail)
        .set({
          attempts,
          nextAttemptAt: next.at,
          outgoingServerId: server.id,
          lastError: `${failure.message}; attempt ${attempts} of ${this.delays.length + 1}, next in ${formatDelay(next.at.getTime() - now.getTime())}`,
        })
        .where(eq(outboundMail.id, mail.id));
      this.changed({ id: mail.id, ticketId: mail.ticketId, status: 'PENDING' });
      return 'retrying';
    }

    const sentAt = new Date();
    await this.db.transaction(async (tx) => {
      await tx.update(outboundMail).set({ status: 'SENT', attempts, sentAt, lastError: null, outgoingServerId: server.id }).where(eq(outboundMail.id, mail.id));
      await tx.update(messages).set({ sentAt }).where(and(eq(messages.messageId, mail.messageId), eq(messages.direction, 'OUTBOUND')));
    });
    this.changed({ id: mail.id, ticketId: mail.ticketId, status: 'SENT' });
    return 'sent';
  }

  private async fail(mail: OutboundMailRow, attempts: number, lastError: string, serverId?: string): Promise<'failed'> {
    const [row] = await this.db
      .update(outboundMail)
      .set({ status: 'FAILED', attempts, lastError, ...(serverId ? { outgoingServerId: serverId } : {}) })
      .where(eq(outboundMail.id, mail.id))
      .returning();
    this.logger.error({ outboundMailId: mail.id, attempts, lastError }, 'outbound mail failed');
    if (row) {
      this.changed({ id: row.id, ticketId: row.ticketId, status: 'FAILED' });
      const { raw: _raw, ...visible } = row;
      for (const l of this.listeners) {
        try {
          l(visible);
        } catch (err) {
          this.logger.warn({ err }, 'outbound failure listener threw');
        }
      }
    }
    return 'failed';
  }
}
