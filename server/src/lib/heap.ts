// Imported first by main.ts, so it runs before the rest of the server is evaluated.
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { Logger } from './logger.js';

// Node 24 sizes its heap for throughput: an idle Mailroom held ~280 MB RSS. Heap sizing for
// memory brings it to ~115 MB. Not allowed in NODE_OPTIONS, and a command-line flag would have to
// be repeated by every launcher (pnpm start, a service unit, the tests), hence here.
v8.setFlagsFromString('--optimize-for-size');

/** Event-loop utilisation over one second from which the server counts as busy. */
export const BUSY_UTILISATION = 0.5;
/** Below this, a second counts as calm; this many calm seconds in a row and the heap is sized for memory again. */
export const CALM_UTILISATION = 0.2;
export const CALM_SECONDS = 15;

export type HeapSizing = 'memory' | 'throughput';

/**
 * Which way the heap is sized, from the event loop's utilisation second by second. Sized for
 * memory, V8 collects with a minimal growing factor: under load (a thousand mailboxes each
 * taking a mail at once) that is a full mark-compact every ~0.4 s, and the collector's threads
 * spent more CPU than the server's own work did (`pnpm bench mailboxes 1000`: 35–39 ms of CPU
 * per mail; 12 ms sized for throughput throughout, 14 ms with this switch). Sized for throughput
 * throughout, the idle server holds 40 MB more. So a busy server sizes for throughput, and a calm
 * one goes back to memory, where V8's memory reducer gives back what the busy spell took.
 */
export class HeapMode {
  private calm = 0;
  sizing: HeapSizing = 'memory';

  /** One second's utilisation (0–1); returns the new sizing when it changes. */
  sample(utilisation: number): HeapSizing | null {
    if (utilisation >= BUSY_UTILISATION) {
      this.calm = 0;
      return this.sizing === 'throughput' ? null : (this.sizing = 'throughput');
    }
    this.calm = utilisation < CALM_UTILISATION ? this.calm + 1 : 0;
    if (this.sizing === 'throughput' && this.calm >= CALM_SECONDS) return (this.sizing = 'memory');
    return null;
  }
}

/**
 * Samples the event loop once a second and switches V8 between the two sizings (HeapMode).
 * `optimize_for_size` is read by the collector at each decision, so the switch takes effect with
 * the next collection. Returns the function that stops it.
 */
export function adaptHeapToLoad(log: Logger): () => void {
  const mode = new HeapMode();
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    const sizing = mode.sample(utilization);
    if (!sizing) return;
    v8.setFlagsFromString(sizing === 'memory' ? '--optimize-for-size' : '--no-optimize-for-size');
    log.debug({ sizing, utilisation: Math.round(utilization * 100) / 100 }, 'heap sized for ' + sizing);
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
