import { randomUUID } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, graphql, ok, startTestApp, subscribe, type TestApp } from '../testkit/app.ts';
import { CreateIncomingServer } from '../testkit/seed.ts';
import { getDovecot } from '../testkit/env.ts';
import { waitFor } from '../testkit/services/util.ts';
import { mail } from '../testkit/mail.ts';

graphql(`fragment ImapServerFields on IncomingEmailServer { id name checkIntervalSeconds health { status connectionState lastSyncAt inboundQueueCount idlePush lastError { message kind } } }`);
const CreateServer = graphql(`
  mutation ImapCreateServer($input: IncomingEmailServerInput!) {
    createIncomingEmailServer(input: $input) {
      __typename
      ... on IncomingEmailServerSuccess { server { ...ImapServerFields port security username passwordSet } }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);
const Server = graphql(`query ImapServer($id: ID!) { incomingEmailServer(id: $id) { ...ImapServerFields } }`);
const TicketCreated = graphql(`
  subscription ImapTicketCreated {
    ticketCreated {
      id number subject description requester { email name } technicianGroup { name } category { name }
      incomingEmailServer { id } messages { from subject bodyText }
    }
  }
`);
const AuditLog = graphql(`query ImapAuditLog($id: ID!) { emailAuditLog(serverId: $id) { nodes { outcome from subject ticket { number } rawUrl } } }`);
const AnonymousLook = graphql(`query ImapAnonymousLook { incomingEmailServers { id } tickets { nodes { id } } }`);
const AnyTicketCreated = graphql(`subscription ImapAnyTicketCreated { ticketCreated { id } }`);


async function mailboxFlags(user: string, password: string): Promise<Map<number, Set<string>>> {
  const dovecot = getDovecot();
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.ports.imap, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false });
  await client.connect();
  const flags = new Map<number, Set<string>>();
  const lock = await client.getMailboxLock('INBOX');
  try {
    for await (const m of client.fetch('1:*', { uid: true, flags: true })) flags.set(m.uid, m.flags ?? new Set());
  } finally {
    lock.release();
    await client.logout();
  }
  return flags;
}

describe('IMAP mailbox → ticket, live', () => {
  let t: TestApp;
  const user = `support-${randomUUID().slice(0, 8)}@example.test`;
  const password = 'imap-secret-1';
  let serverId: string;
  let groupId: string;
  let categoryId: string;

  beforeAll(async () => {
    await getDovecot().addUser(user, password);
    t = await startTestApp();
    groupId = await t.seed.technicianGroup('Service Desk');
    categoryId = await t.seed.category('Email');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates the server, connects over SSL with IDLE, and turns delivered mail into a ticket pushed over the subscription', async () => {
    const dovecot = getDovecot();
    const created = await t.admin.execute(
      CreateServer,
      {
        input: {
          name: 'Support', email: user, protocol: 'IMAP', provider: 'OTHER', host: '127.0.0.1', port: dovecot.ports.imaps,
          security: 'SSL', authType: 'BASIC', password, allowSelfSignedCertificate: true, realTimeScanning: true, pollIntervalSeconds: 20,
          technicianGroupId: groupId, categoryId,
        },
      },
    );
    const server = ok(created.createIncomingEmailServer, 'IncomingEmailServerSuccess').server;
    expect(server).toMatchObject({ passwordSet: true, username: user, security: 'SSL' });
    serverId = server.id;

    await waitFor('connected', async () => {
      const s = await t.admin.execute(Server, { id: serverId });
      return s.incomingEmailServer?.health.connectionState === 'connected';
    }, 20_000);

    const ws = t.admin.ws();
    const tickets = subscribe(ws, TicketCreated);
    await new Promise((r) => setTimeout(r, 300)); // let the subscription register
    await dovecot.deliver(user, mail({ from: 'Ada Lovelace <ada@customer.example>', to: user, subject: 'Printer on fire', body: 'The printer on floor 3 is on fire.\nPlease help.' }));

    const event = await tickets.next(15_000);
    const ticket = event.ticketCreated;
    expect(ticket.number).toMatch(/^REQ-\d+$/);
    expect(ticket).toMatchObject({
      subject: 'Printer on fire',
      description: 'The printer on floor 3 is on fire.\nPlease help.',
      requester: { email: 'ada@customer.example', name: 'Ada Lovelace' },
      technicianGroup: { name: 'Service Desk' },
      category: { name: 'Email' },
      incomingEmailServer: { id: serverId },
    });
    expect(ticket.messages).toHaveLength(1);
    tickets.dispose();
    await ws.dispose();

    const audit = await t.admin.execute(AuditLog, { id: serverId });
    expect(audit.emailAuditLog.nodes).toEqual([
      expect.objectContaining({ outcome: 'TICKET_CREATED', from: 'ada@customer.example', subject: 'Printer on fire', ticket: { number: ticket.number } }),
    ]);
    const raw = await fetch(`${t.url}${audit.emailAuditLog.nodes[0]!.rawUrl}`, { headers: { authorization: `Bearer ${t.admin.token}` } });
    expect(raw.headers.get('content-type')).toBe('message/rfc822');
    expect(await raw.text()).toContain('Subject: Printer on fire');

    await waitFor('\\Seen set after commit', async () => [...(await mailboxFlags(user, password)).values()].every((f) => f.has('\\Seen')));

    const health = (await t.admin.execute(Server, { id: serverId })).incomingEmailServer!.health;
    expect(health).toMatchObject({ status: 'REACHABLE', connectionState: 'connected', inboundQueueCount: 0, lastError: null });
    expect(new Date(health.lastSyncAt!).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('confirms an idle mailbox with nothing new is current every check, not only on a resync ("last checked")', async () => {
    // Dovecot is known to push (mail/imap/imap-push.ts): besides IDLE it is checked at its poll interval, 20 s here.
    const server = (await t.admin.execute(Server, { id: serverId })).incomingEmailServer!;
    expect(server.health.idlePush).toBe(true);
    expect(server.checkIntervalSeconds).toBe(20);
    const lastSyncAt = async () => {
      const s = (await t.admin.execute(Server, { id: serverId })).incomingEmailServer!;
      return new Date(s.health.lastSyncAt!).getTime();
    };
    const before = await lastSyncAt();
    // IDLE with no new mail: the check (mail/check-interval.ts) must still move "last checked".
    await waitFor('last checked moves while idle', async () => (await lastSyncAt()) > before, 35_000, 500);
    expect(await lastSyncAt()).toBeGreaterThan(Date.now() - 30_000);
  });

  it('survives a restart without duplicating tickets and picks up mail that arrived while it was down', async () => {
    await t.stop();
    const dovecot = getDovecot();
    await dovecot.deliver(user, mail({ from: 'bob@customer.example', to: user, subject: 'While you were out', body: 'hello' }));
    t = await startTestApp({ dataDir: t.dataDir, databaseUrl: t.databaseUrl });
    await waitFor('second ticket', async () => (await t.tickets(50)).length >= 2, 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await t.ticketSubjects()).toEqual(['Printer on fire', 'While you were out']);
  });

  it('rejects bad input with typed field errors and hides everything from anonymous callers', async () => {
    const bad = await t.admin.execute(
      CreateIncomingServer,
      { input: { name: 'x', email: 'not-an-email', protocol: 'IMAP', host: 'imap.example.com', port: 70000, password: 'x', filter: { type: 'ALLOW', domains: ['@example.com'] } } },
    );
    const paths = ok(bad.createIncomingEmailServer, 'ValidationError').fieldErrors.map((e) => e.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['email', 'port', 'filter.domains.0']));

    const microsoftBasic = await t.admin.execute(
      CreateIncomingServer,
      { input: { name: 'O365', email: 'help@contoso.com', protocol: 'IMAP', host: 'outlook.office365.com', authType: 'BASIC', password: 'x' } },
    );
    expect(ok(microsoftBasic.createIncomingEmailServer, 'ValidationError').fieldErrors).toEqual([expect.objectContaining({ path: ['authType'] })]);

    const anonymous = new GraphQLClient(t.url);
    const res = await anonymous.request(AnonymousLook);
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe('UNAUTHENTICATED');

    const ws = anonymous.ws(null);
    const sub = subscribe(ws, AnyTicketCreated);
    await expect(sub.next(5000)).rejects.toMatchObject({ code: 4403 });
    await ws.dispose();
  });
});
