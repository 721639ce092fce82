// Sessions and tokens end when they should, everywhere at once; passwords can't be guessed fast.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { configAudit } from '../../server/src/db/schema.ts';
import { SIGN_IN_LIMITS } from '../../server/src/modules/auth/sign-in-throttle.ts';
import { ADMIN, GraphQLClient, graphql, ok, startTestApp, type TestApp } from '../testkit/app.ts';
import { openGraphqlSocket } from '../testkit/raw-socket.ts';

const SignOut = graphql(`mutation SecuritySignOut { signOut }`);
const MeId = graphql(`query SecurityMeId { me { id email } }`);
const SignInKind = graphql(`
  mutation SecuritySignInKind($email: String!, $password: String!) {
    signIn(email: $email, password: $password) { __typename ... on TooManyAttempts { retryAfterSeconds message } }
  }
`);
const Deactivate = graphql(`
  mutation SecurityDeactivate($id: ID!) { deactivateUser(id: $id) { __typename ... on UserSuccess { user { active deactivatedAt } } } }
`);
const Reactivate = graphql(`mutation SecurityReactivate($id: ID!) { reactivateUser(id: $id) { __typename } }`);
const CreateToken = graphql(`
  mutation SecurityCreateToken($name: String!, $expiresAt: DateTime) {
    createApiToken(name: $name, expiresAt: $expiresAt) { __typename ... on CreateApiTokenSuccess { apiToken { id token expiresAt } } }
  }
`);
const ListTokens = graphql(`query SecurityListTokens { apiTokens { id name owner { email } expiresAt expired } }`);
const RevokeToken = graphql(`mutation SecurityRevokeToken($id: ID!) { revokeApiToken(id: $id) { __typename } }`);

/** A raw graphql-ws connection with one live subscription, recording how it closes and what it receives. */
async function openSocket(url: string, auth: { token?: string; cookie?: string }) {
  const socket = await openGraphqlSocket(url, auth);
  socket.send({ id: '1', type: 'subscribe', payload: { query: 'subscription { ticketCreated { id } }' } });
  return socket;
}

async function createTechnician(t: TestApp, email: string): Promise<string> {
  return (await t.seed.technician({ email })).id;
}

describe('sessions end everywhere at once', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('signing out closes the WebSockets of that session within a second (4403), not others', async () => {
    const a = new GraphQLClient(t.url);
    const tokenA = await a.signIn();
    const b = new GraphQLClient(t.url);
    const tokenB = await b.signIn();
    const sockA = await openSocket(t.url, { token: tokenA });
    const sockA2 = await openSocket(t.url, { cookie: `mailroom_session=${tokenA}` });
    const sockB = await openSocket(t.url, { token: tokenB });
    const signedOutAt = Date.now();
    expect((await a.execute(SignOut)).signOut).toBe(true);
    for (const s of [sockA, sockA2]) {
      const { code, at } = await s.closed;
      expect(code).toBe(4403);
      expect(at - signedOutAt).toBeLessThan(1000);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(sockB.ws.readyState).toBe(WebSocket.OPEN);
    sockB.ws.close();
  });

  it('deactivating a user ends their sessions and API tokens at once, and they can not sign in again', async () => {
    const id = await createTechnician(t, 'leaver@mailroom.test');
    const tech = new GraphQLClient(t.url);
    const session = await tech.signIn('leaver@mailroom.test', 'tech-password');
    const sock = await openSocket(t.url, { token: session });
    const at = Date.now();
    const r = await t.admin.execute(Deactivate, { id });
    expect(ok(r.deactivateUser, 'UserSuccess').user.active).toBe(false);
    expect((await sock.closed).code).toBe(4403);
    expect(Date.now() - at).toBeLessThan(1000);
    expect((await tech.execute(MeId)).me).toBeNull();
    const again = await new GraphQLClient(t.url).execute(SignInKind, { email: 'leaver@mailroom.test', password: 'tech-password' });
    expect(again.signIn.__typename).toBe('InvalidCredentials');
    const self = (await t.admin.execute(MeId)).me!.id;
    expect((await t.admin.execute(Deactivate, { id: self })).deactivateUser.__typename).toBe('ValidationError');

    await t.admin.execute(Reactivate, { id });
    await tech.signIn('leaver@mailroom.test', 'tech-password');
    expect((await tech.execute(MeId)).me?.email).toBe('leaver@mailroom.test');
  });

  it('API tokens are listed without their secret, revoked (closing their sockets) and expire on time', async () => {
    const { id, token } = ok((await t.admin.execute(CreateToken, { name: 'ci' })).createApiToken, 'CreateApiTokenSuccess').apiToken;
    const listed = await t.admin.execute(ListTokens);
    expect(listed.apiTokens).toContainEqual({ id, name: 'ci', owner: { email: ADMIN.email }, expiresAt: null, expired: false });
    expect(JSON.stringify(listed)).not.toContain(token);

    const sock = await openSocket(t.url, { token });
    const revoked = await t.admin.execute(RevokeToken, { id });
    expect(revoked.revokeApiToken.__typename).toBe('DeleteSuccess');
    expect((await sock.closed).code).toBe(4403);
    expect((await new GraphQLClient(t.url, token).execute(MeId)).me).toBeNull();
    expect((await t.admin.execute(RevokeToken, { id })).revokeApiToken.__typename).toBe('NotFoundError');

    const past = await t.admin.execute(CreateToken, { name: 'old', expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(past.createApiToken.__typename).toBe('ValidationError');
    const soon = new Date(Date.now() + 1500);
    const shortToken = ok((await t.admin.execute(CreateToken, { name: 'short', expiresAt: soon.toISOString() })).createApiToken, 'CreateApiTokenSuccess').apiToken.token;
    const shortSock = await openSocket(t.url, { token: shortToken });
    const { code, at } = await shortSock.closed;
    expect(code).toBe(4403);
    expect(at - soon.getTime()).toBeLessThan(1000);
    expect((await new GraphQLClient(t.url, shortToken).execute(MeId)).me).toBeNull();
  });

  it('a technician sees only their own tokens and can not revoke anyone else\'s', async () => {
    const tech = await (await t.seed.technician()).signIn();
    const adminToken = ok((await t.admin.execute(CreateToken, { name: 'admin-only' })).createApiToken, 'CreateApiTokenSuccess').apiToken;
    expect((await tech.execute(ListTokens)).apiTokens).toEqual([]);
    const r = await tech.request(RevokeToken, { id: adminToken.id });
    expect(r.errors?.[0]?.extensions?.code ?? r.data?.revokeApiToken.__typename).toMatch(/FORBIDDEN|NotFoundError/);
  });
});

describe('sign-in throttling', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
    await createTechnician(t, 'victim@mailroom.test');
  });
  afterAll(async () => {
    await t?.stop();
  });

  const signIn = (c: GraphQLClient, email: string, password: string) => c.execute(SignInKind, { email, password });

  it('locks an account after its limit, whatever the password, with retryAfterSeconds and an audit entry', async () => {
    const anon = new GraphQLClient(t.url);
    for (let i = 0; i < SIGN_IN_LIMITS.account.points; i++) expect((await signIn(anon, 'VICTIM@mailroom.test', `guess-${i}`)).signIn.__typename).toBe('InvalidCredentials');
    const locked = await signIn(anon, 'victim@mailroom.test', 'tech-password');
    expect(locked.signIn.__typename).toBe('TooManyAttempts');
    const refused = ok(locked.signIn, 'TooManyAttempts');
    expect(refused.retryAfterSeconds).toBeGreaterThan(SIGN_IN_LIMITS.account.blockDuration - 30);
    expect(refused.message).toMatch(/Try again in 15 minutes/);
    const audit = await t.app.services.db.select().from(configAudit);
    expect(audit.filter((e) => e.action === 'LOCKOUT')).toHaveLength(1);
    // Other accounts are not affected by one account's lock.
    expect((await signIn(anon, ADMIN.email, ADMIN.password)).signIn.__typename).toBe('SignInSuccess');
  });

  it('counts every alias of one request, and stops checking passwords once spent', async () => {
    const anon = new GraphQLClient(t.url);
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: signIn(email: "nobody${i % 2}@mailroom.test", password: "x${i}") { __typename }`).join('\n');
    const started = Date.now();
    const r = (await anon.raw(`mutation { ${aliases} }`)).data;
    const kinds = Object.values(r as Record<string, { __typename: string }>).map((v) => v.__typename);
    // Two accounts, fifteen aliases each, run concurrently: exactly ten per account are checked.
    expect(kinds.filter((k) => k === 'InvalidCredentials')).toHaveLength(2 * SIGN_IN_LIMITS.account.points);
    expect(kinds.filter((k) => k === 'TooManyAttempts')).toHaveLength(30 - 2 * SIGN_IN_LIMITS.account.points);
    const after = await signIn(anon, 'nobody0@mailroom.test', 'again');
    expect(after.signIn.__typename).toBe('TooManyAttempts');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('limits one address across accounts', async () => {
    const anon = new GraphQLClient(t.url);
    let last = '';
    for (let i = 0; i < SIGN_IN_LIMITS.ip.points + 2 && last !== 'TooManyAttempts'; i++) {
      last = (await signIn(anon, `spray${i}@mailroom.test`, 'Winter2026!')).signIn.__typename;
    }
    expect(last).toBe('TooManyAttempts');
    expect((await signIn(anon, ADMIN.email, ADMIN.password)).signIn.__typename).toBe('TooManyAttempts');
  });
});
