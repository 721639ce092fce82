import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, graphql, removeDir, spawnServer, startTestApp, type TestApp } from '../testkit/app.ts';
import type { IncomingEmailServerInput } from '../testkit/gql/graphql.ts';
import { health, seeder, ticketSubjects } from '../testkit/seed.ts';
import { getDovecot, testDatabaseUrl } from '../testkit/env.ts';
import { waitFor } from '../testkit/services/util.ts';
import { mail } from '../testkit/mail.ts';
import { processesIn } from '../testkit/proc.ts';

const UpdatePreference = graphql(`mutation FaultsUpdatePreference($input: EmailPreferenceInput!) { updateEmailPreference(input: $input) { __typename } }`);
const AuditLog = graphql(`query FaultsAuditLog($id: ID!) { emailAuditLog(serverId: $id) { nodes { outcome reason subject } } }`);

async function newMailbox() {
  const user = `box-${randomUUID().slice(0, 8)}@example.test`;
  const password = `pw-${randomUUID().slice(0, 8)}`;
  await getDovecot().addUser(user, password);
  return { user, password };
}

function imapInput(user: string, password: string, extra: Partial<IncomingEmailServerInput> = {}): IncomingEmailServerInput {
  return { name: user, email: user, protocol: 'IMAP', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE', password, realTimeScanning: true, ...extra };
}

async function openMailbox(user: string, password: string) {
  const client = new ImapFlow({ host: '127.0.0.1', port: getDovecot().ports.imap, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false });
  await client.connect();
  return client;
}

async function flagsByUid(user: string, password: string) {
  const client = await openMailbox(user, password);
  const lock = await client.getMailboxLock('INBOX');
  const out = new Map<number, boolean>();
  try {
    for await (const m of client.fetch('1:*', { uid: true, flags: true })) out.set(m.uid, m.flags?.has('\\Seen') ?? false);
  } finally {
    lock.release();
    await client.logout();
  }
  return out;
}

describe('IMAP faults and edge cases', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('wrong password → authenticationError that stays until the password is fixed; other servers keep flowing', async () => {
    const bad = await newMailbox();
    const good = await newMailbox();
    const badId = (await t.seed.incomingServer(imapInput(bad.user, 'wrong-password'))).id;
    const goodId = (await t.seed.incomingServer(imapInput(good.user, good.password))).id;

    await waitFor('authenticationError', async () => (await t.health(badId)).connectionState === 'authenticationError', 20_000);
    const h = await t.health(badId);
    expect(h.status).toBe('UNREACHABLE');
    expect(h.lastError?.kind).toBe('AUTH');
    expect(h.lastError?.message).not.toContain('wrong-password');

    await getDovecot().deliver(good.user, mail({ from: 'carol@customer.example', to: good.user, subject: 'Good mailbox still works', body: 'x' }));
    await waitFor('ticket from the healthy mailbox', async () => (await t.ticketSubjects()).includes('Good mailbox still works'), 20_000);
    // The ticket is committed a moment before the mailbox reports itself current again.
    await waitFor('healthy mailbox connected', async () => (await t.health(goodId)).connectionState === 'connected', 10_000);

    await t.seed.updateIncomingServer(badId, imapInput(bad.user, bad.password));
    await waitFor('recovered', async () => (await t.health(badId)).connectionState === 'connected', 20_000);
    expect((await t.health(badId)).lastError).toBeNull();

    expect((await t.testConnection(badId)).ok).toBe(true);
  });

  it('Test Connection names the failing stage: AUTH for a wrong password, TCP for a closed port, TLS for SSL on a plain port', async () => {
    const box = await newMailbox();
    const run = async (input: IncomingEmailServerInput) => t.testConnection((await t.seed.incomingServer({ ...input, enabled: false })).id);
    const auth = await run(imapInput(box.user, 'nope'));
    expect(auth).toMatchObject({ ok: false, failedStage: 'AUTH' });
    expect(auth.causes.join(' ')).toMatch(/password/i);

    const closed = await run(imapInput(box.user, box.password, { port: 1 }));
    expect(closed).toMatchObject({ ok: false, failedStage: 'TCP' });

    const wrongTls = await run(imapInput(box.user, box.password, { security: 'SSL' }));
    expect(wrongTls).toMatchObject({ ok: false, failedStage: 'TLS' });

    const ok = await run(imapInput(box.user, box.password, { security: 'SSL', port: getDovecot().ports.imaps, allowSelfSignedCertificate: true }));
    expect(ok.ok).toBe(true);
    expect(ok.stages.map((s) => s.stage)).toEqual(['DNS', 'TCP', 'TLS', 'AUTH', 'PROTOCOL']);
  });

  it('a closed port → connectError with backoff, without touching anything else', async () => {
    const box = await newMailbox();
    const id = (await t.seed.incomingServer(imapInput(box.user, box.password, { port: 1 }))).id;
    await waitFor('connectError', async () => (await t.health(id)).connectionState === 'connectError', 20_000);
    expect((await t.health(id)).lastError?.kind).toBe('NETWORK');
  });

  it('takes unread mail already in the mailbox, leaves read mail alone, and then takes everything new', async () => {
    const box = await newMailbox();
    const dovecot = getDovecot();
    await dovecot.deliver(box.user, mail({ from: 'old@customer.example', to: box.user, subject: 'Already read', body: 'x' }));
    await dovecot.deliver(box.user, mail({ from: 'old@customer.example', to: box.user, subject: 'Still unread', body: 'x' }));
    const client = await openMailbox(box.user, box.password);
    const lock = await client.getMailboxLock('INBOX');
    await client.messageFlagsAdd('1', ['\\Seen'], { uid: true });
    lock.release();
    await client.logout();

    (await t.seed.incomingServer(imapInput(box.user, box.password))).id;
    await waitFor('unread backlog taken', async () => (await t.ticketSubjects()).includes('Still unread'), 20_000);
    // A person reading new mail in their client before we see it must not make it disappear.
    await dovecot.deliver(box.user, mail({ from: 'new@customer.example', to: box.user, subject: 'New but read by a human', body: 'x' }));
    await waitFor('new mail taken', async () => (await t.ticketSubjects()).includes('New but read by a human'), 20_000);
    expect(await t.ticketSubjects()).not.toContain('Already read');
  });

  it('quarantines an oversized or unparseable message with the reason and keeps the mailbox flowing', async () => {
    const box = await newMailbox();
    const serverId = (await t.seed.incomingServer(imapInput(box.user, box.password))).id;
    await t.admin.execute(UpdatePreference, { input: { maxMessageBytes: 2048 } });
    try {
      await waitFor('connected', async () => (await t.health(serverId)).connectionState === 'connected', 20_000);
      const dovecot = getDovecot();
      await dovecot.deliver(box.user, mail({ from: 'big@customer.example', to: box.user, subject: 'Huge', body: 'x'.repeat(5000) }));
      await dovecot.deliver(box.user, ['Subject: no sender at all', '', 'body', ''].join('\r\n'));
      await dovecot.deliver(box.user, mail({ from: 'after@customer.example', to: box.user, subject: 'After the bad ones', body: 'fine' }));
      await waitFor('flowing', async () => (await t.ticketSubjects()).includes('After the bad ones'), 20_000);
      const audit = await t.admin.execute(AuditLog, { id: serverId });
      const quarantined = audit.emailAuditLog.nodes.filter((n) => n.outcome === 'QUARANTINED');
      expect(quarantined).toHaveLength(2);
      expect(quarantined.map((n) => n.reason).join('\n')).toMatch(/over the 2\.0 KB limit[\s\S]*|no sender/);
      expect(quarantined.some((n) => /limit/.test(n.reason ?? ''))).toBe(true);
      expect(quarantined.some((n) => /sender/.test(n.reason ?? ''))).toBe(true);
    } finally {
      await t.admin.execute(UpdatePreference, { input: { maxMessageBytes: 26214400 } });
    }
  });
});

describe('kill -9 between the commit and \\Seen', () => {
  it('neither loses nor duplicates the ticket, and marks the message seen after restart', async () => {
    const box = await newMailbox();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-crash-'));
    const databaseUrl = await testDatabaseUrl();

    const first = await spawnServer({ dataDir, databaseUrl });
    const admin = new GraphQLClient(first.url);
    await admin.signIn();
    const { id } = await seeder(admin).incomingServer(imapInput(box.user, box.password));
    await waitFor('connected', async () => (await health(admin, id)).connectionState === 'connected', 20_000);
    await first.kill('SIGTERM');

    // Start again with the crash point armed: the process dies right after committing the ticket.
    const crashing = await spawnServer({ dataDir, databaseUrl, env: { MAILROOM_FAULT_POINT: 'imap.afterCommitBeforeSeen' } });
    await getDovecot().deliver(box.user, mail({ from: 'dave@customer.example', to: box.user, subject: 'Crash test', body: 'x' }));
    const code = await Promise.race([crashing.exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
    expect(crashing.child.signalCode).toBe('SIGKILL');
    expect(code).not.toBe('timeout');
    expect([...(await flagsByUid(box.user, box.password)).values()]).toEqual([false]); // committed, not yet \Seen

    const again = await spawnServer({ dataDir, databaseUrl });
    try {
      const client = new GraphQLClient(again.url);
      await client.signIn();
      await waitFor('repaired \\Seen', async () => [...(await flagsByUid(box.user, box.password)).values()].every(Boolean), 20_000);
      await getDovecot().deliver(box.user, mail({ from: 'dave@customer.example', to: box.user, subject: 'After the crash', body: 'x' }));
      await waitFor('next mail', async () => (await ticketSubjects(client)).includes('After the crash'), 20_000);
      expect(await ticketSubjects(client)).toEqual(['After the crash', 'Crash test']);
    } finally {
      await again.kill('SIGTERM');
    }
  }, 120_000);
});

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

describe('the embedded PostgreSQL (no DATABASE_URL), as `pnpm start` runs it', () => {
  it('keeps committed tickets through kill -9 of Mailroom and of PostgreSQL, and stops with no process left', async () => {
    const box = await newMailbox();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-embedded-'));
    const cluster = path.join(dataDir, 'postgres');
    const deliver = (subject: string) => getDovecot().deliver(box.user, mail({ from: 'erin@customer.example', to: box.user, subject, body: 'x' }));
    try {
      const first = await spawnServer({ dataDir });
      expect(first.output()).toContain('database: embedded PostgreSQL');
      const admin = new GraphQLClient(first.url);
      await admin.signIn();
      await seeder(admin).incomingServer(imapInput(box.user, box.password));
      await deliver('Before the first crash');
      await waitFor('first ticket', async () => (await ticketSubjects(admin)).includes('Before the first crash'), 30_000);
      expect(processesIn(cluster).length).toBeGreaterThan(0);

      // kill -9 of Mailroom alone: its PostgreSQL shuts down on its own (parent-death signal).
      await first.kill('SIGKILL');
      await waitFor('PostgreSQL to follow Mailroom', () => processesIn(cluster).length === 0, 60_000, 200);

      const second = await spawnServer({ dataDir });
      const client = new GraphQLClient(second.url);
      await client.signIn();
      expect(await ticketSubjects(client)).toEqual(['Before the first crash']);
      await deliver('Before the second crash');
      await waitFor('second ticket', async () => (await ticketSubjects(client)).includes('Before the second crash'), 30_000);

      // kill -9 of everything, PostgreSQL included (a power cut): a stale postmaster.pid and crash recovery.
      killAll(processesIn(cluster));
      await second.kill('SIGKILL');
      await waitFor('every process gone', () => processesIn(cluster).length === 0, 10_000, 100);

      const third = await spawnServer({ dataDir });
      const again = new GraphQLClient(third.url);
      await again.signIn();
      expect(await ticketSubjects(again)).toEqual(['Before the first crash', 'Before the second crash']);
      await deliver('After the crashes');
      await waitFor('next mail', async () => (await ticketSubjects(again)).includes('After the crashes'), 30_000);

      third.child.kill('SIGTERM');
      expect(await third.exited).toBe(0);
      expect(processesIn(cluster)).toEqual([]);
    } finally {
      killAll(processesIn(cluster));
      removeDir(dataDir);
    }
  }, 240_000);
});
