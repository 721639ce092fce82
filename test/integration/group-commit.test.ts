import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tx } from '../../server/src/db/client.ts';
import type { IncomingServerRow } from '../../server/src/db/schema.ts';
import { startTestApp, type TestApp } from '../testkit/app.ts';
import { mail } from '../testkit/mail.ts';

/** A gate a checkpoint waits at, so a test can keep a transaction open. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

// Mail from many mailboxes that is ready while earlier transactions are still running shares the
// next transaction (IngestService's group commit), each mailbox with its own checkpoint — and a
// mailbox whose part fails does not take the others down with it.
describe('group commit across mailboxes', () => {
  let t: TestApp;
  const servers: IncomingServerRow[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    for (const id of await t.seed.unreadMailboxes(5, 'group')) servers.push((await t.app.services.servers.get(id))!);
  });
  afterAll(() => t?.stop());

  /**
   * One mailbox's batch of `n` mails; its checkpoint records the transaction it ran in (and may
   * wait or fail). `entered`: its transaction reached the checkpoint.
   */
  async function submit(server: IncomingServerRow, n: number, opts: { wait?: Promise<void>; fail?: boolean } = {}) {
    const ingest = t.app.services.ingest;
    const prepare = await ingest.preparer();
    const items = Array.from({ length: n }, (_, i) => prepare({
      sourceKey: `group:${server.id}:${randomUUID()}`,
      raw: Buffer.from(mail({ from: `sender-${randomUUID().slice(0, 6)}@customer.example`, to: server.email, subject: `Group ${server.name} ${i}`, body: `Mail ${i}.` })),
    }));
    // Parsed before it is handed over, so it reaches the group commit at once.
    await Promise.all(items.map((i) => i.prepared));
    const seen: { txid?: string } = {};
    let enter = () => {};
    const entered = new Promise<void>((resolve) => (enter = resolve));
    const checkpoint = async (tx: Tx) => {
      enter();
      await opts.wait;
      const [row] = (await tx.execute(sql`select txid_current()::text as txid`)) as unknown as { txid: string }[];
      seen.txid = row!.txid;
      if (opts.fail) throw new Error('this mailbox lost its lease');
      await t.app.services.checkpoints.save(tx, { serverId: server.id, folder: 'INBOX', lastUid: n });
    };
    return { outcomes: ingest.ingestPrepared(server, items, checkpoint), seen, entered };
  }

  const ticketsOf = async (serverId: string) =>
    Number(((await t.app.services.db.execute(sql`select count(*)::int as n from tickets where incoming_server_id = ${serverId}`)) as unknown as { n: number }[])[0]!.n);

  it('commits the batches that waited together, in one transaction, each with its own checkpoint', async () => {
    const held = gate();
    const [s0, s1, s2, s3, s4] = servers as [IncomingServerRow, IncomingServerRow, IncomingServerRow, IncomingServerRow, IncomingServerRow];
    // Two transactions held open: every slot is busy, so what comes next waits and is grouped.
    const first = await submit(s0, 1, { wait: held.opened });
    const second = await submit(s1, 1, { wait: held.opened });
    await Promise.all([first.entered, second.entered]);
    const waiting = await Promise.all([submit(s2, 2), submit(s3, 1), submit(s4, 3)]);
    await new Promise((resolve) => setImmediate(resolve));
    held.open();
    const results = await Promise.all([first.outcomes, second.outcomes, ...waiting.map((w) => w.outcomes)]);

    expect(results.map((r) => r.map((o) => o.outcome))).toEqual([
      ['TICKET_CREATED'], ['TICKET_CREATED'], ['TICKET_CREATED', 'TICKET_CREATED'], ['TICKET_CREATED'], ['TICKET_CREATED', 'TICKET_CREATED', 'TICKET_CREATED'],
    ]);
    const grouped = new Set(waiting.map((w) => w.seen.txid));
    expect(grouped.size).toBe(1);
    expect(grouped.has(first.seen.txid)).toBe(false);
    expect(first.seen.txid).not.toBe(second.seen.txid);
    for (const [server, n] of [[s2, 2], [s3, 1], [s4, 3]] as const) {
      expect(await ticketsOf(server.id)).toBe(n);
      expect((await t.app.services.checkpoints.get(server.id, 'INBOX'))?.lastUid).toBe(n);
    }
  });

  it("one mailbox's failing part is retried alone: the others of its group commit, its own mail and checkpoint do not", async () => {
    const held = gate();
    const [s0, s1, s2, s3] = servers as [IncomingServerRow, IncomingServerRow, IncomingServerRow, IncomingServerRow];
    const before = await Promise.all([s2, s3].map((s) => ticketsOf(s.id)));
    const busy = [await submit(s0, 1, { wait: held.opened }), await submit(s1, 1, { wait: held.opened })];
    await Promise.all(busy.map((b) => b.entered));
    const good = await submit(s2, 2);
    const bad = await submit(s3, 1, { fail: true });
    const badFailed = bad.outcomes.then(() => null, (err: Error) => err.message);
    await new Promise((resolve) => setImmediate(resolve));
    held.open();
    await Promise.all(busy.map((b) => b.outcomes));
    expect((await good.outcomes).map((o) => o.outcome)).toEqual(['TICKET_CREATED', 'TICKET_CREATED']);
    expect(await badFailed).toBe('this mailbox lost its lease');
    expect(await ticketsOf(s2.id)).toBe(before[0]! + 2);
    expect(await ticketsOf(s3.id)).toBe(before[1]!);
    expect((await t.app.services.checkpoints.get(s3.id, 'INBOX'))?.lastUid).toBe(1);
  });
});
