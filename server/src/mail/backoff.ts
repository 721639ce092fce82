export interface BackoffOptions {
  baseMs: number;
  factor: number;
  capMs: number;
  /** ± fraction of the delay, so many mailboxes failing together don't reconnect in lockstep. */
  jitter: number;
  /** A connection must stay up this long before the attempt counter resets; a flapping server keeps backing off. */
  stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 2000, factor: 1.5, capMs: 30_000, jitter: 0.2, stableAfterMs: 60_000 };

export class Backoff {
  private attempt = 0;
  private connectedAt: number | null = null;

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF, private readonly random: () => number = Math.random) {}

  get attempts(): number {
    return this.attempt;
  }

  connected(now: number): void {
    this.connectedAt = now;
  }

  /** Delay before the next attempt after a failure at `now`. */
  failed(now: number): number {
    if (this.connectedAt !== null && now - this.connectedAt >= this.options.stableAfterMs) this.attempt = 0;
    this.connectedAt = null;
    const { baseMs, factor, capMs, jitter } = this.options;
    const delay = Math.min(capMs, baseMs * factor ** this.attempt);
    this.attempt++;
    return Math.round(delay * (1 - jitter + 2 * jitter * this.random()));
  }
}
