import { describe, expect, it } from 'vitest';
import { EventLoopWatch } from '../../server/src/lib/event-loop-watch.ts';
import type { Logger } from '../../server/src/lib/logger.ts';

describe('EventLoopWatch', () => {
  it('logs a stretch over the 200 ms budget with its length and reports it as the recent worst', async () => {
    const lines: { blockedMs?: number; msg?: string }[] = [];
    const logger = { warn: (fields: object, msg: string) => lines.push({ ...fields, msg }) } as unknown as Logger;
    const watch = new EventLoopWatch(logger);
    watch.start();
    try {
      await new Promise((r) => setTimeout(r, 100));
      const until = performance.now() + 350;
      while (performance.now() < until) { /* hold the event loop */ }
      await new Promise((r) => setTimeout(r, 1_200));
      expect(watch.worstRecentMs()).toBeGreaterThanOrEqual(300);
      const blocked = lines.filter((l) => l.msg === 'the event loop was blocked longer than its budget');
      expect(blocked).toHaveLength(1);
      expect(blocked[0]!.blockedMs).toBeGreaterThanOrEqual(300);
    } finally {
      watch.stop();
    }
  });
});
