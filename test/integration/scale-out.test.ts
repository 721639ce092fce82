import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, graphql, spawnServer, startTestApp, subscribe, type ServerProcess, type TestApp } from '../testkit/app.ts';
import { getDovecot, testDatabaseUrl } from '../testkit/env.ts';
import { health, ticketSubjects } from '../testkit/seed.ts';

const TicketCreated = graphql(`subscription ScaleTicketCreated { ticketCreated { subject } }`);
const TicketCount = graphql(`query ScaleTicketCount { tickets(first: 50) { totalCount } }`);
const AuditAdded = graphql(`subscription ScaleAuditAdded($serverId: ID) { emailAuditEntryAdded(serverId: $serverId) { id outcome } }`);
import { mail } from '../testkit/mail.ts';
import { waitFor } from '../testkit/services/util.ts';

// Several Mailroom processes on one PostgreSQL: each mailbox is read by exactly one of them (a lease),
// and a subscriber on any process sees events from all of them (LISTEN/NOTIFY).
describe('scale-out on one PostgreSQL', () => {
  let a: TestApp;
  let b: ServerProcess;
  const user = `scale-${randomUUID().slice(0, 8)}@example.test`;

  beforeAll(async () => {
    await getDovecot().addUser(user, 'scale-pass');
    const databaseUrl = await testDatabaseUrl();
    // Processes sharing a database share the secret key too (a mismatching one refuses to start).
    const env = { MAILROOM_SECRET_KEY: randomBytes(32).toString('hex') };
    a = await startTestApp({ databaseUrl, env });
    const wrongKey = await spawnServer({ dataDir: mkdtempSync(path.join(tmpdir(), 'mailroom-c-')), databaseUrl }).catch((err: Error) => err);
    expect(String(wrongKey)).toMatch(/MAILROOM_SECRET_KEY does not match/);
    b = await spawnServer({ dataDir: mkdtempSync(path.join(tmpdir(), 'mailroom-b-')), databaseUrl, env });
  }, 90_000);
  let aStopped = false;
  afterAll(async () => {
    await b?.kill('SIGTERM');
    if (!aStopped) await a?.stop();
  });

  it('tells subscribers of the other process of every audit entry of a full batch (NOTIFY carries at most 8,000 bytes)', async () => {
    const clientB = new GraphQLClient(b.url);
    await clientB.signIn();
    const ws = clientB.ws();
    const { id } = await a.seed.incomingServer({ name: 'Batch', email: `batch-${user}`, protocol: 'IMAP', host: '127.0.0.1', port: 1, security: 'NONE', password: 'x', enabled: false });
    const added = subscribe(ws, AuditAdded, { serverId: id });
    await new Promise((r) => setTimeout(r, 300));
    const server = (await a.app.services.servers.get(id))!;
    const n = 250; // one IMAP batch: 250 ids did not fit one notification
    const items = Array.from({ length: n }, (_, i) => ({ sourceKey: `batch:${id}:${i}`, raw: Buffer.from(mail({ from: `sender${i}@customer.example`, to: server.email, subject: `Batch ${i}`, body: 'x' })) }));
    const outcomes = await a.app.services.ingest.ingestBatch(server, items);
    expect(outcomes.filter((o) => o.outcome === 'TICKET_CREATED')).toHaveLength(n);
    const seen = new Set<string>();
    while (seen.size < n) seen.add((await added.next(20_000)).emailAuditEntryAdded.id);
    expect(seen.size).toBe(n);
    added.dispose();
    await ws.dispose();
  });

  it('reads a mailbox in exactly one process, pushes its tickets to subscribers of the other, and fails over', async () => {
    const clientB = new GraphQLClient(b.url);
    await clientB.signIn();
    const before = (await a.admin.execute(TicketCount)).tickets.totalCount;
    const ws = clientB.ws();
    const created = subscribe(ws, TicketCreated);
    // A subscriber on A as well: whichever process reads the mail, each side hears each ticket once
    // (the publisher's own subscribers at once, never again when its NOTIFY comes back).
    const wsA = a.admin.ws();
    const createdOnA = subscribe(wsA, TicketCreated);
    await new Promise((r) => setTimeout(r, 300));

    // Created through process A; whichever process holds the lease reads it.
    const { id } = await a.seed.incomingServer({ name: 'Scale', email: user, protocol: 'IMAP', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE', password: 'scale-pass', realTimeScanning: true });
    await waitFor('connected', async () => (await health(clientB, id)).connectionState === 'connected', 20_000);

    for (let i = 0; i < 5; i++) await getDovecot().deliver(user, mail({ from: 'x@customer.example', to: user, subject: `Scale ${i}`, body: 'x' }));
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push((await created.next(20_000)).ticketCreated.subject);
    expect(seen.sort()).toEqual(['Scale 0', 'Scale 1', 'Scale 2', 'Scale 3', 'Scale 4']);
    const seenOnA = [];
    for (let i = 0; i < 5; i++) seenOnA.push((await createdOnA.next(20_000)).ticketCreated.subject);
    expect(seenOnA.sort()).toEqual(['Scale 0', 'Scale 1', 'Scale 2', 'Scale 3', 'Scale 4']);
    // No echo: a sixth event on either side would be one of them again.
    const more = await Promise.allSettled([created.next(1_500), createdOnA.next(1_500)]);
    expect(more.map((m) => m.status)).toEqual(['rejected', 'rejected']);
    createdOnA.dispose();
    await Promise.resolve(wsA.dispose()).catch(() => {});
    expect((await a.admin.execute(TicketCount)).tickets.totalCount).toBe(before + 5);

    // Whoever holds it, stopping that process hands the mailbox to the other within the lease TTL.
    const owner = (await a.app.services.db.query.mailboxLeases.findFirst())!.owner;
    const aOwns = owner.includes(`:${process.pid}:`);
    if (aOwns) {
      await a.stop();
      aStopped = true;
    }
    else await b.kill('SIGKILL');
    const survivor = aOwns ? clientB : a.admin;
    await getDovecot().deliver(user, mail({ from: 'x@customer.example', to: user, subject: 'After failover', body: 'x' }));
    await waitFor('failover', async () => (await ticketSubjects(survivor)).includes('After failover'), 30_000)
      .catch((err: Error) => { throw new Error(`${err.message}\n--- process B output ---\n${b.output().slice(-3000)}`); });
    expect((await survivor.execute(TicketCount)).tickets.totalCount).toBe(before + 6);
    created.dispose();
    await Promise.resolve(ws.dispose()).catch(() => {});
  }, 90_000);
});
