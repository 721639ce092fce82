import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.ts';
import type { IncomingEmailServerInput } from '../testkit/gql/graphql.ts';
import { mail } from '../testkit/mail.ts';
import { debianServersUnavailable } from '../testkit/services/debian-packages.ts';
import { startMailutils, type Mailutils } from '../testkit/services/mailutils.ts';
import { waitFor } from '../testkit/services/util.ts';
import { mailServerSuite } from './mail-server-suite.ts';

// Its UID range search finds nothing and its IDLE never pushes: Mailroom falls back and checks.
mailServerSuite('GNU Mailutils 3.15', startMailutils, debianServersUnavailable(), {
  recreate: 'an mbox Mailutils did not write itself gets a new, time-based UIDVALIDITY in every session, so a recreated INBOX looks like any other',
});

/** A POP3 session signed in and left open: the maildrop stays locked until it ends. */
async function holdMaildrop(port: number, user: string, password: string): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  let seen = '';
  socket.on('data', (d) => (seen += d.toString('utf8')));
  await waitFor('greeting', () => seen.startsWith('+OK'), 5000, 20);
  socket.write(Buffer.from(`USER ${user}\r\nPASS ${password}\r\n`, 'utf8'));
  await waitFor('signed in', () => (seen.match(/\+OK/g) ?? []).length >= 3, 5000, 20);
  return socket;
}

const skip = debianServersUnavailable();
describe.skipIf(skip !== null)(`GNU Mailutils pop3d: -ERR [IN-USE] while another session holds the mailbox${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let server: Mailutils;
  let t: TestApp;
  beforeAll(async () => {
    [server, t] = await Promise.all([startMailutils(), startTestApp()]);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await server?.dispose();
  });

  it('Test Connection and the card name the other client (or Mailroom\'s own poller), not the password or a rate limit', async () => {
    const user = `u${randomUUID().slice(0, 8)}`;
    const password = `pässwörd € ${randomUUID().slice(0, 4)}`;
    await server.addUser(user, password);
    await server.deliver(user, mail({ from: 'ada@customer.example', to: `${user}@example.test`, subject: 'Waiting behind a lock', body: 'x' }));
    const input: IncomingEmailServerInput = { name: 'Locked', email: `${user}@example.test`, username: server.login(user), protocol: 'POP3', host: server.host, port: server.ports.pop3, security: 'NONE', password, pollIntervalSeconds: 10 };
    const { id } = await t.seed.incomingServer({ ...input, enabled: false });

    const holder = await holdMaildrop(server.ports.pop3, server.login(user), password);
    try {
      const test = await t.testConnection(id);
      expect(test).toMatchObject({ ok: false, failedStage: 'AUTH', message: "The mailbox is in use: another POP3 client (or Mailroom's own poller) holds it" });
      expect(test.causes[0]).toMatch(/Mailroom's own poller/);
      expect(test.causes.join(' ')).not.toMatch(/password|rate-limit|limiting/i);

      await t.seed.updateIncomingServer(id, { ...input, enabled: true });
      await waitFor('connectError', async () => (await t.health(id)).connectionState === 'connectError', 20_000);
      expect((await t.health(id)).lastError).toMatchObject({ kind: 'PROTOCOL', message: expect.stringContaining("another POP3 client (or Mailroom's own poller) holds it") });
    } finally {
      holder.destroy();
    }
    // The lock goes with the session; the poller's next attempt reads the mail.
    await waitFor('the ticket', async () => (await t.ticketSubjects(id)).includes('Waiting behind a lock'), 40_000);
  }, 90_000);
});
