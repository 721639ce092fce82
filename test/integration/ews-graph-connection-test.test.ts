// Test Connection (SPEC §5) for EWS and Microsoft Graph against the in-test endpoints: each
// stage's failure, within the budget, never echoing a secret or the server's own text.
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, expectFailedAt } from '../testkit/connection-test.ts';
import {
  CONNECTION_STAGES, testConnection, type ConnectionTestResult, type EwsTestTarget, type GraphTestTarget,
} from '../../server/src/mail/connection-test/connection-test.ts';
import { startTestApp, type TestApp } from '../testkit/app.ts';
import { FakeEwsServer } from '../testkit/fakes/ews-server.ts';
import { FakeGraphServer } from '../testkit/fakes/graph-server.ts';
import { generateSelfSignedCert } from '../testkit/services/tls.ts';

const allowLoopback = { allowLoopback: true };
const mailbox = 'support@contoso.example';
const password = `pw-${randomUUID()}`;

function jwtShaped(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ sub: randomUUID() })}.${Buffer.from(randomUUID()).toString('base64url')}`;
}

function expectSafeAndTimed(result: ConnectionTestResult, secrets: string[]) {
  expect(result.stages.map((s) => s.stage)).toEqual(CONNECTION_STAGES);
  for (const stage of result.stages) expect(stage.durationMs).toBeGreaterThanOrEqual(0);
  const text = JSON.stringify(result);
  for (const secret of secrets) expect(text).not.toContain(secret);
  // Nothing Exchange or Graph said in prose reaches the result.
  expect(text).not.toMatch(/Access token validation failure|The SMTP address has no mailbox|inactive, soft-deleted/);
}

describe('Test Connection: EWS', () => {
  let fake: FakeEwsServer;
  let httpsFake: FakeEwsServer;
  let disabled: FakeEwsServer;
  const token = jwtShaped();

  beforeAll(async () => {
    fake = await FakeEwsServer.start({ basic: { username: 'CONTOSO\\support', password }, bearerTokens: [token], mailbox });
    disabled = await FakeEwsServer.start({ basic: { username: 'CONTOSO\\support', password }, mailbox, ewsEnabled: false });
    const dir = mkdtempSync(path.join(tmpdir(), 'ews-tls-'));
    const { certPath, keyPath } = await generateSelfSignedCert(dir);
    httpsFake = await FakeEwsServer.start({ basic: { username: 'CONTOSO\\support', password }, mailbox, tls: { cert: readFileSync(certPath), key: readFileSync(keyPath) } });
  });
  afterAll(async () => {
    for (const f of [fake, disabled, httpsFake]) await f?.close();
  });

  const target = (over: Partial<EwsTestTarget> = {}): EwsTestTarget => ({
    protocol: 'EWS', url: fake.url, mailbox, allowSelfSignedCertificate: false, username: 'CONTOSO\\support', password, ...over,
  });

  it('Basic over plain http: every stage ok (TLS skipped), PROTOCOL reads the Inbox', async () => {
    fake.deliver('Subject: x\r\n\r\ny\r\n');
    const result = await testConnection(target(), allowLoopback);
    expectSafeAndTimed(result, [password]);
    expect(result).toMatchObject({ ok: true, failedStage: null, causes: [] });
    expect(result.stages.map((s) => [s.stage, s.ok, s.skipped])).toEqual([
      ['DNS', true, false], ['TCP', true, false], ['TLS', true, true], ['AUTH', true, false], ['PROTOCOL', true, false],
    ]);
    expect(result.stages[4]!.message).toBe('Inbox: 1 item, 1 unread');
    expect(fake.operations().slice(-2).map((r) => r.operation)).toEqual(['GetFolder', 'GetFolder']);
  });

  it('HTTPS with a self-signed certificate: TLS fails unless allowed, then everything passes', async () => {
    const refused = await testConnection(target({ url: httpsFake.url }), allowLoopback);
    expectSafeAndTimed(refused, [password]);
    expectFailedAt(refused, 'TLS');
    expect(refused.message).toBe("The server's certificate is self-signed and not trusted");
    const allowed = await testConnection(target({ url: httpsFake.url, allowSelfSignedCertificate: true }), allowLoopback);
    expect(allowed.ok, JSON.stringify(allowed)).toBe(true);
    expect(allowed.stages[2]!.message).toMatch(/^TLSv1\.[23], certificate not verified/);
  });

  it('wrong password → AUTH, password causes first', async () => {
    const result = await testConnection(target({ password: 'not-the-password' }), allowLoopback);
    expectSafeAndTimed(result, [password, 'not-the-password']);
    expectFailedAt(result, 'AUTH');
    expect(result.message).toBe('The server rejected the username or password');
    expect(result.causes[0]).toBe('Wrong username or password');
  });

  it('rejected OAuth token → AUTH with OAuth causes, token never echoed', async () => {
    const other = jwtShaped();
    const result = await testConnection(target({ password: null, accessToken: other }), allowLoopback);
    expectSafeAndTimed(result, [other]);
    expectFailedAt(result, 'AUTH');
    expect(result.message).toBe('The server rejected the OAuth access token');
    expect(result.causes[0]).toMatch(/^OAuth token issue/);
    const ok = await testConnection(target({ password: null, accessToken: token }), allowLoopback);
    expect(ok.ok).toBe(true);
  });

  it('closed port → TCP', async () => {
    const port = await closedPort();
    const result = await testConnection(target({ url: `http://127.0.0.1:${port}/EWS/Exchange.asmx` }), allowLoopback);
    expectSafeAndTimed(result, [password]);
    expectFailedAt(result, 'TCP');
    expect(result.causes[0]).toBe(`Nothing listens on port ${port} at 127.0.0.1 — wrong port, or the service is stopped`);
    expect(result.causes[1]).toMatch(/EWS normally uses HTTPS \(SSL\) on port 443/);
  });

  it('EWS switched off for the account (403) → PROTOCOL, "not enabled on the account"', async () => {
    const result = await testConnection(target({ url: disabled.url }), allowLoopback);
    expectSafeAndTimed(result, [password]);
    expectFailedAt(result, 'PROTOCOL');
    expect(result.stages[3]!.message).toBe('Signed in; Exchange refused EWS access');
    expect(result.message).toBe('Exchange accepted the sign-in but refused EWS access: EWS is not enabled for this mailbox');
    expect(result.causes[0]).toMatch(/^EWS is not enabled on the email account/);
  });

  it('GetFolder for the Inbox fails → PROTOCOL', async () => {
    const wrong = await testConnection(target({ mailbox: 'someone-else@contoso.example' }), allowLoopback);
    expectSafeAndTimed(wrong, [password]);
    expectFailedAt(wrong, 'PROTOCOL');
    expect(wrong.message).toBe('Exchange has no mailbox someone-else@contoso.example');

    fake.failNext('GetFolder', { kind: 'responseError', code: 'ErrorAccessDenied' });
    fake.failNext('GetFolder', { kind: 'responseError', code: 'ErrorAccessDenied' });
    const denied = await testConnection(target(), allowLoopback);
    expectFailedAt(denied, 'PROTOCOL');
    expect(denied.message).toBe(`The account signed in, but may not open the mailbox ${mailbox}`);

    fake.failNext('GetFolder', { kind: 'ServerBusy', backOffMs: 60_000 });
    const busy = await testConnection(target(), allowLoopback);
    expectFailedAt(busy, 'AUTH');
    expect(busy.message).toBe('The server is rate-limiting this account; try again later');
  });

  it('not EWS at that URL (404) → AUTH names the URL, not the password', async () => {
    const result = await testConnection(target({ url: fake.url.replace('/EWS/Exchange.asmx', '/owa/') }), allowLoopback);
    expectFailedAt(result, 'AUTH');
    expect(result.message).toBe('No EWS service answers at this address');
    expect(result.causes[0]).toMatch(/^Wrong EWS URL/);
  });

  it('a server that accepts the connection and never answers: bounded by the budget', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const started = Date.now();
    const result = await testConnection(target({ url: `http://127.0.0.1:${port}/EWS/Exchange.asmx` }), { allowLoopback: true, timeoutMs: 1500 });
    expect(Date.now() - started).toBeLessThan(3000);
    expectFailedAt(result, 'AUTH');
    expect(result.message).toBe('127.0.0.1 port ' + port + ': no answer within 1.5 s');
    silent.close();
  });

  it('Exchange Online: a failure also says that EWS ends there and to use Graph', async () => {
    const result = await testConnection(target({ url: 'https://outlook.office365.com/EWS/Exchange.asmx' }), { allowLoopback: false, timeoutMs: 3000 });
    expect(result.ok).toBe(false);
    expect(result.causes.at(-1)).toBe('Exchange Online blocks EWS from 1 October 2026 and shuts it down on 1 April 2027: connect this mailbox with Microsoft Graph instead');
  });
});

describe('Test Connection: Microsoft Graph', () => {
  let fake: FakeGraphServer;
  const token = jwtShaped();
  const forbidden = 'ceo@contoso.example';
  const onPrem = 'onprem@contoso.example';

  beforeAll(async () => {
    fake = await FakeGraphServer.start({ tokens: [token], mailboxes: [mailbox, forbidden, onPrem], forbidden: [forbidden], restDisabled: [onPrem] });
  });
  afterAll(async () => {
    await fake?.close();
  });

  const target = (over: Partial<GraphTestTarget> = {}): GraphTestTarget => ({
    protocol: 'GRAPH', baseUrl: fake.baseUrl, mailbox, allowSelfSignedCertificate: false, accessToken: token, ...over,
  });

  it('valid token: every stage ok; requests ask for immutable ids', async () => {
    const result = await testConnection(target(), allowLoopback);
    expectSafeAndTimed(result, [token]);
    expect(result.ok).toBe(true);
    expect(fake.requests.slice(-2).map((r) => r.path)).toEqual([
      `/v1.0/users/${mailbox}/mailFolders?$top=1&$select=id`, `/v1.0/users/${mailbox}/mailFolders('Inbox')?$select=id,totalItemCount,unreadItemCount`,
    ]);
    expect(fake.requests.slice(-2).every((r) => r.prefer === 'IdType="ImmutableId"')).toBe(true);
  });

  it('rejected token → AUTH with OAuth causes', async () => {
    const other = jwtShaped();
    const result = await testConnection(target({ accessToken: other }), allowLoopback);
    expectSafeAndTimed(result, [other]);
    expectFailedAt(result, 'AUTH');
    expect(result.message).toBe('The server rejected the OAuth access token');
    expect(result.causes[0]).toMatch(/^OAuth token issue/);
  });

  it('no token saved → AUTH', async () => {
    const result = await testConnection(target({ accessToken: null }), allowLoopback);
    expectFailedAt(result, 'AUTH');
    expect(result.message).toBe('No password or access token is saved for this server');
  });

  it('token without access to the mailbox (403) → AUTH naming the permission', async () => {
    const result = await testConnection(target({ mailbox: forbidden }), allowLoopback);
    expectSafeAndTimed(result, [token]);
    expectFailedAt(result, 'AUTH');
    expect(result.causes[0]).toMatch(/Mail\.ReadWrite/);
  });

  it('mailbox Graph cannot read (on-premises) → PROTOCOL, "not enabled for this account"; unknown mailbox → PROTOCOL', async () => {
    const result = await testConnection(target({ mailbox: onPrem }), allowLoopback);
    expectSafeAndTimed(result, [token]);
    expectFailedAt(result, 'PROTOCOL');
    expect(result.causes[0]).toMatch(/^Microsoft Graph is not enabled for this account/);
    const unknown = await testConnection(target({ mailbox: 'nobody@contoso.example' }), allowLoopback);
    expectFailedAt(unknown, 'PROTOCOL');
    expect(unknown.message).toBe('Microsoft Graph has no mailbox nobody@contoso.example');
  });

  it('closed port → TCP', async () => {
    const port = await closedPort();
    const result = await testConnection(target({ baseUrl: `http://127.0.0.1:${port}/v1.0` }), allowLoopback);
    expectFailedAt(result, 'TCP');
  });
});

describe('Test Connection over GraphQL for EWS and Graph servers', () => {
  let t: TestApp;
  let ews: FakeEwsServer;
  let graph: FakeGraphServer;
  const token = jwtShaped();

  beforeAll(async () => {
    ews = await FakeEwsServer.start({ basic: { username: mailbox, password }, mailbox });
    graph = await FakeGraphServer.start({ tokens: [token], mailboxes: [mailbox] });
    t = await startTestApp({ pollers: false });
  });
  afterAll(async () => {
    await t?.stop();
    await ews?.close();
    await graph?.close();
  });

  it('EWS with a wrong password → AUTH; Graph with the stored token → ok', async () => {
    const ewsId = (await t.seed.incomingServer({
      name: 'EWS', email: mailbox, protocol: 'EWS', host: '127.0.0.1', port: ews.port, security: 'NONE', authType: 'BASIC', password: 'wrong',
    })).id;
    const ewsResult = await t.testConnection(ewsId);
    expect(ewsResult).toMatchObject({ ok: false, failedStage: 'AUTH', message: 'The server rejected the username or password' });

    const graphId = (await t.seed.incomingServer({
      name: 'Graph', email: mailbox, protocol: 'GRAPH', host: '127.0.0.1', port: graph.port, security: 'NONE', authType: 'OAUTH',
      oauth: { clientId: 'c', clientSecret: 's', authorizationUrl: 'https://login.example/a', tokenUrl: 'https://login.example/t', scope: 'Mail.ReadWrite', redirectUrl: 'https://mailroom.example/cb' },
    })).id;
    await t.app.services.servers.storeOAuthSecrets(graphId, { clientSecret: 's', accessToken: token, expiresAt: Date.now() + 3600_000 });
    const graphResult = await t.testConnection(graphId);
    expect(graphResult, JSON.stringify(graphResult)).toMatchObject({ ok: true, failedStage: null });
    expect(graphResult.stages.map((s) => s.ok)).toEqual([true, true, true, true, true]);
  });
});
