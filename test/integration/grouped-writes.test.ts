import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tx } from '../../server/src/db/client.ts';
import { startTestApp, type TestApp } from '../testkit/app.ts';
import { waitFor } from '../testkit/services/util.ts';

// Writes that many mailboxes make at once go as one statement: health reports (a burst of mail
// makes every mailbox say "syncing", then "connected") and the checkpoints of a group commit.
describe('grouped writes', () => {
  let t: TestApp;
  const servers: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    servers.push(...(await t.seed.unreadMailboxes(4, 'grouped')));
    // The supervisor reports each new (disabled) server once; that report must not land in the tests'.
    await waitFor('the servers reported disabled', async () => (await writers(servers)).size === servers.length && [...(await writers(servers)).values()].every((r) => r.connection_state === 'disabled'), 10_000);
  });
  afterAll(() => t?.stop());

  /** The transaction that last wrote each server's health row. */
  const writers = async (ids: string[]) => {
    const rows = (await t.app.services.db.execute(sql`select server_id, xmin::text as xmin, connection_state, inbound_queue_count from server_health where server_id = any(${`{${ids.join(',')}}`}::uuid[])`)) as unknown as { server_id: string; xmin: string; connection_state: string; inbound_queue_count: number }[];
    return new Map(rows.map((r) => [r.server_id, r]));
  };

  it('writes the health reports that waited in one statement, and a failing one alone', async () => {
    const health = t.app.services.health;
    const [a, b, c, d] = servers as [string, string, string, string];
    const gone = randomUUID(); // no such server: its row can't be written (foreign key)
    // The first runs at once, alone; the others wait for it and go together — one of them failing.
    await Promise.all([
      health.report(a, { connectionState: 'syncing', inboundQueueCount: 3 }),
      health.report(b, { connectionState: 'syncing', inboundQueueCount: 4 }),
      health.report(c, { connectionState: 'syncing', inboundQueueCount: 5 }),
      health.report(gone, { connectionState: 'syncing', inboundQueueCount: 6 }),
      health.report(d, { connectionState: 'syncing', inboundQueueCount: 7 }),
    ]);
    const rows = await writers([a, b, c, d, gone]);
    expect([a, b, c, d].map((id) => [rows.get(id)?.connection_state, rows.get(id)?.inbound_queue_count])).toEqual([['syncing', 3], ['syncing', 4], ['syncing', 5], ['syncing', 7]]);
    expect(rows.has(gone)).toBe(false);
    expect(rows.get(b)!.xmin).not.toBe(rows.get(a)!.xmin);
    expect((await health.get(c)).connectionState).toBe('syncing');

    // Without a failing one, what waited shares one transaction.
    await Promise.all([
      health.report(a, { connectionState: 'connected', inboundQueueCount: 0 }),
      health.report(b, { connectionState: 'connected', inboundQueueCount: 0 }),
      health.report(c, { connectionState: 'connected', inboundQueueCount: 0 }),
      health.report(d, { connectionState: 'connected', inboundQueueCount: 0 }),
    ]);
    const after = await writers([a, b, c, d]);
    expect([...after.values()].map((r) => r.connection_state)).toEqual(['connected', 'connected', 'connected', 'connected']);
    expect(new Set([b, c, d].map((id) => after.get(id)!.xmin)).size).toBe(1);
    expect(after.get(a)!.xmin).not.toBe(after.get(b)!.xmin);
  });

  it('saves the checkpoints of one transaction and one tick in one statement, leaving the columns a save does not name alone', async () => {
    const checkpoints = t.app.services.checkpoints;
    const [a, b, c] = servers as [string, string, string];
    await checkpoints.save(t.app.services.db, { serverId: c, folder: 'INBOX', uidValidity: 77, lastUid: 5, baselineUid: 2, cursor: null });
    let statements = 0;
    await t.app.services.db.transaction(async (tx) => {
      const counted = new Proxy(tx, {
        get(target, p, receiver) {
          if (p !== 'execute') return Reflect.get(target, p, receiver) as unknown;
          return (...args: Parameters<Tx['execute']>) => {
            statements++;
            return target.execute(...args);
          };
        },
      });
      await Promise.all([
        checkpoints.save(counted, { serverId: a, folder: 'INBOX', uidValidity: 9, lastUid: 10, baselineUid: 1, cursor: '{}' }),
        checkpoints.save(counted, { serverId: b, folder: 'INBOX', uidValidity: 9, lastUid: 20, baselineUid: 1, cursor: '{}' }),
        checkpoints.save(counted, { serverId: a, folder: 'INBOX', uidValidity: 9, lastUid: 11, baselineUid: 1, cursor: '{}' }), // the later save wins
        // A save naming fewer columns (EWS, Graph) goes in a statement of its own and keeps the others.
        checkpoints.save(counted, { serverId: c, folder: 'INBOX', lastUid: 6, cursor: 'x' }),
      ]);
    });
    expect(statements).toBe(2);
    expect(await checkpoints.get(a, 'INBOX')).toMatchObject({ uidValidity: 9, lastUid: 11, baselineUid: 1, cursor: '{}' });
    expect(await checkpoints.get(b, 'INBOX')).toMatchObject({ lastUid: 20 });
    expect(await checkpoints.get(c, 'INBOX')).toMatchObject({ uidValidity: 77, lastUid: 6, baselineUid: 2, cursor: 'x' });
  });
});
