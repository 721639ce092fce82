import type { Logger } from './logger.js';

/** No request and no email may hold the event loop longer than this (issue 8). */
export const EVENT_LOOP_BUDGET_MS = 200;
const SAMPLE_MS = 20;
const CHECK_MS = 1_000;
/** `/healthz` reports the worst delay of this many checks. */
const RECENT_CHECKS = 60;

/** Milliseconds of CPU this thread has used; null where Node cannot tell (before 23.9). */
function threadCpuMs(): number | null {
  if (typeof process.threadCpuUsage !== 'function') return null;
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1_000;
}

interface Stretch { delayMs: number; cpuMs: number | null }
interface Recent { delayMs: number; heldMs: number }

/**
 * Watches the event loop: a timer every 20 ms notes how late it fires and how much CPU the main
 * thread used meanwhile. A stretch over the budget is one of two things, and the log says which:
 * - held: the main thread was running (our code, or its garbage collection) for longer than the
 *   budget — a warning, "the event loop was blocked longer than its budget";
 * - waited: the thread was ready but the machine ran something else (a loaded host, a stopped
 *   process) — logged as information with the CPU it did get, since no code of ours held it.
 * `/healthz` reports both worst figures of the last minute.
 *
 * perf_hooks' monitorEventLoopDelay was used before and measures the same delay with a C++ timer,
 * but cannot say whose the delay was: on a busy two-core CI host a process that gets no CPU for
 * 250 ms is indistinguishable from one that ran 250 ms of JavaScript. A JS timer costs the same
 * wake-ups and can read the thread's CPU clock (process.threadCpuUsage) at each one.
 */
export class EventLoopWatch {
  private sampler: NodeJS.Timeout | null = null;
  private reporter: NodeJS.Timeout | null = null;
  private lastAt = 0;
  private lastCpu: number | null = null;
  /** Worst stretches since the last check. */
  private worstDelay: Stretch = { delayMs: 0, cpuMs: 0 };
  private worstHeldMs = 0;
  private readonly recent: Recent[] = [];

  private readonly logger: Logger;

  // A plain field, not a parameter property: the unit test runs this file under Node's type stripping.
  constructor(logger: Logger) {
    this.logger = logger;
  }

  start(): void {
    if (this.sampler) return;
    this.lastAt = performance.now();
    this.lastCpu = threadCpuMs();
    this.sampler = setInterval(() => this.sample(), SAMPLE_MS).unref();
    this.reporter = setInterval(() => this.check(), CHECK_MS).unref();
  }

  stop(): void {
    if (this.sampler) clearInterval(this.sampler);
    if (this.reporter) clearInterval(this.reporter);
    this.sampler = this.reporter = null;
  }

  /** The longest the event loop was late in the last minute, ms, whoever's the delay. */
  worstRecentMs(): number {
    return Math.round(Math.max(this.worstDelay.delayMs, ...this.recent.map((r) => r.delayMs)));
  }

  /** The longest the main thread itself held the event loop in the last minute, ms. */
  worstRecentHeldMs(): number {
    return Math.round(Math.max(this.worstHeldMs, ...this.recent.map((r) => r.heldMs)));
  }

  private sample(): void {
    const now = performance.now();
    const cpu = threadCpuMs();
    const delayMs = Math.max(0, now - this.lastAt - SAMPLE_MS);
    const cpuMs = cpu === null || this.lastCpu === null ? null : cpu - this.lastCpu;
    this.lastAt = now;
    this.lastCpu = cpu;
    // Without a thread clock every delay counts as held: the strict reading.
    const heldMs = cpuMs === null ? delayMs : Math.min(delayMs, cpuMs);
    if (delayMs > this.worstDelay.delayMs) this.worstDelay = { delayMs, cpuMs };
    if (heldMs > this.worstHeldMs) this.worstHeldMs = heldMs;
  }

  private check(): void {
    if (!this.sampler) return;
    const { delayMs, cpuMs } = this.worstDelay;
    const heldMs = this.worstHeldMs;
    this.worstDelay = { delayMs: 0, cpuMs: 0 };
    this.worstHeldMs = 0;
    this.recent.push({ delayMs, heldMs });
    if (this.recent.length > RECENT_CHECKS) this.recent.shift();
    if (heldMs > EVENT_LOOP_BUDGET_MS) {
      this.logger.warn({ blockedMs: Math.round(heldMs) }, 'the event loop was blocked longer than its budget');
    } else if (delayMs > EVENT_LOOP_BUDGET_MS) {
      this.logger.info({ delayMs: Math.round(delayMs), cpuMs: cpuMs === null ? null : Math.round(cpuMs) }, 'the event loop waited for the CPU longer than its budget');
    }
  }
}
