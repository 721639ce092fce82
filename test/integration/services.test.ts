// Proves the test kit: the shared Dovecot/PostgreSQL from the global setup, and private
// instances that a test can stop/start/restart without disturbing other test files.
// (This file runs in both integration projects, possibly at the same time: user names are
// unique per run, and only private instances are stopped.)
import net from 'node:net';
import tls from 'node:tls';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import postgres from 'postgres';
import { afterAll, describe, expect, test } from 'vitest';
import { getDovecot, getPostgres, testDatabaseUrl } from '../testkit/env.ts';
import { connectDovecot, startDovecot, type Dovecot } from '../testkit/services/dovecot.ts';
import { connectPostgres, createDatabase, startPostgres } from '../testkit/services/postgres.ts';

const uniq = `${process.pid}-${Date.now().toString(36)}`;

function message(subject: string, body = 'Hello.\n.leading dot line\n'): string {
  return [
    'From: Customer <customer@example.test>',
    'To: support@example.test',
    `Subject: ${subject}`,
    `Message-ID: <${subject.replace(/\W/g, '')}.${uniq}@example.test>`,
    'Date: Tue, 25 Nov 2025 10:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
  ].join('\n');
}

type Mode = 'plain' | 'imaps' | 'starttls';

function imapOptions(dc: Dovecot, user: string, pass: string, mode: Mode): ImapFlowOptions {
  return {
    host: dc.host,
    port: mode === 'imaps' ? dc.ports.imaps : dc.ports.imap,
    secure: mode === 'imaps',
    doSTARTTLS: mode === 'plain' ? false : mode === 'starttls' ? true : undefined,
    tls: { ca: dc.caPem, servername: 'localhost' },
    auth: { user, pass },
    logger: false,
    connectionTimeout: 5000,
  };
}

/** Logs in and returns the INBOX subjects plus whether the connection was encrypted. */
async function inbox(dc: Dovecot, user: string, pass: string, mode: Mode) {
  const client = new ImapFlow(imapOptions(dc, user, pass, mode));
  client.on('error', () => {});
  await client.connect();
  try {
    const secure = client.secureConnection;
    const lock = await client.getMailboxLock('INBOX');
    try {
      const subjects: string[] = [];
      for await (const msg of client.fetch('1:*', { envelope: true })) subjects.push(msg.envelope?.subject ?? '');
      return { secure, subjects: subjects.sort() };
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => {});
  }
}

/** Reads the first line a server sends (optionally over TLS). */
function greeting(port: number, opts: { tls?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = opts.tls
      ? tls.connect({ host: '127.0.0.1', port, ca: opts.tls, servername: 'localhost' })
      : net.connect({ host: '127.0.0.1', port });
    sock.setTimeout(5000, () => sock.destroy(new Error('timeout')));
    sock.once('error', reject);
    sock.once('data', (d) => {
      resolve(d.toString('utf8').split('\r\n')[0] ?? '');
      sock.destroy();
    });
  });
}

/** Runs a POP3 dialogue, returning each reply's first line. */
async function pop3(port: number, commands: string[]): Promise<string[]> {
  const sock = net.connect({ host: '127.0.0.1', port });
  const replies: string[] = [];
  let buf = '';
  let wake: (() => void) | undefined;
  sock.on('data', (d) => {
    buf += d.toString('utf8');
    wake?.();
  });
  sock.on('error', () => wake?.());
  const line = async () => {
    while (!buf.includes('\r\n')) await new Promise<void>((r) => (wake = r));
    const i = buf.indexOf('\r\n');
    const l = buf.slice(0, i);
    buf = buf.slice(i + 2);
    return l;
  };
  try {
    replies.push(await line());
    for (const c of commands) {
      sock.write(`${c}\r\n`);
      replies.push(await line());
    }
    return replies;
  } finally {
    sock.destroy();
  }
}

describe('Dovecot (shared instance)', () => {
  const dc = getDovecot();
  const user = `agent-${uniq}@example.test`;
  const subjects = [`First ${uniq}`, `Second ${uniq}`].sort();

  test('add a user and deliver two messages over LMTP', async () => {
    await dc.addUser(user, 'secret:with colon');
    for (const s of subjects) {
      const res = await dc.deliver(user, message(s));
      expect(res.recipients[0]?.code).toBe(250);
    }
  });

  test('unknown recipients are rejected by LMTP', async () => {
    await expect(dc.deliver(`nobody-${uniq}@example.test`, message('lost'))).rejects.toThrow(/550|User doesn't exist/);
  });

  test.each(['plain', 'imaps', 'starttls'] as const)('IMAP login over %s sees both messages', async (mode) => {
    const res = await inbox(dc, user, 'secret:with colon', mode);
    expect(res.secure).toBe(mode !== 'plain');
    expect(res.subjects).toEqual(subjects);
  });

  test('wrong password fails; setPassword applies immediately', async () => {
    await expect(inbox(dc, user, 'wrong', 'plain')).rejects.toThrow();
    await dc.setPassword(user, 'n3w');
    await expect(inbox(dc, user, 'secret:with colon', 'plain')).rejects.toThrow();
    expect((await inbox(dc, user, 'n3w', 'plain')).subjects).toEqual(subjects);
  });

  test('POP3 and POP3S answer; POP3 sees the mailbox', async () => {
    expect(await greeting(dc.ports.pop3)).toMatch(/^\+OK/);
    expect(await greeting(dc.ports.pop3s, { tls: dc.caPem })).toMatch(/^\+OK/);
    const replies = await pop3(dc.ports.pop3, [`USER ${user}`, 'PASS n3w', 'STAT', 'QUIT']);
    expect(replies[3]).toMatch(/^\+OK 2 /);
  });
});

describe('Dovecot (private instance)', () => {
  let dc: Dovecot | undefined;
  afterAll(async () => {
    await dc?.dispose();
  });

  test('stop refuses connections, start serves the same mail again (from a connected handle)', async () => {
    dc = await startDovecot();
    await dc.addUser('outage@example.test', 'pw');
    await dc.deliver('outage@example.test', message('Before outage'));
    // A handle rebuilt from plain info, as another process would.
    const remote = connectDovecot(structuredClone(dc.info));
    expect(remote.stopped).toBe(false);

    await remote.stop();
    expect(remote.stopped).toBe(true);
    expect(dc.stopped).toBe(true);
    await expect(inbox(dc, 'outage@example.test', 'pw', 'plain')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(dc.deliver('outage@example.test', message('During outage'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await remote.start();
    expect(dc.stopped).toBe(false);
    await dc.deliver('outage@example.test', message('After outage'));
    expect((await inbox(dc, 'outage@example.test', 'pw', 'imaps')).subjects).toEqual(['After outage', 'Before outage']);
  });

  test('the OAuth2 variant starts without config errors', async () => {
    const oauth = await startDovecot({ oauth2IntrospectionUrl: 'http://127.0.0.1:9/introspect' });
    try {
      await oauth.addUser('plain@example.test', 'pw');
      // Password logins still work next to the oauth2 passdb.
      expect((await inbox(oauth, 'plain@example.test', 'pw', 'plain')).subjects).toEqual([]);
      const caps = await greeting(oauth.ports.imap);
      expect(caps).toContain('AUTH=XOAUTH2');
      expect(caps).toContain('AUTH=OAUTHBEARER');
      const { readFile } = await import('node:fs/promises');
      expect(await readFile(oauth.logPath, 'utf8')).not.toMatch(/Fatal|Error|Panic/);
    } finally {
      await oauth.dispose();
    }
  });
});

describe('PostgreSQL', () => {
  test('shared cluster answers select 1', async () => {
    const sql = postgres(getPostgres().url, { max: 1, onnotice: () => {} });
    try {
      expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await sql.end();
    }
  });

  test('createDatabase gives isolated databases', async () => {
    const [a, b] = await Promise.all([createDatabase(getPostgres().url), createDatabase(getPostgres().url)]);
    expect(a).not.toEqual(b);
    const sqlA = postgres(a, { max: 1, onnotice: () => {} });
    const sqlB = postgres(b, { max: 1, onnotice: () => {} });
    try {
      await sqlA`create table tickets (id int)`;
      await sqlA`insert into tickets values (1)`;
      expect(await sqlA`select count(*)::int as n from tickets`).toEqual([{ n: 1 }]);
      await expect(sqlB`select * from tickets`).rejects.toThrow(/does not exist/);
    } finally {
      await Promise.all([sqlA.end(), sqlB.end()]);
    }
  });

  test('testDatabaseUrl gives a fresh database on the shared cluster', async () => {
    expect(await testDatabaseUrl()).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/test_/);
  });

  test('restart (private cluster) keeps data; clients see the outage', async () => {
    const pg = await startPostgres();
    try {
      const url = await createDatabase(pg.url);
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await sql`create table t (x int)`;
        await sql`insert into t values (42)`;
        const remote = connectPostgres(structuredClone(pg.info));
        await remote.stop();
        expect(pg.stopped).toBe(true);
        await expect(sql`select 1`).rejects.toMatchObject({ code: 'ECONNREFUSED' });
        await remote.start();
        expect(await sql`select x from t`).toEqual([{ x: 42 }]);
        await pg.restart();
        expect(await sql`select x from t`).toEqual([{ x: 42 }]);
      } finally {
        await sql.end();
      }
    } finally {
      await pg.dispose();
    }
  });
});
