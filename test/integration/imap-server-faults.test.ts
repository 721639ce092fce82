// Server behaviours no packaged server shows on demand, injected by a small IMAP proxy in front
// of the shared Dovecot (testkit/services/imap-fault-proxy.ts): a UID search that misses, a
// server that hides its mail, an IDLE that never pushes, a partial FETCH cut short, a refused command, and an answer held
// back so that a mailbox can be disabled at an exact point of its fetch.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, graphql, spawnServer, startTestApp, type TestApp } from '../testkit/app.ts';
import { getDovecot, testDatabaseUrl } from '../testkit/env.ts';
import type { IncomingEmailServerInput } from '../testkit/gql/graphql.ts';
import { seeder, ticketSubjects } from '../testkit/seed.ts';
import { mail } from '../testkit/mail.ts';
import { startImapFaultProxy, type ImapFaultProxy, type ImapFaults } from '../testkit/services/imap-fault-proxy.ts';
import { sleep, waitFor } from '../testkit/services/util.ts';

/** Mailroom's check while idling (15 s), plus room for a loaded machine. */
const CHECK_WITHIN_MS = 35_000;

interface Box { user: string; password: string }

async function newBox(): Promise<Box> {
  const box = { user: `fault-${randomUUID().slice(0, 8)}@example.test`, password: `pw-${randomUUID().slice(0, 8)}` };
  await getDovecot().addUser(box.user, box.password);
  return box;
}

const deliver = (box: Box, subject: string) => getDovecot().deliver(box.user, mail({ from: 'ada@customer.example', to: box.user, subject, body: `About ${subject}.` }));

function input(box: Box, proxy: ImapFaultProxy, extra: Partial<IncomingEmailServerInput> = {}): IncomingEmailServerInput {
  return { name: box.user, email: box.user, protocol: 'IMAP', host: '127.0.0.1', port: proxy.port, security: 'NONE', password: box.password, realTimeScanning: true, ...extra };
}

const create = async (client: GraphQLClient, values: IncomingEmailServerInput): Promise<string> => (await seeder(client).incomingServer(values)).id;

const ServerCheck = graphql(`query FaultServerCheck($id: ID!) { incomingEmailServer(id: $id) { checkIntervalSeconds health { idlePush } } }`);
const subjects = (client: GraphQLClient, id: string) => ticketSubjects(client, id);

const ticketsArrive = (client: GraphQLClient, id: string, wanted: string[], ms = CHECK_WITHIN_MS) =>
  waitFor(`tickets ${wanted.join(', ')}`, async () => {
    const list = await subjects(client, id);
    return wanted.every((s) => list.includes(s));
  }, ms, 250);

describe('IMAP servers that answer wrongly (fault-injecting proxy in front of Dovecot)', () => {
  let t: TestApp;
  const proxies: ImapFaultProxy[] = [];
  const proxy = async (faults: ImapFaults) => {
    const p = await startImapFaultProxy({ host: '127.0.0.1', port: getDovecot().ports.imap }, faults);
    proxies.push(p);
    return p;
  };

  const serverCheck = async (id: string) => {
    const s = (await t.admin.execute(ServerCheck, { id })).incomingEmailServer!;
    return { checkIntervalSeconds: s.checkIntervalSeconds, idlePush: s.health.idlePush };
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
    await Promise.all(proxies.map((p) => p.close()));
  });

  it.concurrent('a UID range lookup that finds nothing (GNU Mailutils): the server\'s numbers give it away, SEARCH ALL finds the mail, health stays connected', async () => {
    const box = await newBox();
    const p = await proxy({ emptyUidRange: true });
    await deliver(box, 'Missed by UID SEARCH 1');
    await deliver(box, 'Missed by UID SEARCH 2');
    const id = await create(t.admin, input(box, p));
    await ticketsArrive(t.admin, id, ['Missed by UID SEARCH 1', 'Missed by UID SEARCH 2']);
    expect(p.commands).toContain('UID SEARCH ALL');
    await deliver(box, 'Missed by UID SEARCH 3');
    await ticketsArrive(t.admin, id, ['Missed by UID SEARCH 3']);
    expect(await t.health(id)).toMatchObject({ status: 'REACHABLE', connectionState: 'connected', lastError: null });
  }, 90_000);

  it.concurrent('no UIDNEXT from SELECT nor STATUS: the last message\'s UID sets the baseline (never NaN), unread mail already there and new mail are taken', async () => {
    const box = await newBox();
    const p = await proxy({ hideUidNext: true });
    await deliver(box, 'Before, read by a person');
    await deliver(box, 'Before, unread');
    const client = new ImapFlow({ host: '127.0.0.1', port: getDovecot().ports.imap, secure: false, doSTARTTLS: false, auth: { user: box.user, pass: box.password }, logger: false });
    await client.connect();
    await client.mailboxOpen('INBOX');
    await client.messageFlagsAdd('1', ['\\Seen']);
    await client.logout();
    const id = await create(t.admin, input(box, p));
    await ticketsArrive(t.admin, id, ['Before, unread']);
    await deliver(box, 'After');
    await ticketsArrive(t.admin, id, ['After']);
    expect(await subjects(t.admin, id)).toEqual(['After', 'Before, unread']);
    expect(p.commands.some((c) => /^SELECT /.test(c))).toBe(true);
    expect(await t.health(id)).toMatchObject({ connectionState: 'connected', lastError: null });
  }, 90_000);

  it.concurrent('mail the server announces but no search or fetch returns: "degraded" with the reason, never "connected", until the mail can be read', async () => {
    const box = await newBox();
    const p = await proxy({ hideMessages: true });
    await deliver(box, 'Hidden by the server');
    const id = await create(t.admin, input(box, p));
    await waitFor('degraded', async () => (await t.health(id)).connectionState === 'degraded', 20_000);
    const degraded = await t.health(id);
    expect(degraded).toMatchObject({ status: 'REACHABLE', lastError: { kind: 'PROTOCOL', message: expect.stringMatching(/INBOX holds 1 message.*neither UID SEARCH, SEARCH ALL nor FETCH return mail newer than UID 0: Mailroom cannot read it/) } });
    // Checked again while idling (every 15 s): still degraded, never "connected".
    for (let i = 0; i < 2; i++) {
      await sleep(8000);
      expect((await t.health(id)).connectionState).toBe('degraded');
    }
    expect(p.commands.filter((c) => c === 'NOOP').length).toBeGreaterThan(0);
    p.faults.hideMessages = false;
    await ticketsArrive(t.admin, id, ['Hidden by the server']);
    await waitFor('connected', async () => (await t.health(id)).connectionState === 'connected', 10_000);
    expect((await t.health(id)).lastError).toBeNull();
  }, 90_000);

  it.concurrent('an IDLE that never pushes, on a server not known to push: the check while idling finds new mail within its 15 s', async () => {
    const box = await newBox();
    const p = await proxy({ silentIdle: true, anonymous: true });
    const id = await create(t.admin, input(box, p));
    await waitFor('idling', async () => (await t.health(id)).connectionState === 'connected' && p.commands.includes('IDLE'), 20_000);
    const sentAt = Date.now();
    await deliver(box, 'Not pushed by IDLE');
    await ticketsArrive(t.admin, id, ['Not pushed by IDLE']);
    expect(Date.now() - sentAt).toBeLessThan(CHECK_WITHIN_MS);
    expect(p.commands.filter((c) => c === 'NOOP').length).toBeGreaterThan(0);
    expect(await serverCheck(id)).toEqual({ checkIntervalSeconds: 15, idlePush: null });
  }, 90_000);

  it.concurrent('a server known to push (Dovecot): idling costs no command until its poll interval, and a pushed mail costs four round trips', async () => {
    const box = await newBox();
    const p = await proxy({});
    const id = await create(t.admin, input(box, p, { pollIntervalSeconds: 60 }));
    await waitFor('idling', async () => (await t.health(id)).connectionState === 'connected' && p.commands.includes('IDLE'), 20_000);
    expect(await serverCheck(id)).toEqual({ checkIntervalSeconds: 60, idlePush: true });
    const idleFrom = p.commands.length;
    await sleep(20_000);
    expect(p.commands.slice(idleFrom)).toEqual([]);
    await deliver(box, 'Pushed by IDLE');
    await ticketsArrive(t.admin, id, ['Pushed by IDLE'], 10_000);
    await waitFor('idling again', async () => p.commands.at(-1) === 'IDLE', 10_000);
    // DONE (no tag, not listed), the UIDs above the checkpoint with their sizes and — a short mail — the whole message, \Seen, IDLE.
    const pushed = p.commands.slice(idleFrom);
    expect(pushed.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['UID FETCH', 'UID STORE', 'IDLE']);
    expect(pushed[0]).toMatch(/RFC822\.SIZE.*BODY\.PEEK\[\]<0\.65536>/);

    // A pushed mail longer than what came along is fetched whole with a FETCH of its own.
    const longFrom = p.commands.length;
    const body = `${'A long line of a long mail, repeated to pass the first bytes. '.repeat(1600)}\nThe very end.`;
    await getDovecot().deliver(box.user, mail({ from: 'ada@customer.example', to: box.user, subject: 'A long pushed mail', body }));
    await ticketsArrive(t.admin, id, ['A long pushed mail'], 10_000);
    await waitFor('idling again', async () => p.commands.at(-1) === 'IDLE', 10_000);
    expect(p.commands.slice(longFrom).map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['UID FETCH', 'UID FETCH', 'UID STORE', 'IDLE']);
    const [ticket] = (await t.app.services.db.execute(sql`select description from tickets where subject = 'A long pushed mail' and incoming_server_id = ${id}`)) as unknown as { description: string }[];
    expect(ticket!.description.length).toBeGreaterThan(65_536); // more than came along
    expect(ticket!.description.endsWith('The very end.')).toBe(true);
  }, 90_000);

  it.concurrent('a server that cuts the first bytes of a pushed mail short: the mail is fetched whole, not taken cut', async () => {
    const box = await newBox();
    const p = await proxy({ shortPartials: 300 });
    const id = await create(t.admin, input(box, p));
    await waitFor('idling', async () => (await t.health(id)).connectionState === 'connected' && p.commands.at(-1) === 'IDLE', 20_000);
    const from = p.commands.length;
    const body = `${'A line that makes this mail longer than the server answers. '.repeat(40)}\nThe very end.`;
    await getDovecot().deliver(box.user, mail({ from: 'ada@customer.example', to: box.user, subject: 'Cut short', body }));
    await ticketsArrive(t.admin, id, ['Cut short'], 10_000);
    await waitFor('idling again', async () => p.commands.at(-1) === 'IDLE', 10_000);
    const pushed = p.commands.slice(from);
    expect(pushed.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['UID FETCH', 'UID FETCH', 'UID STORE', 'IDLE']);
    expect(pushed[0]).toMatch(/BODY\.PEEK\[\]<0\.65536>/);
    const [ticket] = (await t.app.services.db.execute(sql`select description from tickets where subject = 'Cut short' and incoming_server_id = ${id}`)) as unknown as { description: string }[];
    expect(ticket!.description.endsWith('The very end.')).toBe(true);
  }, 90_000);

  it.concurrent('a server that says it pushes but whose IDLE stays silent: found at its poll interval, then no longer trusted and checked every 15 s', async () => {
    const box = await newBox();
    const p = await proxy({ silentIdle: true });
    const id = await create(t.admin, input(box, p, { pollIntervalSeconds: 20 }));
    await waitFor('idling', async () => (await t.health(id)).connectionState === 'connected' && p.commands.includes('IDLE'), 20_000);
    expect(await serverCheck(id)).toEqual({ checkIntervalSeconds: 20, idlePush: true });
    for (const subject of ['Missed once', 'Missed twice']) {
      await deliver(box, subject);
      await ticketsArrive(t.admin, id, [subject], 20_000 + CHECK_WITHIN_MS);
    }
    await waitFor('no longer trusted', async () => (await serverCheck(id)).idlePush === false, 10_000);
    expect(await serverCheck(id)).toEqual({ checkIntervalSeconds: 15, idlePush: false });
  }, 150_000);

  it.concurrent('Test Connection passes but the connector fails: the card shows the connector\'s real error, not a generic one', async () => {
    const box = await newBox();
    const p = await proxy({ refuse: /^UID FETCH .*BODY\.PEEK\[\]/ });
    await deliver(box, 'Cannot be fetched');
    const id = await create(t.admin, input(box, p));
    expect((await t.testConnection(id)).ok).toBe(true);
    await waitFor('connectError', async () => (await t.health(id)).connectionState === 'connectError', 20_000);
    expect((await t.health(id)).lastError).toEqual({ kind: 'PROTOCOL', message: 'The mail server refused UID FETCH (NO [SERVERBUG])' });
  }, 90_000);
});

describe('disabling or editing a mailbox while it fetches', () => {
  let t: TestApp;
  let p: ImapFaultProxy;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    t = await startTestApp();
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    p?.release();
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await t?.stop();
    await p?.close();
  });

  it('never leaves a rejected fetch unhandled, and loses nothing', async () => {
    const box = await newBox();
    p = await startImapFaultProxy({ host: '127.0.0.1', port: getDovecot().ports.imap });
    await deliver(box, 'Fetched while the admin clicks');
    const values = input(box, p, { realTimeScanning: false, pollIntervalSeconds: 10 });
    let id = '';
    for (const [round, change] of [['disable', { enabled: false }], ['edit', { name: 'Renamed while fetching' }]] as const) {
      // The mailbox is stopped right after the sizes of the new mail arrived and before its
      // messages are fetched: the fetch it prefetched fails with the closed connection.
      p.faults.hold = /^UID FETCH .*RFC822\.SIZE/;
      if (!id) id = await create(t.admin, values);
      else await t.seed.updateIncomingServer(id, values);
      await p.whenHeld();
      await t.seed.updateIncomingServer(id, { ...values, ...change });
      await sleep(300); // the connector is told to stop; its LOGOUT waits behind the held answer
      p.release();
      if (round === 'disable') await waitFor('disabled', async () => (await t.health(id)).connectionState === 'disabled', 20_000);
      await sleep(500);
      expect(unhandled, `round ${round}`).toEqual([]);
    }
    await t.seed.updateIncomingServer(id, values);
    await ticketsArrive(t.admin, id, ['Fetched while the admin clicks'], 20_000);
    expect(await subjects(t.admin, id)).toEqual(['Fetched while the admin clicks']);
    expect(unhandled).toEqual([]);
  }, 90_000);
});

describe('kill -9 between the commit and the move to the processed folder', () => {
  it('neither loses nor duplicates the ticket, and moves the message after the restart', async () => {
    const box = await newBox();
    const imap = async <T>(work: (c: ImapFlow) => Promise<T>) => {
      const c = new ImapFlow({ host: '127.0.0.1', port: getDovecot().ports.imap, secure: false, doSTARTTLS: false, auth: { user: box.user, pass: box.password }, logger: false });
      await c.connect();
      try {
        return await work(c);
      } finally {
        await c.logout();
      }
    };
    const count = (folder: string) => imap(async (c) => { const s = await c.status(folder, { messages: true }); return s ? (s.messages ?? 0) : -1; });
    const processed = await imap(async (c) => (await c.mailboxCreate('Processed')).path);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-move-crash-'));
    const databaseUrl = await testDatabaseUrl();

    // The process dies right after committing the ticket, before the move.
    const crashing = await spawnServer({ dataDir, databaseUrl, env: { MAILROOM_FAULT_POINT: 'imap.afterCommitBeforeSeen' } });
    const admin = new GraphQLClient(crashing.url);
    await admin.signIn();
    await create(admin, { name: 'Mover', email: box.user, protocol: 'IMAP', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE', password: box.password, realTimeScanning: true, afterProcessing: 'MOVE', moveToFolder: 'Processed' });
    await deliver(box, 'Crash before the move');
    const code = await Promise.race([crashing.exited, sleep(30_000).then(() => 'timeout')]);
    expect(code).not.toBe('timeout');
    expect(crashing.child.signalCode).toBe('SIGKILL');
    expect([await count('INBOX'), await count(processed)]).toEqual([1, 0]);

    const again = await spawnServer({ dataDir, databaseUrl });
    try {
      const client = new GraphQLClient(again.url);
      await client.signIn();
      await waitFor('moved after the restart', async () => (await count('INBOX')) === 0 && (await count(processed)) === 1, 30_000);
      expect(await ticketSubjects(client)).toEqual(['Crash before the move']);
    } finally {
      await again.kill('SIGTERM');
    }
  }, 120_000);
});
