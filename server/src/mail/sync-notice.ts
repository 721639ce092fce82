import type { HealthPatch } from './ports.js';

/**
 * A sync says "syncing" (and how much mail waits) only once it has lasted this long. Most syncs
 * take one new mail in ~20 ms: saying "syncing" and then "connected" cost two health writes and
 * two live events per mail — a fifth of the statements of a one-mail ticket — for a state no one
 * could see. A long sync (a backlog, a big message, a slow server) still shows it, and its count.
 */
export const SYNCING_SHOWN_AFTER_MS = 1_000;

/**
 * Holds a sync's health patches until the sync has lasted `afterMs`, then reports the merged
 * patch and every later one at once. `flushed()` waits for what was reported (its failure fails
 * the sync, as an awaited report would); `end()` drops what was never shown.
 */
export class SyncNotice {
  private pending: HealthPatch | null = null;
  private shown = false;
  private last: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly report: (patch: HealthPatch) => Promise<void>, afterMs = SYNCING_SHOWN_AFTER_MS) {
    this.timer = setTimeout(() => {
      this.shown = true;
      if (this.pending) this.send(this.pending);
      this.pending = null;
    }, afterMs);
    this.timer.unref();
  }

  set(patch: HealthPatch): void {
    if (this.shown) this.send(patch);
    else this.pending = { ...this.pending, ...patch };
  }

  flushed(): Promise<void> {
    return this.last;
  }

  end(): void {
    clearTimeout(this.timer);
    this.pending = null;
  }

  private send(patch: HealthPatch): void {
    // Reports are serialised per server by the health service; a failure is kept for flushed().
    this.last = Promise.all([this.last, this.report(patch)]).then(() => {});
    this.last.catch(() => {});
  }
}
