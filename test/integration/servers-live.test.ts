// incomingEmailServersUpdated: the servers page's live feed, gathered into batches so that hundreds
// of failing mailboxes (a change or two per retry each) do not send an event apiece.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, subscribe, startTestApp, type TestApp } from '../testkit/app.ts';

const ServersUpdated = graphql(`subscription LiveServersUpdated { incomingEmailServersUpdated { id name enabled health { status } } }`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const base = { protocol: 'IMAP', host: 'imap.example.test', port: 993, security: 'SSL', password: 'pw', enabled: false } as const;

describe('incomingEmailServersUpdated', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('sends a burst of changes as batches that hold each server once, as it is now', async () => {
    const ws = t.admin.ws();
    const live = subscribe(ws, ServersUpdated);
    const batches: { id: string; name: string }[][] = [];
    /** Reads batches until `done` holds for what was seen last of each server. */
    const until = async (done: (latest: Map<string, { id: string; name: string }>) => boolean) => {
      const latest = new Map<string, { id: string; name: string }>();
      while (!done(latest)) {
        const batch = (await live.next(10_000)).incomingEmailServersUpdated;
        batches.push(batch);
        for (const server of batch) latest.set(server.id, server);
      }
    };
    await sleep(300); // the subscription is set up over the socket

    const a = await t.seed.incomingServer({ ...base, name: 'A', email: 'a@example.test' });
    const b = await t.seed.incomingServer({ ...base, name: 'B', email: 'b@example.test' });
    await until((latest) => latest.has(a.id) && latest.has(b.id));

    batches.length = 0;
    await Promise.all([
      ...['A1', 'A2', 'A3'].map((name) => t.seed.updateIncomingServer(a.id, { ...base, name, email: 'a@example.test' })),
      t.seed.updateIncomingServer(b.id, { ...base, name: 'B1', email: 'b@example.test' }),
    ]);
    const last = (await t.admin.raw(`{ incomingEmailServers { id name } }`)).data.incomingEmailServers.find((s: { id: string }) => s.id === a.id).name;
    await until((latest) => latest.get(a.id)?.name === last && latest.get(b.id)?.name === 'B1');

    for (const batch of batches) expect(new Set(batch.map((s) => s.id)).size).toBe(batch.length);
    // Three changes of A, but fewer events: the ones within a window went out as one.
    expect(batches.filter((batch) => batch.some((s) => s.id === a.id)).length).toBeLessThan(3);

    // A deleted server is left out of the batch its deletion announces.
    await t.admin.raw(`mutation($id: ID!) { deleteIncomingEmailServer(id: $id) { __typename } }`, { id: b.id });
    await t.seed.updateIncomingServer(a.id, { ...base, name: 'A4', email: 'a@example.test' });
    batches.length = 0;
    await until((latest) => latest.get(a.id)?.name === 'A4');
    expect(batches.flat().some((s) => s.id === b.id)).toBe(false);
    live.dispose();
    await ws.dispose();
  });
});
