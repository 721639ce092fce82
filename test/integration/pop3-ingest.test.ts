import { randomUUID } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, ok, startTestApp, subscribe, type TestApp } from '../testkit/app.ts';
import type { IncomingEmailServerInput } from '../testkit/gql/graphql.ts';
import { CreateIncomingServer } from '../testkit/seed.ts';
import { getDovecot } from '../testkit/env.ts';
import { waitFor } from '../testkit/services/util.ts';
import { mail } from '../testkit/mail.ts';

const TicketCreated = graphql(`
  subscription Pop3TicketCreated {
    ticketCreated {
      id number subject description requester { email name } technicianGroup { name } category { name } incomingEmailServer { id } messages { from subject bodyText }
    }
  }
`);
const AuditLog = graphql(`query Pop3AuditLog($id: ID!) { emailAuditLog(serverId: $id) { nodes { outcome subject rawUrl } } }`);

async function newMailbox() {
  const user = `pop-${randomUUID().slice(0, 8)}@example.test`;
  const password = `pw-${randomUUID().slice(0, 8)}`;
  await getDovecot().addUser(user, password);
  return { user, password };
}

/** Counted over IMAP, independently of the POP3 code under test. */
async function messagesOnServer(box: { user: string; password: string }): Promise<number> {
  const dovecot = getDovecot();
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.ports.imap, secure: false, doSTARTTLS: false, auth: { user: box.user, pass: box.password }, logger: false });
  await client.connect();
  try {
    const status = await client.status('INBOX', { messages: true });
    return status ? (status.messages ?? 0) : 0;
  } finally {
    await client.logout();
  }
}

function pop3Input(box: { user: string; password: string }, extra: Partial<IncomingEmailServerInput> = {}): IncomingEmailServerInput {
  const dovecot = getDovecot();
  return {
    name: `POP3 ${box.user}`, email: box.user, protocol: 'POP3', host: '127.0.0.1', port: dovecot.ports.pop3s, security: 'SSL',
    authType: 'BASIC', password: box.password, allowSelfSignedCertificate: true, pollIntervalSeconds: 10, ...extra,
  };
}

describe('POP3 mailbox → ticket, live', () => {
  let t: TestApp;
  let groupId: string;
  let categoryId: string;
  let polled: Promise<{ box: { user: string; password: string }; serverId: string; firstSyncAt: number }>;

  beforeAll(async () => {
    t = await startTestApp();
    groupId = await t.seed.technicianGroup('POP Desk');
    categoryId = await t.seed.category('POP mail');
    polled = (async () => {
      const box = await newMailbox();
      const server = await t.seed.incomingServer(pop3Input(box, { port: getDovecot().ports.pop3, security: 'NONE' }));
      await waitFor('connected', async () => (await t.health(server.id)).connectionState === 'connected', 20_000);
      const firstSyncAt = new Date((await t.health(server.id)).lastSyncAt!).getTime();
      await getDovecot().deliver(box.user, mail({ from: 'later@customer.example', to: box.user, subject: 'Next poll', body: 'x' }));
      return { box, serverId: server.id, firstSyncAt };
    })();
    polled.catch(() => undefined);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('SSL, delete after save (the default): mail becomes a ticket pushed over the subscription and leaves the server', async () => {
    const box = await newMailbox();
    const server = await t.seed.incomingServer(pop3Input(box, { technicianGroupId: groupId, categoryId }));
    expect(server).toMatchObject({ pop3DeleteAfterSave: true, security: 'SSL', port: getDovecot().ports.pop3s });
    await waitFor('connected', async () => (await t.health(server.id)).connectionState === 'connected', 20_000);

    const ws = t.admin.ws();
    const tickets = subscribe(ws, TicketCreated);
    await new Promise((r) => setTimeout(r, 300)); // let the subscription register
    await getDovecot().deliver(box.user, mail({
      from: 'Grace Hopper <grace@customer.example>', to: box.user, subject: 'Bug in relay 70',
      // A line that starts with a dot is byte-stuffed on the wire and must arrive as written.
      body: 'There is a moth in relay 70.\n.moth removed, taped into the log book.\nCafé ☕',
    }));
    // The first poll already ran; a config change restarts the connector, which polls at once.
    await t.seed.updateIncomingServer(server.id, pop3Input(box, { technicianGroupId: groupId, categoryId }));

    const event = await tickets.next(20_000);
    tickets.dispose();
    await ws.dispose();
    expect(event.ticketCreated).toMatchObject({
      subject: 'Bug in relay 70',
      description: 'There is a moth in relay 70.\n.moth removed, taped into the log book.\nCafé ☕',
      requester: { email: 'grace@customer.example', name: 'Grace Hopper' },
      technicianGroup: { name: 'POP Desk' },
      category: { name: 'POP mail' },
      incomingEmailServer: { id: server.id },
    });
    expect(event.ticketCreated.number).toMatch(/^REQ-\d+$/);

    await waitFor('message deleted from the server after the commit', async () => (await messagesOnServer(box)) === 0, 20_000);
    const audit = await t.admin.execute(AuditLog, { id: server.id });
    expect(audit.emailAuditLog.nodes).toEqual([expect.objectContaining({ outcome: 'TICKET_CREATED', subject: 'Bug in relay 70' })]);
    const raw = await (await fetch(`${t.url}${audit.emailAuditLog.nodes[0]!.rawUrl}`, { headers: { authorization: `Bearer ${t.admin.token}` } })).text();
    expect(raw).toContain('\r\n.moth removed');
    expect(raw).not.toContain('..moth');

    await waitFor('connected again', async () => (await t.health(server.id)).connectionState === 'connected', 20_000);
    const h = await t.health(server.id);
    expect(h).toMatchObject({ status: 'REACHABLE', inboundQueueCount: 0, lastError: null });
    expect(new Date(h.lastSyncAt!).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('STLS, leave on server: mail already waiting becomes tickets, stays on the server, and is not taken twice', async () => {
    const box = await newMailbox();
    const dovecot = getDovecot();
    await dovecot.deliver(box.user, mail({ from: 'a@customer.example', to: box.user, subject: 'Waiting one', body: 'x' }));
    await dovecot.deliver(box.user, mail({ from: 'b@customer.example', to: box.user, subject: 'Waiting two', body: 'y' }));
    const input = pop3Input(box, { port: dovecot.ports.pop3, security: 'TLS', pop3DeleteAfterSave: false });
    const server = await t.seed.incomingServer(input);
    expect(server.pop3DeleteAfterSave).toBe(false);
    await waitFor('both tickets', async () => (await t.ticketSubjects(server.id)).length === 2, 20_000);
    await waitFor('connected', async () => (await t.health(server.id)).connectionState === 'connected', 20_000);
    expect(await messagesOnServer(box)).toBe(2);

    await dovecot.deliver(box.user, mail({ from: 'c@customer.example', to: box.user, subject: 'Third', body: 'z' }));
    await t.seed.updateIncomingServer(server.id, input); // a fresh poll over the same three messages
    await waitFor('third ticket', async () => (await t.ticketSubjects(server.id)).includes('Third'), 20_000);
    await waitFor('connected', async () => (await t.health(server.id)).connectionState === 'connected', 20_000);
    const pollAfter = Date.now();
    await t.seed.updateIncomingServer(server.id, input);
    await waitFor('another full poll', async () => {
      const h = await t.health(server.id);
      return h.connectionState === 'connected' && new Date(h.lastSyncAt!).getTime() >= pollAfter;
    }, 20_000);
    expect(await t.ticketSubjects(server.id)).toEqual(['Third', 'Waiting one', 'Waiting two']);
    expect(await messagesOnServer(box)).toBe(3);
    expect((await t.health(server.id)).inboundQueueCount).toBe(0);
  });

  it('wrong password → authenticationError (no retry storm) and Test Connection fails at AUTH; Test Connection passes once fixed', async () => {
    const box = await newMailbox();
    const server = await t.seed.incomingServer(pop3Input(box, { password: 'not-the-password' }));
    await waitFor('authenticationError', async () => (await t.health(server.id)).connectionState === 'authenticationError', 20_000);
    const h = await t.health(server.id);
    expect(h).toMatchObject({ status: 'UNREACHABLE', lastError: { kind: 'AUTH' } });
    expect(h.lastError?.message).not.toContain('not-the-password');

    const failed = await t.testConnection(server.id);
    expect(failed).toMatchObject({ ok: false, failedStage: 'AUTH', message: 'The server rejected the username or password' });

    await t.seed.updateIncomingServer(server.id, pop3Input(box));
    await waitFor('recovered', async () => (await t.health(server.id)).connectionState === 'connected', 20_000);
    const passed = await t.testConnection(server.id);
    expect(passed.ok).toBe(true);
    expect(passed.stages.map((s) => s.stage)).toEqual(['DNS', 'TCP', 'TLS', 'AUTH', 'PROTOCOL']);
  });

  it('refuses real-time scanning and OAuth for POP3 with typed field errors', async () => {
    const box = await newMailbox();
    const res = await t.admin.execute(CreateIncomingServer, { input: pop3Input(box, { realTimeScanning: true, authType: 'OAUTH' }) });
    const paths = ok(res.createIncomingEmailServer, 'ValidationError').fieldErrors.map((e) => e.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['realTimeScanning', 'authType']));
  });

  it('plain POP3 (110-style) with the poll interval: mail arriving later is picked up by the next poll', async () => {
    // Set up in beforeAll, so the 10 s poll interval passes while the other tests run.
    const { box, serverId, firstSyncAt } = await polled;
    await waitFor('ticket from the next poll', async () => (await t.ticketSubjects(serverId)).includes('Next poll'), 25_000, 250);
    await waitFor('deleted', async () => (await messagesOnServer(box)) === 0, 20_000);
    expect(new Date((await t.health(serverId)).lastSyncAt!).getTime()).toBeGreaterThan(firstSyncAt);
  }, 40_000);
});
