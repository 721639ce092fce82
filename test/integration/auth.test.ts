import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { authTokens } from '../../server/src/db/schema.ts';
import { ADMIN, GraphQLClient, graphql, ok, startTestApp, subscribe, type TestApp } from '../testkit/app.ts';

const SignIn = graphql(`
  mutation AuthSignIn($email: String!, $password: String!) {
    signIn(email: $email, password: $password) { __typename ... on Error { message } ... on ValidationError { fieldErrors { path } } }
  }
`);
const Me = graphql(`query AuthMe { me { id email isSuperAdmin canManageSupportChannels } }`);
const CreateApiToken = graphql(`
  mutation AuthCreateApiToken($name: String!) { createApiToken(name: $name) { __typename ... on CreateApiTokenSuccess { apiToken { token name } } } }
`);
const TicketCreated = graphql(`subscription AuthTicketCreated { ticketCreated { id } }`);
const ServerUpdated = graphql(`subscription AuthServerUpdated { incomingEmailServerUpdated { id } }`);
const ServersUpdated = graphql(`subscription AuthServersUpdated { incomingEmailServersUpdated { id } }`);
const Tickets = graphql(`query AuthTickets { tickets { nodes { id } } }`);
const Servers = graphql(`query AuthServers { incomingEmailServers { id } }`);
const AuditLog = graphql(`query AuthAuditLog { emailAuditLog { nodes { id } } }`);
const CreateCategory = graphql(`mutation AuthCreateCategory($name: String!) { createCategory(name: $name) { __typename } }`);
const SignOut = graphql(`mutation AuthSignOut { signOut }`);

describe('auth', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('signIn sets an httpOnly session cookie that works for HTTP and for the WebSocket upgrade', async () => {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { signIn(email: "${ADMIN.email}", password: "${ADMIN.password}") { __typename } }` }),
    });
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^mailroom_session=mr_[^;]+;/);
    expect(setCookie.split(/;\s*/).slice(1).sort()).toEqual(['HttpOnly', `Max-Age=${30 * 24 * 3600}`, 'Path=/', 'SameSite=Lax']);
    const cookie = setCookie.split(';')[0]!;
    const me = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ query: '{ me { email isSuperAdmin canManageSupportChannels } }' }),
    });
    expect((await me.json()).data.me).toEqual({ email: ADMIN.email, isSuperAdmin: true, canManageSupportChannels: true });

    // graphql-ws over the cookie of the upgrade request, no connectionParams
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers: { cookie } });
    const ack = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
      ws.on('message', (m) => resolve(JSON.parse(m.toString()).type));
      ws.on('close', (code) => reject(new Error(`closed ${code}`)));
    });
    expect(ack).toBe('connection_ack');
    ws.close();
  });

  it('wrong passwords get InvalidCredentials, the same for unknown users', async () => {
    const anon = new GraphQLClient(t.url);
    for (const email of [ADMIN.email, 'nobody@mailroom.test']) {
      const r = await anon.execute(SignIn, { email, password: 'wrong' });
      expect(r.signIn).toEqual({ __typename: 'InvalidCredentials', message: 'Wrong email or password' });
    }
    const invalid = await anon.execute(SignIn, { email: 'not an email', password: '' });
    expect(invalid.signIn.__typename).toBe('ValidationError');
  });

  it('API tokens are shown once, stored hashed, and work as Bearer tokens on HTTP and graphql-ws', async () => {
    const created = await t.admin.execute(CreateApiToken, { name: 'integration' });
    const token = ok(created.createApiToken, 'CreateApiTokenSuccess').apiToken.token;
    expect(token).toMatch(/^mr_/);
    const rows = await t.app.services.db.select().from(authTokens);
    const stored = rows.find((r) => r.name === 'integration')!;
    expect(stored.tokenHash).not.toContain(token);
    expect(stored.tokenHash).toHaveLength(64);

    const integrator = new GraphQLClient(t.url, token);
    expect((await integrator.execute(Me)).me!.email).toBe(ADMIN.email);
    const ws = integrator.ws();
    const sub = subscribe(ws, TicketCreated);
    await new Promise((r) => setTimeout(r, 300));
    sub.dispose();
    await ws.dispose();
  });

  it('technicians read tickets but never see or change channel configuration', async () => {
    const created = await t.seed.technician({ email: 'tech@mailroom.test', name: 'Tess Tech' });
    expect(created.canManageSupportChannels).toBe(false);
    const tech = await created.signIn();
    expect((await tech.execute(Tickets)).tickets.nodes).toEqual([]);
    for (const r of [await tech.request(Servers), await tech.request(AuditLog), await tech.request(CreateCategory, { name: 'x' })]) {
      expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const ws = tech.ws();
    await expect(subscribe(ws, ServerUpdated).next(5000)).rejects.toThrow(/Not allowed/);
    await expect(subscribe(ws, ServersUpdated).next(5000)).rejects.toThrow(/Not allowed/);
    await ws.dispose();

    const roleId = await t.seed.role('Channel admins', ['MANAGE_SUPPORT_CHANNELS']);
    const chan = await (await t.seed.technician({ email: 'chan@mailroom.test', name: 'Chan', password: 'chan-password', roleId })).signIn();
    expect((await chan.execute(Servers)).incomingEmailServers).toEqual([]);
  });

  it('signOut revokes the session token', async () => {
    const c = new GraphQLClient(t.url);
    await c.signIn();
    expect((await c.execute(SignOut)).signOut).toBe(true);
    expect((await c.execute(Me)).me).toBeNull();
  });
});
