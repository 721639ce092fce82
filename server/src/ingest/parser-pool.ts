import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import Tinypool from 'tinypool';
import type { Logger } from '../lib/logger.js';
import { rejected, type PreparedMail } from './prepared-mail.js';
import type { ParseResult, ParseTask } from './parser-worker.js';

/** A message whose worker died this often is quarantined instead of being tried again. */
export const WORKER_CRASH_ATTEMPTS = 3;
/**
 * Backstop for a parser stuck in a synchronous loop (parse.ts has its own 15 s deadline for
 * anything asynchronous): the worker is terminated and the message quarantined, not retried.
 */
const TASK_DEADLINE_MS = 60_000;
/** Workers of a pool not kept warm (no mailbox read yet: a dry run) leave after this long without work. */
const IDLE_TIMEOUT_MS = 60_000;
/** Per worker: a message that makes the parser allocate without bound kills that worker only. */
const WORKER_HEAP_MB = 512;

/** Messages per task while they queue up, and their size: fewer round trips, bounded memory per task. */
const CHUNK_MESSAGES = 32;
const CHUNK_BYTES = 4 * 1024 * 1024;

class PoolClosed extends Error {}

interface Job {
  raw: Buffer;
  maxMessageBytes: number;
  /** Runs that crashed a worker so far + 1. */
  attempt: number;
  resolve(mail: PreparedMail): void;
  reject(err: Error): void;
}

/**
 * Parsing and sanitising off the main thread: mailparser and sanitize-html are synchronous for
 * long stretches on large or hostile mail, and the event loop serves the API and every mailbox.
 * The pool is started on first use (an idle server holds no worker) with as many threads as
 * cores; each worker gets one task at a time, of up to CHUNK_MESSAGES queued messages.
 *
 * A worker that dies (out of memory, an uncaught error) is replaced and the messages of its task
 * are tried again, each alone; a message that kills workers WORKER_CRASH_ATTEMPTS times is
 * quarantined with the reason. A task stuck past TASK_DEADLINE_MS has its worker terminated.
 */
export class ParserPool {
  private pool: Tinypool | null = null;
  private closed = false;
  private readonly queue: Job[] = [];
  private running = 0;
  private readonly threads: number;
  private warm = false;
  private pumpScheduled = false;
  /** Tasks handed to the workers so far (each a round trip to a thread), for tests and benches. */
  tasksRun = 0;

  constructor(private readonly opts: { logger: Logger; faultPoint?: string; threads?: number }) {
    this.threads = opts.threads ?? availableParallelism();
  }

  /** Never rejects but when the pool is shut down: every failure of the message itself is a problem to quarantine. */
  prepare(raw: Buffer, maxMessageBytes: number): Promise<PreparedMail> {
    if (this.closed) return Promise.reject(new PoolClosed('the parser pool is shut down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ raw, maxMessageBytes, attempt: 1, resolve, reject });
      this.pumpSoon();
    });
  }

  /**
   * Tasks are handed out once the current turn of the event loop is done, so the messages that
   * arrived in it (a burst of pushed mail: many mailboxes' FETCH answers read at once) share a task.
   * A task is a round trip to a worker thread — a wake-up each way — which cost a one-message task
   * more than parsing its message did.
   */
  private pumpSoon(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * From now on every worker stays started, idle or not: starting one (loading the parser into a
   * new thread) takes ~0.4 s of CPU, which the first mail after a quiet minute waited for, and a
   * burst of mail paid again for the second thread while it was busiest (1,000 mailboxes, one mail
   * each: 0.8 instead of 1.0–1.2 ms per mail in the parser threads, for ~28 MB of RSS). Called once
   * a mailbox is read; an installation without mailboxes holds no parser thread.
   */
  keepWarm(): void {
    if (this.warm || this.closed) return;
    this.warm = true;
    this.pool ??= this.start();
  }

  async destroy(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new PoolClosed('the parser pool is shut down'));
    const pool = this.pool;
    this.pool = null;
    await pool?.destroy();
  }

  private pump(): void {
    while (this.running < this.threads && this.queue.length) {
      // What waits is shared among the free workers, so none idles while another holds a long task.
      const share = Math.min(CHUNK_MESSAGES, Math.ceil(this.queue.length / (this.threads - this.running)));
      const chunk = [this.queue.shift()!];
      // A retried message runs alone, so a crash names its culprit.
      let bytes = chunk[0]!.raw.length;
      while (chunk[0]!.attempt === 1 && chunk.length < share && this.queue[0]?.attempt === 1 && bytes + this.queue[0].raw.length <= CHUNK_BYTES) {
        bytes += this.queue[0].raw.length;
        chunk.push(this.queue.shift()!);
      }
      this.running++;
      this.tasksRun++;
      void this.run(chunk).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(jobs: Job[]): Promise<void> {
    const attempt = jobs[0]!.attempt;
    const messages = jobs.map((j) => ({ raw: new Uint8Array(j.raw), maxMessageBytes: j.maxMessageBytes }));
    let results: ParseResult[];
    try {
      this.pool ??= this.start();
      const task: ParseTask = { messages, attempt, faultPoint: this.opts.faultPoint ?? null };
      results = (await this.pool.run(task, { transferList: messages.map((m) => m.raw.buffer as ArrayBuffer), signal: AbortSignal.timeout(TASK_DEADLINE_MS) })) as ParseResult[];
    } catch (err) {
      if (this.closed) {
        for (const j of jobs) j.reject(new PoolClosed('the parser pool is shut down'));
        return;
      }
      const timedOut = (err as Error).name === 'AbortError';
      const reason = timedOut ? `parsing took longer than ${TASK_DEADLINE_MS / 1000} s` : describeCrash(err);
      if (jobs.length === 1 && (timedOut || attempt >= WORKER_CRASH_ATTEMPTS)) {
        jobs[0]!.resolve(rejected(timedOut ? reason : `the message crashed the parser ${attempt} times (${reason})`));
        return;
      }
      this.opts.logger.warn({ attempt, messages: jobs.length, reason }, 'a parser worker died; its messages are tried again, each alone');
      // Retried first, one by one: only the culprit fails again.
      this.queue.unshift(...jobs.map((j) => ({ ...j, attempt: j.attempt + 1 })));
      return;
    }
    jobs.forEach((job, i) => {
      const result = results[i]!;
      job.resolve(result.ok ? revive(result.mail) : rejected(`processing failed: ${result.error}`.slice(0, 1000)));
    });
  }

  private start(): Tinypool {
    const source = import.meta.url.endsWith('.ts');
    const pool = new Tinypool({
      filename: new URL(`./parser-worker.${source ? 'ts' : 'js'}`, import.meta.url).href,
      // Running from the TypeScript sources (tests, `pnpm dev`): the worker needs tsx as well.
      execArgv: source ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [],
      minThreads: this.warm ? this.threads : 0,
      maxThreads: this.threads,
      idleTimeout: IDLE_TIMEOUT_MS,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    // A worker error with no task on it would otherwise be an unhandled 'error' event.
    pool.on('error', (err: unknown) => this.opts.logger.warn({ err }, 'a parser worker failed'));
    return pool;
  }
}

function describeCrash(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') return `out of memory after ${WORKER_HEAP_MB} MB`;
  return `${(err as Error).message ?? String(err)}`.split('\n')[0]!.slice(0, 200);
}

/** Structured cloning hands Buffers back as plain Uint8Arrays. */
function revive(mail: PreparedMail): PreparedMail {
  if (!mail.parsed) return mail;
  for (const a of mail.parsed.attachments) a.content = Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength);
  return mail;
}
