// OAuth IMAP mailboxes end to end against real peers: oauth2-mock-server (HTTPS) as the identity
// provider with the generic ("Other") authorization-code + PKCE flow, and a private Dovecot whose
// oauth2 passdb checks every XOAUTH2 login against the IdP's introspection endpoint. Mailroom runs
// as its own process so it trusts the IdP's certificate through NODE_EXTRA_CA_CERTS.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, graphql, ok, removeDir, spawnServer, type ServerProcess } from '../testkit/app.ts';
import type { IncomingEmailServerInput } from '../testkit/gql/graphql.ts';
import { seeder, testConnection, ticketSubjects as subjectsOf, type Seeder } from '../testkit/seed.ts';
import { testDatabaseUrl } from '../testkit/env.ts';
import { mail } from '../testkit/mail.ts';
import { startDovecot, type Dovecot } from '../testkit/services/dovecot.ts';
import { startDante, startTinyproxy } from '../testkit/services/proxies.ts';
import { START_SIGN_IN, followCallback, signInMailbox, startOAuthIdp, type OAuthIdp } from '../testkit/services/oauth-idp.ts';
import { run, freePorts, sleep, waitFor } from '../testkit/services/util.ts';

const SERVER = graphql(`query OAuthImapServer($id: ID!) { incomingEmailServer(id: $id) { oauthSignedIn health { connectionState lastError { kind message } } } }`);

describe('OAuth IMAP mailbox (generic provider) with Dovecot checking every XOAUTH2 login', () => {
  let idp: OAuthIdp;
  let dovecot: Dovecot;
  let app: ServerProcess;
  let admin: GraphQLClient;
  let seed: Seeder;
  let dataDir: string;
  let databaseUrl: string | undefined;
  let publicUrl: string;
  let port: number;
  const userA = `oauth-a-${randomUUID().slice(0, 8)}@example.test`;
  const userB = `oauth-b-${randomUUID().slice(0, 8)}@example.test`;
  const ids = {} as { a: string; b: string; c: string };
  let firstCallback: URL;

  const input = (user: string): IncomingEmailServerInput & { oauth: NonNullable<IncomingEmailServerInput['oauth']> } => ({
    name: user, email: user, protocol: 'IMAP', provider: 'OTHER', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE',
    authType: 'OAUTH', realTimeScanning: true,
    oauth: {
      clientId: 'mailroom-test-client', clientSecret: 'client-secret-1', authorizationUrl: idp.authorizationUrl, tokenUrl: idp.tokenUrl,
      scope: 'openid offline_access mail.imap', redirectUrl: `${publicUrl}/oauth/callback`,
    },
  });

  async function startApp(): Promise<void> {
    app = await spawnServer({ dataDir, databaseUrl, env: { PORT: String(port), PUBLIC_URL: publicUrl, NODE_EXTRA_CA_CERTS: idp.caPath } });
    admin = new GraphQLClient(app.url);
    await admin.signIn();
    seed = seeder(admin);
  }

  async function server(id: string) {
    return (await admin.execute(SERVER, { id })).incomingEmailServer!;
  }

  async function waitForState(id: string, state: string, timeoutMs = 40_000) {
    await waitFor(`${state} for ${id}`, async () => (await server(id)).health.connectionState === state, timeoutMs, 100);
    return server(id);
  }

  /** After a sign-in the connector restarts: wait until the new session has logged in with a new token. */
  async function waitForLogin(user: string, since: number) {
    await waitFor(`XOAUTH2 login of ${user}`, () => idp.introspections.some((i) => i.active && i.username === user && i.at >= since), 40_000);
  }

  /** Short-lived tokens: usable for 5 s, since Mailroom refreshes when less than 30 s are left. */
  const SHORT_TTL_S = 35;
  /** Sleeps until the newest token issued to the user is within Mailroom's 30 s refresh margin. */
  async function untilStale(user: string) {
    const last = idp.tokenRequests.filter((r) => r.user === user && r.status === 200).at(-1)!;
    await sleep(Math.max(0, last.at + (SHORT_TTL_S - 30) * 1000 + 500 - Date.now()));
  }

  const ticketSubjects = () => subjectsOf(admin);
  const createMailbox = async (user: string) => (await seed.incomingServer(input(user))).id;

  beforeAll(async () => {
    idp = await startOAuthIdp();
    dovecot = await startDovecot({ oauth2IntrospectionUrl: idp.introspectionUrl });
    // The passwd-file entries let LMTP deliver to the users; IMAP logins here use XOAUTH2 only.
    await dovecot.addUser(userA, randomUUID());
    await dovecot.addUser(userB, randomUUID());
    [port] = (await freePorts(1)) as [number];
    publicUrl = `http://127.0.0.1:${port}`;
    dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-oauth-'));
    databaseUrl = await testDatabaseUrl();
    await startApp();
  });

  afterAll(async () => {
    await app?.kill();
    await dovecot?.dispose();
    await idp?.dispose();
    if (dataDir) removeDir(dataDir);
  }, 60_000);

  it('waits for sign-in, then signs in with authorization code + PKCE and turns mail into tickets over XOAUTH2', async () => {
    ids.a = await createMailbox(userA);
    const before = await waitForState(ids.a, 'authenticationError');
    expect(before.oauthSignedIn).toBe(false);
    expect(before.health.lastError).toEqual({ kind: 'OAUTH_TOKEN', message: 'OAuth sign-in has not been completed for this mailbox: sign in from the server settings' });

    const outcome = await signInMailbox(admin, idp, ids.a);
    firstCallback = outcome.callback;
    expect(outcome.callback.origin + outcome.callback.pathname).toBe(`${publicUrl}/oauth/callback`);
    expect(outcome.status).toBe(303);
    expect(outcome.location.pathname).toBe('/admin/incoming-servers');
    expect(Object.fromEntries(outcome.location.searchParams)).toEqual({ oauth: 'ok', server: ids.a });

    const exchange = idp.requestsOf('authorization_code');
    expect(exchange).toHaveLength(1);
    expect(exchange[0]).toMatchObject({ status: 200, user: userA, body: { client_id: 'mailroom-test-client', client_secret: 'client-secret-1', redirect_uri: `${publicUrl}/oauth/callback` } });
    expect(exchange[0]!.body.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const after = await waitForState(ids.a, 'connected');
    expect(after.oauthSignedIn).toBe(true);
    expect(idp.introspections.some((i) => i.active && i.username === userA)).toBe(true);

    await dovecot.deliver(userA, mail({ from: 'ada@customer.example', to: userA, subject: 'Read over XOAUTH2', body: 'hello' }));
    await waitFor('ticket from the OAuth mailbox', async () => (await ticketSubjects()).includes('Read over XOAUTH2'), 30_000);
  }, 60_000);

  it('refuses a wrong state, a replayed callback and a replayed code, storing nothing', async () => {
    const requestsBefore = idp.tokenRequests.length;
    const cookie = `mailroom_session=${admin.token}`;

    const wrong = await followCallback(new URL(`${publicUrl}/oauth/callback?code=anything&state=not-a-state-we-issued`), cookie);
    expect(wrong.status).toBe(303);
    expect(wrong.location.searchParams.get('oauth')).toBe('error');
    expect(wrong.location.searchParams.get('reason')).toMatch(/unknown state/);
    expect(wrong.location.searchParams.has('server')).toBe(false);

    const replayed = await followCallback(firstCallback, cookie);
    expect(Object.fromEntries(replayed.location.searchParams)).toMatchObject({ oauth: 'error', server: ids.a, reason: expect.stringMatching(/already used/) });
    expect(idp.tokenRequests.length).toBe(requestsBefore); // neither reached the token endpoint

    // The code of the first sign-in, presented with a fresh state of another mailbox: the IdP refuses it (PKCE).
    ids.b = await createMailbox(userB);
    const started = ok((await admin.execute(START_SIGN_IN, { id: ids.b })).startOAuthSignIn, 'StartOAuthSignInSuccess');
    const freshState = new URL(started.authorizationUrl).searchParams.get('state')!;
    const forged = new URL(firstCallback);
    forged.searchParams.set('state', freshState);
    const replayedCode = await followCallback(forged, cookie);
    expect(Object.fromEntries(replayedCode.location.searchParams)).toMatchObject({ oauth: 'error', server: ids.b, reason: expect.stringMatching(/refused the authorization code/) });
    expect(idp.tokenRequests.length).toBe(requestsBefore + 1);
    expect(idp.tokenRequests.at(-1)!.status).toBe(400);
    expect((await server(ids.b)).oauthSignedIn).toBe(false);

    // A callback without the admin's session is refused and does not use up the state.
    const other = await signInMailbox(admin, idp, ids.b, { cookie: null });
    expect(other.location.searchParams.get('reason')).toMatch(/signed in to Mailroom as the administrator who started it/);
    expect((await server(ids.b)).oauthSignedIn).toBe(false);
    const completed = await followCallback(other.callback, cookie);
    expect(completed.location.searchParams.get('oauth')).toBe('ok');
    await waitForState(ids.b, 'connected');
  }, 60_000);

  it('refreshes an expiring token once for concurrent callers and keeps the rotated refresh token across a restart', async () => {
    idp.accessTokenTtlSeconds = SHORT_TTL_S;
    const since = Date.now();
    const signedIn = await signInMailbox(admin, idp, ids.a);
    expect(signedIn.location.searchParams.get('oauth')).toBe('ok');
    await waitForLogin(userA, since);
    await untilStale(userA);

    const refreshesBefore = idp.requestsOf('refresh_token').length;
    const results = await Promise.all(Array.from({ length: 5 }, () => testConnection(admin, ids.a)));
    for (const r of results) expect(r).toMatchObject({ ok: true, failedStage: null });
    const refreshes = idp.requestsOf('refresh_token').slice(refreshesBefore);
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]).toMatchObject({ status: 200, user: userA });

    // Let the refreshed token go stale too, so the restarted process must refresh with what it stored:
    // the IdP accepts each refresh token once, so only the rotated one works.
    await untilStale(userA);
    await app.kill();
    await dovecot.deliver(userA, mail({ from: 'bob@customer.example', to: userA, subject: 'After the restart', body: 'still there?' }));
    await startApp();
    await waitFor('ticket after restart', async () => (await ticketSubjects()).includes('After the restart'), 30_000);
    const afterRestart = idp.requestsOf('refresh_token').slice(refreshesBefore + 1);
    expect(afterRestart.length).toBeGreaterThanOrEqual(1);
    expect(afterRestart.every((r) => r.status === 200)).toBe(true);
    expect(afterRestart[0]!.body.refresh_token).not.toBe(refreshes[0]!.body.refresh_token);
    idp.accessTokenTtlSeconds = 3600;
  }, 120_000);

  it('puts a revoked mailbox in authenticationError naming the cause, without a retry storm, while another mailbox keeps working', async () => {
    idp.accessTokenTtlSeconds = SHORT_TTL_S;
    const since = Date.now();
    await signInMailbox(admin, idp, ids.a);
    await waitForLogin(userA, since);
    idp.accessTokenTtlSeconds = 3600;
    idp.revoke(userA);
    await untilStale(userA);

    // The mail server drops the session; reconnecting needs a new token, and the refresh is refused.
    const beforeKick = idp.tokenRequests.length;
    await run('doveadm', ['-c', dovecot.configPath, 'kick', userA]);
    const failed = await waitForState(ids.a, 'authenticationError', 40_000);
    expect(failed.health.lastError).toEqual({
      kind: 'OAUTH_TOKEN',
      message: 'The refresh token was revoked or expired (AADSTS50173): sign in again from the server settings',
    });
    expect(idp.tokenRequests.slice(beforeKick).map((r) => [r.grantType, r.status, r.user])).toEqual([['refresh_token', 400, userA]]);

    const requests = idp.tokenRequests.length;
    await sleep(4000);
    const test = await testConnection(admin, ids.a);
    expect(test).toMatchObject({ ok: false, failedStage: 'AUTH', message: failed.health.lastError!.message });
    expect(idp.tokenRequests.length).toBe(requests); // nothing more asked of the IdP
    expect((await server(ids.a)).health.connectionState).toBe('authenticationError');

    await dovecot.deliver(userB, mail({ from: 'carol@customer.example', to: userB, subject: 'Other mailbox unaffected', body: 'hi' }));
    await waitFor('ticket from the other OAuth mailbox', async () => (await ticketSubjects()).includes('Other mailbox unaffected'), 30_000);
    await waitFor('the mailbox reports itself current', async () => (await server(ids.b)).health.connectionState === 'connected', 10_000);

    // Signing in again is the way out.
    await signInMailbox(admin, idp, ids.a);
    await waitForState(ids.a, 'connected');
  }, 60_000);

  it('sends the token calls through the mailbox proxy: the code exchange via tinyproxy, a refresh via Dante', async () => {
    const [tinyproxy, dante] = await Promise.all([startTinyproxy(), startDante()]);
    try {
      const createProxy = async (name: string, type: 'HTTP' | 'SOCKS5', port: number) => (await seed.proxyServer({ name, type, host: '127.0.0.1', port })).id;
      const httpProxy = await createProxy('Tinyproxy', 'HTTP', tinyproxy.port);
      const socksProxy = await createProxy('Dante', 'SOCKS5', dante.port);
      const idpPort = new URL(idp.issuer).port;
      const userC = `oauth-c-${randomUUID().slice(0, 8)}@example.test`;
      await dovecot.addUser(userC, randomUUID());
      ids.c = (await seed.incomingServer({ ...input(userC), proxyServerId: httpProxy })).id;

      idp.accessTokenTtlSeconds = SHORT_TTL_S;
      const signedIn = await signInMailbox(admin, idp, ids.c);
      expect(signedIn.location.searchParams.get('oauth')).toBe('ok');
      expect(await tinyproxy.log()).toContain(`CONNECT localhost:${idpPort} `);
      await waitForState(ids.c, 'connected');

      await seed.updateIncomingServer(ids.c, { ...input(userC), oauth: { ...input(userC).oauth, clientSecret: undefined }, proxyServerId: socksProxy });
      await untilStale(userC);
      const refreshes = idp.requestsOf('refresh_token').length;
      expect(await testConnection(admin, ids.c)).toMatchObject({ ok: true });
      expect(idp.requestsOf('refresh_token').slice(refreshes)).toMatchObject([{ status: 200, user: userC }]);
      await waitFor('the refresh tunnelled through Dante', async () => (await dante.log()).includes(`127.0.0.1.${idpPort}`), 5000);
    } finally {
      idp.accessTokenTtlSeconds = 3600;
      await Promise.all([tinyproxy.stop(), dante.stop()]);
    }
  }, 60_000);
});
