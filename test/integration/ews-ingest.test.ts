// EWS ("MAPI") mailboxes through the real app against an in-test Exchange endpoint that speaks
// EWS's documented SOAP shapes (testkit/fakes/ews-server.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, subscribe, type TestApp } from '../testkit/app.ts';
import type { IncomingEmailServerInput } from '../testkit/gql/graphql.ts';
import { FakeEwsServer } from '../testkit/fakes/ews-server.ts';
import { mail } from '../testkit/mail.ts';
import { waitFor } from '../testkit/services/util.ts';

const TicketCreated = graphql(`
  subscription EwsTicketCreated {
    ticketCreated {
      id number subject description requester { email name } technicianGroup { name } category { name } incomingEmailServer { id } messages { from subject bodyText }
    }
  }
`);

function ewsInput(fake: FakeEwsServer, mailbox: string, extra: Partial<IncomingEmailServerInput> = {}): IncomingEmailServerInput {
  return {
    name: `EWS ${mailbox}`, email: mailbox, protocol: 'EWS', host: '127.0.0.1', port: fake.port, security: 'NONE',
    ewsUrl: fake.url, authType: 'BASIC', username: 'CONTOSO\\support', password: 'ews-secret', pollIntervalSeconds: 10, ...extra,
  };
}

describe('EWS mailbox → tickets', () => {
  let t: TestApp;
  let fake: FakeEwsServer;
  const mailbox = 'support@contoso.example';
  let serverId: string;

  beforeAll(async () => {
    fake = await FakeEwsServer.start({ basic: { username: 'CONTOSO\\support', password: 'ews-secret' }, mailbox });
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('takes unread mail already in the Inbox (not read mail), creates tickets pushed live, and marks them read only after the commit', async () => {
    const group = await t.seed.technicianGroup('Exchange Desk');
    const oldRead = fake.deliver(mail({ from: 'old@customer.example', to: mailbox, subject: 'Already handled', body: 'old' }), { isRead: true });
    fake.deliver(mail({ from: 'Ada Lovelace <ada@customer.example>', to: mailbox, subject: 'Printer on fire', body: 'The printer on floor 3 is on fire.\nPlease help.' }));
    fake.deliver(mail({ from: 'bob@customer.example', to: mailbox, subject: 'VPN down', body: 'No VPN since 9am' }));

    // When UpdateItem (IsRead) arrives, the tickets must already be committed.
    const ticketsAtUpdate: string[][] = [];
    fake.beforeAnswer = async (operation) => {
      if (operation === 'UpdateItem') ticketsAtUpdate.push(await t.ticketSubjects());
    };

    const ws = t.admin.ws();
    const created = subscribe(ws, TicketCreated);
    await new Promise((r) => setTimeout(r, 300));
    serverId = (await t.seed.incomingServer(ewsInput(fake, mailbox, { technicianGroupId: group }))).id;

    const first = (await created.next(20_000)).ticketCreated;
    const second = (await created.next(20_000)).ticketCreated;
    const printer = [first, second].find((x) => x.subject === 'Printer on fire');
    expect(printer).toMatchObject({
      description: 'The printer on floor 3 is on fire.\nPlease help.',
      requester: { email: 'ada@customer.example', name: 'Ada Lovelace' },
      technicianGroup: { name: 'Exchange Desk' },
      incomingEmailServer: { id: serverId },
    });
    expect(printer!.number).toMatch(/^REQ-\d+$/);
    created.dispose();
    await ws.dispose();

    await waitFor('marked read', async () => fake.itemsIn('inbox').every((i) => i.isRead));
    expect(ticketsAtUpdate).toEqual([['Printer on fire', 'VPN down']]);
    fake.beforeAnswer = null; // later tests stop the app; the hook must not query it then
    expect(await t.ticketSubjects()).toEqual(['Printer on fire', 'VPN down']);
    expect(fake.items.get(oldRead)!.isRead).toBe(true);
    await waitFor('connected', async () => (await t.health(serverId)).connectionState === 'connected');
    expect(await t.health(serverId)).toMatchObject({ status: 'REACHABLE', lastError: null, inboundQueueCount: 0 });

    // Every request carried Basic credentials for the configured user; nothing else was tried.
    const basic = `Basic ${Buffer.from('CONTOSO\\support:ews-secret').toString('base64')}`;
    expect(fake.requests.every((r) => r.authorization === basic)).toBe(true);
    expect(fake.operations().map((r) => r.operation)).toEqual(['SyncFolderItems', 'GetItem', 'UpdateItem']);
  });

  it('takes new mail even when a person read it first, on the next poll', async () => {
    const id = fake.deliver(mail({ from: 'carol@customer.example', to: mailbox, subject: 'Read before we saw it', body: 'hi' }));
    fake.markRead(id);
    await waitFor('ticket for read new mail', async () => (await t.ticketSubjects()).includes('Read before we saw it'), 20_000);
    expect(await t.ticketSubjects()).toEqual(['Printer on fire', 'Read before we saw it', 'VPN down']);
  });

  it('survives a restart without duplicates and picks up mail that arrived while it was down', async () => {
    await t.stop();
    fake.deliver(mail({ from: 'dave@customer.example', to: mailbox, subject: 'While you were out', body: 'hello' }));
    t = await startTestApp({ dataDir: t.dataDir, databaseUrl: t.databaseUrl });
    await waitFor('ticket after restart', async () => (await t.ticketSubjects()).includes('While you were out'), 40_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(await t.ticketSubjects()).toEqual(['Printer on fire', 'Read before we saw it', 'VPN down', 'While you were out']);
  });
});
