// The parser pool (ingest/parser-pool.ts) when things go wrong: a worker that dies is replaced and
// its messages tried again; a message that keeps killing workers is quarantined with the reason;
// and kill -9 while parsed messages wait for their commit neither loses nor duplicates a ticket;
// messages handed in one turn share a task.
// Workers are killed for real: MAILROOM_FAULT_POINT=parser.outOfMemory makes a worker allocate
// until V8 stops it at the pool's heap limit when a message carries the fault header.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParserPool } from '../../server/src/ingest/parser-pool.ts';
import { createLogger } from '../../server/src/lib/logger.ts';
import { GraphQLClient, graphql, removeDir, spawnServer, startTestApp, type TestApp } from '../testkit/app.ts';
import { getDovecot, testDatabaseUrl } from '../testkit/env.ts';
import { mail } from '../testkit/mail.ts';
import { health, seeder, ticketSubjects } from '../testkit/seed.ts';
import { waitFor } from '../testkit/services/util.ts';

const Quarantine = graphql(`query ParserPoolQuarantine($serverId: ID) { quarantinedMessages(serverId: $serverId) { reason } }`);

async function newMailbox() {
  const user = `pool-${randomUUID().slice(0, 8)}@example.test`;
  await getDovecot().addUser(user, 'pw');
  return user;
}

const imapInput = (user: string) => ({ name: user, email: user, protocol: 'IMAP' as const, host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE' as const, password: 'pw', realTimeScanning: true });

async function seenFlags(user: string): Promise<boolean[]> {
  const client = new ImapFlow({ host: '127.0.0.1', port: getDovecot().ports.imap, secure: false, doSTARTTLS: false, auth: { user, pass: 'pw' }, logger: false });
  await client.connect();
  const lock = await client.getMailboxLock('INBOX');
  try {
    const flags: boolean[] = [];
    for await (const m of client.fetch('1:*', { flags: true })) flags.push(m.flags?.has('\\Seen') ?? false);
    return flags;
  } finally {
    lock.release();
    await client.logout();
  }
}

describe('parser workers that die', () => {
  let t: TestApp;
  let user: string;
  let serverId: string;

  beforeAll(async () => {
    user = await newMailbox();
    t = await startTestApp({ env: { MAILROOM_FAULT_POINT: 'parser.outOfMemory' } });
    serverId = (await t.seed.incomingServer(imapInput(user))).id;
    await waitFor('connected', async () => (await t.health(serverId)).connectionState === 'connected', 20_000);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('replaces a crashed worker and retries its message; quarantines one that kills workers every time', async () => {
    const dovecot = getDovecot();
    await dovecot.deliver(user, mail({ from: 'ada@customer.example', to: user, subject: 'kills a worker once', body: 'x', headers: 'X-Mailroom-Fault: parser-out-of-memory; once' }));
    await dovecot.deliver(user, mail({ from: 'eve@attacker.example', to: user, subject: 'kills every worker', body: 'x', headers: 'X-Mailroom-Fault: parser-out-of-memory' }));
    await dovecot.deliver(user, mail({ from: 'bob@customer.example', to: user, subject: 'after the crashes', body: 'x' }));
    await waitFor('the mail after the crashes', async () => (await t.ticketSubjects(serverId)).includes('after the crashes'), 90_000, 500);

    expect(await t.ticketSubjects(serverId)).toEqual(['after the crashes', 'kills a worker once']);
    const reasons = (await t.admin.execute(Quarantine, { serverId })).quarantinedMessages.map((q) => q.reason);
    expect(reasons).toEqual([expect.stringMatching(/^the message crashed the parser 3 times \(out of memory after \d+ MB\)$/)]);
    await waitFor('the mailbox reports itself current', async () => (await t.health(serverId)).connectionState === 'connected', 10_000);
  }, 120_000);
});

describe('kill -9 while the parser pool holds parsed, uncommitted messages', () => {
  it('loses and duplicates nothing: the restarted server commits each message once and marks it seen', async () => {
    const user = await newMailbox();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-pool-crash-'));
    const databaseUrl = await testDatabaseUrl();
    try {
      const first = await spawnServer({ dataDir, databaseUrl });
      const admin = new GraphQLClient(first.url);
      await admin.signIn();
      const { id } = await seeder(admin).incomingServer(imapInput(user));
      await waitFor('connected', async () => (await health(admin, id)).connectionState === 'connected', 20_000);
      await first.kill('SIGTERM');

      // Three mails wait in the mailbox; the server dies once their batch is parsed, before its transaction.
      const subjects = ['parsed one', 'parsed two', 'parsed three'];
      for (const subject of subjects) await getDovecot().deliver(user, mail({ from: 'carol@customer.example', to: user, subject, body: 'x' }));
      const crashing = await spawnServer({ dataDir, databaseUrl, env: { MAILROOM_FAULT_POINT: 'ingest.afterParseBeforeCommit' } });
      const code = await Promise.race([crashing.exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
      expect(code).not.toBe('timeout');
      expect(crashing.child.signalCode).toBe('SIGKILL');
      expect(await seenFlags(user)).toEqual([false, false, false]);

      const again = await spawnServer({ dataDir, databaseUrl });
      try {
        const client = new GraphQLClient(again.url);
        await client.signIn();
        await waitFor('three tickets', async () => (await ticketSubjects(client)).length === 3, 30_000);
        await waitFor('all seen', async () => (await seenFlags(user)).every(Boolean), 20_000);
        await getDovecot().deliver(user, mail({ from: 'carol@customer.example', to: user, subject: 'after the crash', body: 'x' }));
        await waitFor('next mail', async () => (await ticketSubjects(client)).includes('after the crash'), 20_000);
        expect(await ticketSubjects(client)).toEqual(['after the crash', 'parsed one', 'parsed three', 'parsed two']);
      } finally {
        await again.kill('SIGTERM');
      }
    } finally {
      removeDir(dataDir);
    }
  }, 150_000);
});

describe('parser tasks', () => {
  it('shares the messages handed in one turn among the free workers; a lone message is a task of its own', async () => {
    const pool = new ParserPool({ logger: createLogger('silent'), threads: 2 });
    try {
      const raw = (i: number) => Buffer.from(mail({ from: `sender${i}@customer.example`, to: 'help@example.test', subject: `Burst ${i}`, body: `Mail ${i}.` }));
      const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => pool.prepare(raw(i), 1024 * 1024)));
      expect(burst.map((m) => m.parsed?.subject)).toEqual(Array.from({ length: 10 }, (_, i) => `Burst ${i}`));
      expect(pool.tasksRun).toBe(2);
      const alone = await pool.prepare(raw(10), 1024 * 1024);
      expect(alone.parsed?.subject).toBe('Burst 10');
      expect(pool.tasksRun).toBe(3);
    } finally {
      await pool.destroy();
    }
  });
});
