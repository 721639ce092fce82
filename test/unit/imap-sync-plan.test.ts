import { describe, expect, it } from 'vitest';
import { planSync } from '../../server/src/mail/imap/imap-sync-plan.ts';

describe('planSync', () => {
  it('takes everything newer than the checkpoint, in batches, checkpointing each batch', () => {
    const plan = planSync({ lastUid: 10, baselineUid: 5, newer: [11, 12, 13, 14, 15], unseenBaseline: [], batchSize: 2 });
    expect(plan.toProcess).toBe(5);
    expect(plan.batches).toEqual([
      { uids: [11, 12], checkpointUid: 12 },
      { uids: [13, 14], checkpointUid: 14 },
      { uids: [15], checkpointUid: 15 },
    ]);
  });

  it('ignores the echo of the last UID that `N:*` returns when nothing is newer', () => {
    expect(planSync({ lastUid: 7, baselineUid: 0, newer: [7], unseenBaseline: [], batchSize: 100 })).toEqual({ batches: [], toProcess: 0 });
  });

  it('takes mail that was there before we started only when unread, but still moves past the read ones', () => {
    const plan = planSync({ lastUid: 0, baselineUid: 4, newer: [1, 2, 3, 4, 5], unseenBaseline: [2, 4], batchSize: 100 });
    expect(plan.batches).toEqual([{ uids: [2, 4, 5], checkpointUid: 5 }]);
  });

  it('moves the checkpoint even when every candidate was skipped', () => {
    const plan = planSync({ lastUid: 0, baselineUid: 3, newer: [1, 2, 3], unseenBaseline: [], batchSize: 100 });
    expect(plan).toEqual({ batches: [{ uids: [], checkpointUid: 3 }], toProcess: 0 });
  });

  it('takes new mail even if someone already read it in their mail client', () => {
    const plan = planSync({ lastUid: 3, baselineUid: 3, newer: [4], unseenBaseline: [], batchSize: 100 });
    expect(plan.batches).toEqual([{ uids: [4], checkpointUid: 4 }]);
  });
});

describe('planSync with sizes', () => {
  it('closes a batch before it exceeds the byte budget, but always takes at least one message', () => {
    const sizes = new Map([[1, 40], [2, 40], [3, 100], [4, 10]]);
    const plan = planSync({ lastUid: 0, baselineUid: 0, newer: [1, 2, 3, 4], unseenBaseline: [], batchSize: 10, sizes, maxBatchBytes: 90 });
    expect(plan.batches).toEqual([
      { uids: [1, 2], checkpointUid: 2 },
      { uids: [3], checkpointUid: 3 },
      { uids: [4], checkpointUid: 4 },
    ]);
  });
});
