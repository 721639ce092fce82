import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SyncNotice } from '../../server/src/mail/sync-notice.ts';
import type { HealthPatch } from '../../server/src/mail/ports.ts';

describe('SyncNotice: "syncing" only for a sync that lasts', () => {
  let reports: HealthPatch[];
  const report = async (patch: HealthPatch) => void reports.push(patch);

  beforeEach(() => {
    vi.useFakeTimers();
    reports = [];
  });
  afterEach(() => vi.useRealTimers());

  it('a sync that ends in time reports nothing', async () => {
    const notice = new SyncNotice(report, 1000);
    notice.set({ connectionState: 'syncing' });
    notice.set({ connectionState: 'syncing', inboundQueueCount: 3 });
    await notice.flushed();
    vi.advanceTimersByTime(999);
    notice.end();
    vi.advanceTimersByTime(5000);
    expect(reports).toEqual([]);
  });

  it('a long sync reports the merged patch when it has lasted, then every later one at once', async () => {
    const notice = new SyncNotice(report, 1000);
    notice.set({ connectionState: 'syncing' });
    notice.set({ inboundQueueCount: 500 });
    vi.advanceTimersByTime(1000);
    expect(reports).toEqual([{ connectionState: 'syncing', inboundQueueCount: 500 }]);
    notice.set({ inboundQueueCount: 250 });
    expect(reports.at(-1)).toEqual({ inboundQueueCount: 250 });
    await notice.flushed();
    notice.end();
  });

  it('a failed report fails flushed(), so the sync does not commit behind a health write that failed', async () => {
    const notice = new SyncNotice(() => Promise.reject(new Error('database down')), 10);
    notice.set({ connectionState: 'syncing' });
    vi.advanceTimersByTime(10);
    await expect(notice.flushed()).rejects.toThrow('database down');
    notice.end();
  });
});
