import type { Logger } from '../lib/logger.js';

export interface HousekeepingTask { name: string; run(): Promise<unknown> }

/**
 * Periodic clean-up that no request waits for: the quarantine's retention purge and the sweep
 * of attachment files whose transaction never committed. Runs shortly after start, then hourly;
 * one failing task is logged and does not stop the others.
 */
export class Housekeeping {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly tasks: HousekeepingTask[], private readonly logger: Logger, private readonly intervalMs = 3_600_000) {}

  start(firstRunMs = 60_000): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.tick(), firstRunMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  async runOnce(): Promise<void> {
    for (const task of this.tasks) {
      try {
        await task.run();
      } catch (err) {
        this.logger.error({ err, task: task.name }, 'housekeeping task failed');
      }
    }
  }

  private tick(): void {
    this.running = this.runOnce().finally(() => {
      this.running = null;
      if (!this.timer) return;
      this.timer = setTimeout(() => this.tick(), this.intervalMs);
      this.timer.unref?.();
    });
  }
}
