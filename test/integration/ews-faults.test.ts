// EWS: OAuth bearer, move-after-commit, Exchange throttling (ErrorServerBusy), a failure between
// commit and mark-read, wrong credentials and EWS switched off — against the in-test EWS endpoint.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.ts';
import type { IncomingEmailServerInput } from '../testkit/gql/graphql.ts';
import { FakeEwsServer } from '../testkit/fakes/ews-server.ts';
import { mail } from '../testkit/mail.ts';
import { waitFor } from '../testkit/services/util.ts';

function jwtShaped(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ aud: 'https://outlook.office365.com', sub: randomUUID() })}.${Buffer.from(randomUUID()).toString('base64url')}`;
}

const OAUTH_SETTINGS = {
  clientId: 'mailroom-test', clientSecret: 'client-secret', authorizationUrl: 'https://login.example/authorize',
  tokenUrl: 'https://login.example/token', scope: 'offline_access https://outlook.office365.com/EWS.AccessAsUser.All', redirectUrl: 'https://mailroom.example/oauth/callback',
};

describe('EWS faults and options', () => {
  let t: TestApp;
  const fakes: FakeEwsServer[] = [];

  async function newFake(opts: Parameters<typeof FakeEwsServer.start>[0]) {
    const fake = await FakeEwsServer.start(opts);
    fakes.push(fake);
    return fake;
  }

  function basicInput(fake: FakeEwsServer, mailbox: string, extra: Partial<IncomingEmailServerInput> = {}): IncomingEmailServerInput {
    return {
      name: mailbox, email: mailbox, protocol: 'EWS', host: '127.0.0.1', port: fake.port, security: 'NONE',
      authType: 'BASIC', password: 'pw', pollIntervalSeconds: 10, ...extra,
    };
  }

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
    for (const f of fakes) await f.close();
  });

  it('OAuth bearer, moving processed mail to a folder under the Inbox after the commit', async () => {
    const mailbox = 'helpdesk@fabrikam.example';
    const token = jwtShaped();
    const fake = await newFake({ bearerTokens: [token], mailbox });
    const processed = fake.addFolder({ displayName: 'Processed', parentId: fake.folder('inbox').id });
    fake.deliver(mail({ from: 'erin@customer.example', to: mailbox, subject: 'Laptop broken', body: 'screen cracked' }));
    fake.deliver(mail({ from: 'frank@customer.example', to: mailbox, subject: 'Password reset', body: 'locked out' }));

    const id = (await t.seed.incomingServer({
      name: 'Fabrikam', email: mailbox, protocol: 'EWS', host: '127.0.0.1', port: fake.port, security: 'NONE',
      authType: 'OAUTH', oauth: OAUTH_SETTINGS, afterProcessing: 'MOVE', moveToFolder: 'Processed', pollIntervalSeconds: 10,
    })).id;
    // Not signed in yet: nothing reaches Exchange, and the server waits in authenticationError.
    await waitFor('not signed in', async () => (await t.health(id)).connectionState === 'authenticationError');
    expect((await t.health(id)).lastError?.kind).toBe('OAUTH_TOKEN');
    expect(fake.requests).toEqual([]);

    await t.app.services.servers.storeOAuthSecrets(id, { clientSecret: 'client-secret', accessToken: token, expiresAt: Date.now() + 3600_000 });
    t.app.services.servers.notifyChanged(id);

    await waitFor('moved', async () => fake.itemsIn('inbox').length === 0 && fake.itemsIn('Processed').length === 2, 20_000);
    expect(await t.ticketSubjects(id)).toEqual(['Laptop broken', 'Password reset']);
    expect(fake.requests.every((r) => r.authorization === `Bearer ${token}`)).toBe(true);
    // The folder is looked up by name under the Inbox; the move targets its id.
    const move = fake.operations('MoveItem')[0]!;
    expect(move.body).toContain(`Id="${processed.id}"`);
    expect(fake.operations().map((r) => r.operation)).toEqual(['FindFolder', 'SyncFolderItems', 'GetItem', 'MoveItem']);
    // The moved items show up as deletions in the next sync; nothing is created twice.
    await waitFor('connected', async () => (await t.health(id)).connectionState === 'connected');
  });

  it('a missing move folder stops the mailbox before any mail is read', async () => {
    const mailbox = 'nofolder@fabrikam.example';
    const fake = await newFake({ basic: { username: mailbox, password: 'pw' }, mailbox });
    fake.deliver(mail({ from: 'gina@customer.example', to: mailbox, subject: 'Nowhere to go', body: 'x' }));
    const id = (await t.seed.incomingServer(basicInput(fake, mailbox, { afterProcessing: 'MOVE', moveToFolder: 'Archive 2026' }))).id;
    await waitFor('connectError', async () => (await t.health(id)).connectionState === 'connectError');
    const h = await t.health(id);
    expect(h.lastError).toEqual({ kind: 'PROTOCOL', message: 'The folder "Archive 2026" to move processed mail to does not exist under the Inbox or the mailbox root' });
    expect(fake.operations('SyncFolderItems')).toEqual([]);
    expect(await t.ticketSubjects(id)).toEqual([]);
  });

  it('ErrorServerBusy: waits at least BackOffMilliseconds before trying again (SOAP fault and per-item error)', async () => {
    const mailbox = 'busy@fabrikam.example';
    const fake = await newFake({ basic: { username: mailbox, password: 'pw' }, mailbox });
    fake.deliver(mail({ from: 'hank@customer.example', to: mailbox, subject: 'Throttled one', body: 'x' }));
    fake.failNext('SyncFolderItems', { kind: 'ServerBusy', backOffMs: 3000 });
    fake.failNext('GetItem', { kind: 'responseError', code: 'ErrorServerBusy', backOffMs: 2500 });
    const id = (await t.seed.incomingServer(basicInput(fake, mailbox))).id;

    await waitFor('throttled', async () => (await t.health(id)).lastError?.kind === 'THROTTLED');
    await waitFor('ticket', async () => (await t.ticketSubjects(id)).length === 1, 20_000);
    const ops = fake.operations();
    expect(ops.map((r) => `${r.operation}:${r.status}`)).toEqual(['SyncFolderItems:500', 'SyncFolderItems:200', 'GetItem:200', 'SyncFolderItems:200', 'GetItem:200', 'UpdateItem:200']);
    // The connector's own backoff would have retried after ~2 s; Exchange asked for 3 s, then 2.5 s.
    expect(ops[1]!.at - ops[0]!.at).toBeGreaterThanOrEqual(3000);
    expect(ops[3]!.at - ops[2]!.at).toBeGreaterThanOrEqual(2500);
    await waitFor('connected', async () => (await t.health(id)).connectionState === 'connected');
  });

  it('a failure after the commit but before mark-read: the next session marks the message read, no duplicate ticket', async () => {
    const mailbox = 'flaky@fabrikam.example';
    const fake = await newFake({ basic: { username: mailbox, password: 'pw' }, mailbox });
    const itemId = fake.deliver(mail({ from: 'ivy@customer.example', to: mailbox, subject: 'Committed then cut', body: 'x' }));
    fake.failNext('UpdateItem', { kind: 'http', status: 503 });
    const id = (await t.seed.incomingServer(basicInput(fake, mailbox))).id;

    await waitFor('read after retry', async () => fake.items.get(itemId)!.isRead, 20_000);
    await waitFor('next sync', async () => fake.operations('SyncFolderItems').length === 2);
    const ops = fake.operations().map((r) => `${r.operation}:${r.status}`);
    // Second session: the pending mark-read comes first, then a sync that finds nothing new.
    expect(ops).toEqual(['SyncFolderItems:200', 'GetItem:200', 'UpdateItem:503', 'GetItem:200', 'UpdateItem:200', 'SyncFolderItems:200']);
    expect(await t.ticketSubjects(id)).toEqual(['Committed then cut']);
  });

  it('wrong password → authenticationError without echoing anything secret', async () => {
    const mailbox = 'wrongpw@fabrikam.example';
    const fake = await newFake({ basic: { username: mailbox, password: 'right' }, mailbox });
    const id = (await t.seed.incomingServer(basicInput(fake, mailbox, { password: 'wrong-password-123' }))).id;
    await waitFor('authenticationError', async () => (await t.health(id)).connectionState === 'authenticationError');
    const h = await t.health(id);
    expect(h).toMatchObject({ status: 'UNREACHABLE', lastError: { kind: 'AUTH', message: 'Exchange refused the username or password' } });
    // Not retried: a wrong password stays wrong until an admin changes it.
    await new Promise((r) => setTimeout(r, 2500));
    expect(fake.requests).toHaveLength(1);
  });

  it('EWS switched off for the mailbox (HTTP 403) → connectError naming EWS', async () => {
    const mailbox = 'noews@fabrikam.example';
    const fake = await newFake({ basic: { username: mailbox, password: 'pw' }, mailbox, ewsEnabled: false });
    const id = (await t.seed.incomingServer(basicInput(fake, mailbox))).id;
    await waitFor('connectError', async () => (await t.health(id)).connectionState === 'connectError');
    expect((await t.health(id)).lastError).toEqual({ kind: 'PROTOCOL', message: 'Exchange refused EWS access for this account: EWS is probably not enabled for the mailbox' });
  });
});
