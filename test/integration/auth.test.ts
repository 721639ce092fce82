import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { authTokens } from '../../server/src/db/schema.ts';
import { ADMIN, GraphQLClient, startTestApp, subscribe, type TestApp } from '../testkit/app.ts';

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
      const r = await anon.execute(`mutation { signIn(email: "${email}", password: "wrong") { __typename ... on Error { message } } }`);
      expect(r.signIn).toEqual({ __typename: 'InvalidCredentials', message: 'Wrong email or password' });
    }
    const invalid = await anon.execute('mutation { signIn(email: "not an email", password: "") { __typename ... on ValidationError { fieldErrors { path } } } }');
    expect(invalid.signIn.__typename).toBe('ValidationError');
  });

  it('API tokens are shown once, stored hashed, and work as Bearer tokens on HTTP and graphql-ws', async () => {
    const created = await t.admin.execute('mutation { createApiToken(name: "integration") { __typename ... on CreateApiTokenSuccess { apiToken { token name } } } }');
    const token = created.createApiToken.apiToken.token as string;
    expect(token).toMatch(/^mr_/);
    const rows = await t.app.services.db.select().from(authTokens);
    const stored = rows.find((r) => r.name === 'integration')!;
    expect(stored.tokenHash).not.toContain(token);
    expect(stored.tokenHash).toHaveLength(64);

    const integrator = new GraphQLClient(t.url, token);
    expect((await integrator.execute('{ me { email } }')).me.email).toBe(ADMIN.email);
    const ws = integrator.ws();
    const sub = subscribe(ws, 'subscription { ticketCreated { id } }');
    await new Promise((r) => setTimeout(r, 300));
    sub.dispose();
    await ws.dispose();
  });

  it('technicians read tickets but never see or change channel configuration', async () => {
    const created = await t.admin.execute(
      'mutation { createUser(email: "tech@mailroom.test", name: "Tess Tech", password: "tech-password") { __typename ... on UserSuccess { user { id canManageSupportChannels } } } }',
    );
    expect(created.createUser.user.canManageSupportChannels).toBe(false);
    const tech = new GraphQLClient(t.url);
    await tech.signIn('tech@mailroom.test', 'tech-password');
    expect((await tech.execute('{ tickets { nodes { id } } }')).tickets.nodes).toEqual([]);
    for (const q of ['{ incomingEmailServers { id } }', '{ emailAuditLog { nodes { id } } }', 'mutation { createCategory(name: "x") { __typename } }']) {
      const r = await tech.raw(q);
      expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const ws = tech.ws();
    const sub = subscribe(ws, 'subscription { incomingEmailServerUpdated { id } }');
    await expect(sub.next(5000)).rejects.toThrow(/Not allowed/);
    await ws.dispose();

    const role = await t.admin.execute('mutation { createRole(name: "Channel admins", permissions: [MANAGE_SUPPORT_CHANNELS]) { ... on RoleSuccess { role { id } } } }');
    await t.admin.execute(`mutation { createUser(email: "chan@mailroom.test", name: "Chan", password: "chan-password", roleId: "${role.createRole.role.id}") { __typename } }`);
    const chan = new GraphQLClient(t.url);
    await chan.signIn('chan@mailroom.test', 'chan-password');
    expect((await chan.execute('{ incomingEmailServers { id } }')).incomingEmailServers).toEqual([]);
  });

  it('signOut revokes the session token', async () => {
    const c = new GraphQLClient(t.url);
    await c.signIn();
    expect((await c.execute('mutation { signOut }')).signOut).toBe(true);
    expect((await c.execute('{ me { id } }')).me).toBeNull();
  });
});
