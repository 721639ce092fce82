import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import type { Logger } from './logger.js';

/** No request and no email may hold the event loop longer than this (issue 8). */
export const EVENT_LOOP_BUDGET_MS = 200;
const CHECK_MS = 1_000;
/** `/healthz` reports the worst delay of this many checks. */
const RECENT_CHECKS = 60;

/**
 * Watches the event loop's delay (perf_hooks): a stretch over the budget is logged as a warning
 * with its length, and the worst delay of the last minute is there for `/healthz`. The histogram
 * samples every 20 ms; that and one timer a second are all it costs.
 */
export class EventLoopWatch {
  private histogram: ELDHistogram | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly recent: number[] = [];

  constructor(private readonly logger: Logger) {}

  start(): void {
    if (this.histogram) return;
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
    this.timer = setInterval(() => this.check(), CHECK_MS).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.histogram?.disable();
    this.histogram = null;
  }

  /** The longest the event loop was held in the last minute, ms. */
  worstRecentMs(): number {
    const current = this.histogram ? this.histogram.max / 1e6 : 0;
    return Math.round(Math.max(current, ...this.recent));
  }

  private check(): void {
    const histogram = this.histogram;
    if (!histogram) return;
    const worst = histogram.max / 1e6;
    histogram.reset();
    this.recent.push(worst);
    if (this.recent.length > RECENT_CHECKS) this.recent.shift();
    if (worst > EVENT_LOOP_BUDGET_MS) this.logger.warn({ blockedMs: Math.round(worst) }, 'the event loop was blocked longer than its budget');
  }
}
