// "Sign in with Microsoft" through @azure/msal-node against oauth2-mock-server over HTTPS, set up
// as the installation's Microsoft authority (MAILROOM_MICROSOFT_AUTHORITY). Microsoft mailboxes
// always connect to outlook.office365.com, which tests cannot reach, so token use is driven
// through Test Connection (it asks the token service first) and the connector of a mailbox whose
// refresh is refused before any connection is attempted.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incomingServers } from '../../server/src/db/schema.ts';
import { GraphQLClient, graphql, ok, removeDir, spawnServer, startTestApp, type ServerProcess, type TestApp } from '../testkit/app.ts';
import type { IncomingEmailServerInput } from '../testkit/gql/graphql.ts';
import { seeder, testConnection } from '../testkit/seed.ts';
import { testDatabaseUrl } from '../testkit/env.ts';
import { signInMailbox, START_SIGN_IN, startOAuthIdp, type OAuthIdp } from '../testkit/services/oauth-idp.ts';
import { freePorts, sleep, waitFor } from '../testkit/services/util.ts';

const SERVER = graphql(`query MsalServer($id: ID!) { incomingEmailServer(id: $id) { oauthSignedIn health { connectionState lastError { kind message } } } }`);
const CLIENT_ID = 'mailroom-ms-app';
const SHORT_TTL_S = 35;

describe('Sign in with Microsoft (msal-node) against an HTTPS identity provider', () => {
  let idp: OAuthIdp;
  let app: ServerProcess;
  let admin: GraphQLClient;
  let dataDir: string;
  let publicUrl: string;
  let serverId: string;
  const mailbox = `helpdesk-${randomUUID().slice(0, 8)}@contoso.example`;

  async function createMicrosoftServer(email: string): Promise<string> {
    const server = await seeder(admin).incomingServer({ name: 'Microsoft 365', email, protocol: 'IMAP', provider: 'MICROSOFT', enabled: false });
    expect(server).toMatchObject({ host: 'outlook.office365.com', port: 993, security: 'SSL', authType: 'OAUTH' });
    return server.id;
  }

  async function untilStale(user: string) {
    const last = idp.tokenRequests.filter((r) => r.user === user && r.status === 200).at(-1)!;
    await sleep(Math.max(0, last.at + (SHORT_TTL_S - 30) * 1000 + 500 - Date.now()));
  }

  beforeAll(async () => {
    idp = await startOAuthIdp();
    const [port] = (await freePorts(1)) as [number];
    publicUrl = `http://127.0.0.1:${port}`;
    dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-msal-'));
    app = await spawnServer({
      dataDir,
      databaseUrl: await testDatabaseUrl(),
      env: {
        PORT: String(port), PUBLIC_URL: publicUrl, NODE_EXTRA_CA_CERTS: idp.caPath,
        MAILROOM_MICROSOFT_CLIENT_ID: CLIENT_ID, MAILROOM_MICROSOFT_CLIENT_SECRET: 'ms-client-secret', MAILROOM_MICROSOFT_AUTHORITY: idp.issuer,
      },
    });
    admin = new GraphQLClient(app.url);
    await admin.signIn();
    serverId = await createMicrosoftServer(mailbox);
  });

  afterAll(async () => {
    await app?.kill();
    await idp?.dispose();
    if (dataDir) removeDir(dataDir);
  }, 60_000);

  it('signs in with authorization code + PKCE: name, address and protocol are all the admin gives', async () => {
    const started = ok((await admin.execute(START_SIGN_IN, { id: serverId })).startOAuthSignIn, 'StartOAuthSignInSuccess');
    expect(new Date(started.expiresAt).getTime() - Date.now()).toBeGreaterThan(9 * 60_000);
    const url = new URL(started.authorizationUrl);
    expect(url.origin + url.pathname).toBe(`${idp.issuer}/authorize`);
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      client_id: CLIENT_ID, response_type: 'code', response_mode: 'query', code_challenge_method: 'S256', login_hint: mailbox,
      redirect_uri: `${publicUrl}/oauth/callback`, client_info: '1',
    });
    expect(q.scope!.split(' ')).toEqual(expect.arrayContaining(['https://outlook.office365.com/IMAP.AccessAsUser.All', 'offline_access', 'openid']));
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const outcome = await signInMailbox(admin, idp, serverId);
    expect(Object.fromEntries(outcome.location.searchParams)).toEqual({ oauth: 'ok', server: serverId });
    const [exchange] = idp.requestsOf('authorization_code');
    expect(exchange).toMatchObject({ status: 200, user: mailbox, body: { client_id: CLIENT_ID, client_secret: 'ms-client-secret', client_info: '1', redirect_uri: `${publicUrl}/oauth/callback` } });
    expect(exchange!.body.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await admin.execute(SERVER, { id: serverId })).incomingEmailServer!.oauthSignedIn).toBe(true);
  }, 60_000);

  it('refreshes through msal once for concurrent callers and persists the rotated refresh token', async () => {
    idp.accessTokenTtlSeconds = SHORT_TTL_S;
    await signInMailbox(admin, idp, serverId);
    await untilStale(mailbox);
    const before = idp.requestsOf('refresh_token').length;
    await Promise.all(Array.from({ length: 4 }, () => testConnection(admin, serverId)));
    const [first, ...more] = idp.requestsOf('refresh_token').slice(before);
    expect(more).toHaveLength(0);
    expect(first).toMatchObject({ status: 200, user: mailbox, body: { client_id: CLIENT_ID, client_secret: 'ms-client-secret', client_info: '1' } });
    expect(first!.body.scope!.split(' ')).toContain('https://outlook.office365.com/IMAP.AccessAsUser.All');

    // The IdP accepts each refresh token once: a second refresh succeeds only with the rotated one.
    await untilStale(mailbox);
    await testConnection(admin, serverId);
    const second = idp.requestsOf('refresh_token').slice(before + 1);
    expect(second).toHaveLength(1);
    expect(second[0]!.status).toBe(200);
    expect(second[0]!.body.refresh_token).not.toBe(first!.body.refresh_token);
  }, 60_000);

  it('names an expired client secret (AADSTS7000222) and does not ask the IdP again', async () => {
    await untilStale(mailbox);
    idp.failNextTokenRequest(401, {
      error: 'invalid_client',
      error_description: "AADSTS7000222: The provided client secret keys for app 'mailroom-ms-app' are expired. Visit the Azure portal to create new keys for your app. Trace ID: 1",
      error_codes: [7000222],
    });
    const expected = 'The client secret of the app registration has expired (AADSTS7000222): create a new client secret for the app registration in Azure (App registrations → Certificates & secrets) and set MAILROOM_MICROSOFT_CLIENT_SECRET';
    const before = idp.tokenRequests.length;
    const test = await testConnection(admin, serverId);
    expect(test).toMatchObject({ ok: false, failedStage: 'AUTH', message: expected });
    expect(test.message).not.toContain('Trace ID');
    expect(idp.tokenRequests.length).toBe(before + 1);

    // The connector meets the same remembered failure: authenticationError, and still no new request.
    await seeder(admin).updateIncomingServer(serverId, { name: 'Microsoft 365', email: mailbox, protocol: 'IMAP', provider: 'MICROSOFT', enabled: true });
    await waitFor('authenticationError', async () => (await admin.execute(SERVER, { id: serverId })).incomingEmailServer!.health.connectionState === 'authenticationError', 15_000);
    expect((await admin.execute(SERVER, { id: serverId })).incomingEmailServer!.health.lastError).toEqual({ kind: 'OAUTH_TOKEN', message: expected });
    await testConnection(admin, serverId);
    await sleep(2000);
    expect(idp.tokenRequests.length).toBe(before + 1);
  }, 60_000);

  it('shows consent errors with the admin-consent link and stores nothing', async () => {
    const other = await createMicrosoftServer(`shared-${randomUUID().slice(0, 8)}@contoso.example`);
    const tokenRequests = idp.tokenRequests.length;
    const consentUrl = `${idp.issuer}/organizations/adminconsent?client_id=${CLIENT_ID}`;

    idp.failNextAuthorization({ error: 'consent_required', error_description: 'AADSTS65001: The user or administrator has not consented to use the application with ID mailroom-ms-app.' });
    const userConsent = await signInMailbox(admin, idp, other);
    expect(Object.fromEntries(userConsent.location.searchParams)).toEqual({
      oauth: 'error', server: other, adminConsentUrl: consentUrl,
      reason: 'Mailroom has not been granted consent to read this mailbox (AADSTS65001). Sign in again and accept the requested permissions; if your organisation does not let users consent, an administrator must grant consent',
    });

    idp.failNextAuthorization({ error: 'access_denied', error_description: 'AADSTS90094: The grant requires admin permission.' });
    const adminConsent = await signInMailbox(admin, idp, other);
    expect(adminConsent.location.searchParams.get('reason')).toMatch(/^An administrator of the Microsoft 365 organisation must grant Mailroom consent .*\(AADSTS90094\)/);
    expect(adminConsent.location.searchParams.get('adminConsentUrl')).toBe(consentUrl);

    expect(idp.tokenRequests.length).toBe(tokenRequests);
    expect((await admin.execute(SERVER, { id: other })).incomingEmailServer!.oauthSignedIn).toBe(false);
  });
});

describe('startOAuthSignIn without PUBLIC_URL, and its refusals', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ pollers: false, env: { MAILROOM_GOOGLE_CLIENT_ID: 'google-app', MAILROOM_GOOGLE_CLIENT_SECRET: 'google-secret' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const create = async (input: IncomingEmailServerInput) => (await t.seed.incomingServer(input)).id;

  it('explains what is missing instead of starting a sign-in that cannot work', async () => {
    const start = async (id: string) => (await t.admin.execute(START_SIGN_IN, { id })).startOAuthSignIn;

    // A legacy 8.0-style configuration (tenant id only, as an import leaves it) waits for its settings
    // to be completed. It is the only server at this point, so the update needs no filter.
    const legacy = await create({
      name: 'Legacy', email: 'old@example.com', protocol: 'IMAP', host: 'imap.example.com', authType: 'OAUTH', enabled: false,
      oauth: { clientId: 'c', clientSecret: 's', authorizationUrl: 'https://idp.example.com/authorize', tokenUrl: 'https://idp.example.com/token', scope: 'mail', redirectUrl: 'https://mailroom.example.com/oauth/callback' },
    });
    await t.app.services.db.update(incomingServers)
      .set({ needsReconfiguration: true, oauth: { clientId: 'c', authorizationUrl: null, tokenUrl: null, scope: null, redirectUrl: null, tenantId: 'contoso' } });
    expect(await start(legacy)).toMatchObject({ __typename: 'ValidationError', message: expect.stringContaining('older Mailroom version') });

    const microsoft = await create({ name: 'M365', email: 'desk@contoso.example', protocol: 'GRAPH', provider: 'MICROSOFT' });
    expect(await start(microsoft)).toEqual({ __typename: 'ValidationError', message: expect.stringContaining('set MAILROOM_MICROSOFT_CLIENT_ID and MAILROOM_MICROSOFT_CLIENT_SECRET') });

    const basic = await create({ name: 'Basic', email: 'desk@example.com', protocol: 'IMAP', host: 'imap.example.com', password: 'pw' });
    expect(await start(basic)).toMatchObject({ __typename: 'ValidationError', message: expect.stringContaining('Basic authentication') });
    expect(await start(randomUUID())).toMatchObject({ __typename: 'NotFoundError' });

    const anonymous = await new GraphQLClient(t.url).request(START_SIGN_IN, { id: microsoft });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('sends Google sign-ins back to the origin the admin used when PUBLIC_URL is not set', async () => {
    const google = await create({ name: 'Gmail', email: 'desk@gmail-example.test', protocol: 'IMAP', provider: 'GOOGLE' });
    const started = ok((await t.admin.execute(START_SIGN_IN, { id: google })).startOAuthSignIn, 'StartOAuthSignInSuccess');
    const url = new URL(started.authorizationUrl);
    expect(url.origin + url.pathname).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'google-app', redirect_uri: `${t.url}/oauth/callback`, scope: 'https://mail.google.com/', access_type: 'offline', login_hint: 'desk@gmail-example.test',
    });
  });
});
