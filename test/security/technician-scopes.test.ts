// A technician reaches tickets, and through them a ticket's mailbox: of that mailbox they may
// learn which one it is (id, name, address), never how it is configured or how it is doing —
// over queries and over subscriptions alike.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, subscribe, type GraphQLClient, type TestApp } from '../testkit/app.ts';

const TicketIds = graphql(`query SecurityScopeTicketIds { tickets { nodes { id } } }`);
const TechnicianView = graphql(`
  query SecurityTechnicianView($id: ID!) {
    ticket(id: $id) { incomingEmailServer { id name email } }
    tickets { nodes { incomingEmailServer { name } } }
  }
`);
const LiveAllowed = graphql(`subscription SecurityLiveAllowed { ticketCreated { subject incomingEmailServer { id name email } } }`);
const LiveForbidden = graphql(`subscription SecurityLiveForbidden { ticketCreated { subject incomingEmailServer { host username health { lastError { message } } } } }`);
const AdminView = graphql(`
  query SecurityAdminView($id: ID!) { ticket(id: $id) { incomingEmailServer { host filter { emails } health { status } } } }
`);
import { getDovecot } from '../testkit/env.ts';
import { mail } from '../testkit/mail.ts';
import { waitFor } from '../testkit/services/util.ts';

const FORBIDDEN = [
  'host', 'port', 'username', 'protocol', 'provider', 'security', 'authType', 'passwordSet', 'enabled', 'primary', 'realTimeScanning',
  'allowSelfSignedCertificate', 'pollIntervalSeconds', 'proxyServerId', 'outgoingServerId', 'companyId', 'pop3DeleteAfterSave',
  'afterProcessing', 'moveToFolder', 'ewsUrl', 'needsReconfiguration', 'oauthClientSecretExpiresAt', 'createdAt', 'updatedAt',
  'technicianGroup { id }', 'category { id }', 'filter { emails domains keywords }', 'oauth { clientId tokenUrl }',
  'health { status connectionState lastSyncAt inboundQueueCount lastError { message } }',
];

describe('technicians and nested mailbox fields', () => {
  let t: TestApp;
  let tech: GraphQLClient;
  let ticketId: string;
  const user = `scopes-${randomUUID().slice(0, 8)}@example.test`;

  beforeAll(async () => {
    const dovecot = getDovecot();
    await dovecot.addUser(user, 'imap-secret-1');
    t = await startTestApp();
    await t.seed.incomingServer({
      name: 'Secret Desk', email: user, protocol: 'IMAP', provider: 'OTHER', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE', authType: 'BASIC',
      password: 'imap-secret-1', realTimeScanning: true, filter: { type: 'IGNORE', emails: ['ceo@example.test'] },
    });
    tech = await (await t.seed.technician()).signIn();
    await dovecot.deliver(user, mail({ from: 'ada@customer.example', to: user, subject: 'scoped', body: 'x' }));
    await waitFor('the ticket', async () => (await t.admin.execute(TicketIds)).tickets.nodes.length === 1, 20_000);
    ticketId = (await t.admin.execute(TicketIds)).tickets.nodes[0]!.id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('queries: id, name and email only, through tickets and ticket', async () => {
    const allowed = await tech.execute(TechnicianView, { id: ticketId });
    expect(allowed.ticket?.incomingEmailServer).toEqual({ id: expect.any(String), name: 'Secret Desk', email: user });
    expect(allowed.tickets.nodes[0]?.incomingEmailServer?.name).toBe('Secret Desk');
    for (const field of FORBIDDEN) {
      for (const q of [`{ ticket(id: "${ticketId}") { id incomingEmailServer { ${field} } } }`, `{ tickets { nodes { id incomingEmailServer { ${field} } } } }`]) {
        const r = await tech.raw(q);
        expect(r.errors?.[0]?.extensions?.code, `${field} via ${q.slice(2, 8)}`).toBe('FORBIDDEN');
        expect(JSON.stringify(r.data ?? {}), field).not.toMatch(/127\.0\.0\.1|ceo@example|imap-secret|IMAP/);
      }
    }
    // The admin still sees everything.
    const admin = await t.admin.execute(AdminView, { id: ticketId });
    expect(admin.ticket?.incomingEmailServer).toMatchObject({ host: '127.0.0.1', filter: { emails: ['ceo@example.test'] } });
  });

  it('subscriptions: the same rule for ticketCreated', async () => {
    const ws = tech.ws();
    const allowed = subscribe(ws, LiveAllowed);
    const forbidden = subscribe(ws, LiveForbidden);
    await new Promise((r) => setTimeout(r, 300));
    await getDovecot().deliver(user, mail({ from: 'bob@customer.example', to: user, subject: 'live scoped', body: 'x' }));
    const ok = await allowed.next(15_000);
    expect(ok.ticketCreated.incomingEmailServer).toEqual({ id: expect.any(String), name: 'Secret Desk', email: user });
    await expect(forbidden.next(15_000)).rejects.toThrow(/Not allowed/);
    await ws.dispose();
  });
});
