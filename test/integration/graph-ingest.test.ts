// Microsoft Graph mailboxes through the real app against an in-test Graph endpoint that speaks the
// documented JSON shapes (testkit/fakes/graph-server.ts): delta paging, $value, immutable ids,
// mark read / move after the commit, 429 Retry-After, at most 4 requests at a time per mailbox.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, subscribe, type TestApp } from '../testkit/app.ts';
import type { IncomingEmailServerInput } from '../testkit/gql/graphql.ts';
import { FakeGraphServer } from '../testkit/fakes/graph-server.ts';
import { mail } from '../testkit/mail.ts';
import { waitFor } from '../testkit/services/util.ts';

const TicketCreated = graphql(`
  subscription GraphTicketCreated { ticketCreated { id number subject description requester { email name } incomingEmailServer { id } } }
`);

const OAUTH_SETTINGS = {
  clientId: 'mailroom-test', clientSecret: 'client-secret', authorizationUrl: 'https://login.example/authorize',
  tokenUrl: 'https://login.example/token', scope: 'offline_access https://graph.microsoft.com/Mail.ReadWrite', redirectUrl: 'https://mailroom.example/oauth/callback',
};

function jwtShaped(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ aud: 'https://graph.microsoft.com', sub: randomUUID() })}.${Buffer.from(randomUUID()).toString('base64url')}`;
}

/** Creates a Graph server and signs it in (stores an access token, as the OAuth flow would). */
async function createGraphServer(t: TestApp, fake: FakeGraphServer, mailbox: string, token: string, extra: Partial<IncomingEmailServerInput> = {}): Promise<string> {
  const { id } = await t.seed.incomingServer({
    name: `Graph ${mailbox}`, email: mailbox, protocol: 'GRAPH', host: '127.0.0.1', port: fake.port, security: 'NONE',
    authType: 'OAUTH', oauth: OAUTH_SETTINGS, pollIntervalSeconds: 10, ...extra,
  });
  await t.app.services.servers.storeOAuthSecrets(id, { clientSecret: 'client-secret', accessToken: token, expiresAt: Date.now() + 3600_000 });
  t.app.services.servers.notifyChanged(id);
  return id;
}

const pad = (n: number) => String(n).padStart(2, '0');

describe('Microsoft Graph mailbox → tickets', () => {
  let t: TestApp;
  let fake: FakeGraphServer;
  const mailbox = 'support@contoso.example';
  const token = jwtShaped();
  let serverId: string;

  beforeAll(async () => {
    fake = await FakeGraphServer.start({ tokens: [token], mailboxes: [mailbox], pageSizeCap: 5, latencyMs: 20 });
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('first round over several delta pages: unread mail becomes tickets (read mail is left alone), marked read after the commit, ≤ 4 requests at a time', async () => {
    const unread: string[] = [];
    for (let i = 1; i <= 12; i++) {
      const isRead = i % 4 === 0; // 3 read, 9 unread
      const subject = `Request ${pad(i)}`;
      fake.deliver(mailbox, mail({ from: `user${i}@customer.example`, to: mailbox, subject, body: `body ${i}` }), { isRead });
      if (!isRead) unread.push(subject);
    }
    // When a message is marked read, its ticket must already be committed.
    const missingAtPatch: string[] = [];
    fake.beforeAnswer = async (method, path) => {
      if (method !== 'PATCH') return;
      const msg = fake.messages.get(path.split('/').pop()!)!;
      const subject = /^Subject: (.*)$/m.exec(msg.mime.toString())![1]!.trim();
      if (!(await t.ticketSubjects(serverId)).includes(subject)) missingAtPatch.push(subject);
    };
    const ws = t.admin.ws();
    const created = subscribe(ws, TicketCreated);
    await new Promise((r) => setTimeout(r, 300));
    serverId = await createGraphServer(t, fake, mailbox, token);

    const first = (await created.next(20_000)).ticketCreated;
    expect(first).toMatchObject({ requester: { email: expect.stringMatching(/^user\d+@customer\.example$/) }, incomingEmailServer: { id: serverId } });
    created.dispose();
    await ws.dispose();
    await waitFor('all unread read', async () => fake.messagesIn(mailbox, 'inbox').every((m) => m.isRead), 20_000);
    await waitFor('connected', async () => (await t.health(serverId)).connectionState === 'connected');
    expect(await t.ticketSubjects(serverId)).toEqual(unread);
    fake.beforeAnswer = null;
    expect(missingAtPatch).toEqual([]);

    const reqs = fake.requests;
    const delta = reqs.filter((r) => r.path.includes('/messages/delta'));
    // 12 messages at 5 per page: three pages, the last with the deltaLink.
    expect(delta).toHaveLength(3);
    expect(delta[0]!.path).toContain("mailFolders('Inbox')/messages/delta?changeType=created&$select=id,isRead,receivedDateTime");
    expect(delta.slice(1).every((r) => r.path.includes('$skiptoken='))).toBe(true);
    expect(reqs.filter((r) => r.path.endsWith('/$value'))).toHaveLength(9);
    expect(reqs.filter((r) => r.method === 'PATCH')).toHaveLength(9);
    expect(reqs).toHaveLength(3 + 9 + 9);
    expect(reqs.every((r) => r.authorization === `Bearer ${token}` && /IdType="ImmutableId"/.test(r.prefer ?? ''))).toBe(true);
    expect(reqs.every((r) => r.status !== 429)).toBe(true);
    expect(fake.maxInFlight.get(mailbox)).toBe(4);
  });

  it('after a restart: mail that arrived meanwhile (even if already read) is taken, nothing twice, and our own mark-read is not news', async () => {
    await t.stop();
    const id = fake.deliver(mailbox, mail({ from: 'late@customer.example', to: mailbox, subject: 'While you were out', body: 'hello' }));
    fake.markRead(id);
    const before = fake.requests.length;
    t = await startTestApp({ dataDir: t.dataDir, databaseUrl: t.databaseUrl });
    await waitFor('ticket after restart', async () => (await t.ticketSubjects(serverId)).includes('While you were out'), 20_000);
    await waitFor('connected', async () => (await t.health(serverId)).connectionState === 'connected');
    expect(await t.ticketSubjects(serverId)).toHaveLength(10);
    // One deltaLink request (only the new message: changeType=created), one $value, one PATCH.
    expect(fake.requests.slice(before).map((r) => `${r.method} ${r.path.includes('delta') ? 'delta' : r.path.split('/').pop()}`))
      .toEqual(['GET delta', 'GET $value', `PATCH ${id}`]);
  });

  it('429 with Retry-After on one download: waits as told and retries that request without failing the session', async () => {
    fake.failNext({ method: 'GET', path: /\/\$value$/ }, { status: 429, retryAfter: '2' });
    const before = fake.requests.length;
    fake.deliver(mailbox, mail({ from: 'throttle@customer.example', to: mailbox, subject: 'Throttled download', body: 'x' }));
    t.app.services.servers.notifyChanged(serverId); // sync now rather than at the next poll
    await waitFor('ticket', async () => (await t.ticketSubjects(serverId)).includes('Throttled download'), 20_000);
    const values = fake.requests.slice(before).filter((r) => r.path.endsWith('/$value'));
    expect(values.map((r) => r.status)).toEqual([429, 200]);
    expect(values[1]!.at - values[0]!.at).toBeGreaterThanOrEqual(2000);
    const h = await t.health(serverId);
    expect(h.lastError).toBeNull();
  });
});

describe('Microsoft Graph: shared mailbox, move, throttling of the delta, errors', () => {
  let t: TestApp;
  let fake: FakeGraphServer;
  const token = jwtShaped();
  const shared = 'helpdesk-shared@contoso.example';
  const noAccess = 'ceo@contoso.example';
  const onPrem = 'onprem@contoso.example';

  beforeAll(async () => {
    fake = await FakeGraphServer.start({ tokens: [token], mailboxes: [shared, noAccess, onPrem], forbidden: [noAccess], restDisabled: [onPrem] });
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('a shared mailbox by address, moving processed mail to a top-level folder; immutable ids survive the move', async () => {
    const processed = fake.addFolder(shared, { displayName: 'Processed', parentFolderId: fake.folder(shared, 'msgfolderroot').id });
    const a = fake.deliver(shared, mail({ from: 'x@customer.example', to: shared, subject: 'Shared one', body: '1' }));
    const b = fake.deliver(shared, mail({ from: 'y@customer.example', to: shared, subject: 'Shared two', body: '2' }));
    fake.failNext({ method: 'GET', path: /messages\/delta$/ }, { status: 503, retryAfter: '1' });
    const id = await createGraphServer(t, fake, shared, token, { afterProcessing: 'MOVE', moveToFolder: 'Processed' });
    await waitFor('moved', async () => fake.messagesIn(shared, 'Processed').length === 2, 20_000);
    expect(fake.messagesIn(shared, 'inbox')).toEqual([]);
    expect(fake.messagesIn(shared, 'Processed').map((m) => m.immutableId).sort()).toEqual([a, b].sort());
    expect(await t.ticketSubjects(id)).toEqual(['Shared one', 'Shared two']);
    const moves = fake.requests.filter((r) => r.method === 'POST');
    expect(moves.map((r) => r.path).sort()).toEqual([`/v1.0/users/${shared}/messages/${a}/move`, `/v1.0/users/${shared}/messages/${b}/move`].sort());
    // The folder lookup tries under the Inbox first, then the top of the mailbox.
    const lookups = fake.requests.filter((r) => r.path.includes('$filter='));
    // (A reconnect under load may repeat the lookup; the order within each is what matters.)
    expect(lookups.map((r) => r.path.split('?')[0]).slice(0, 2)).toEqual([`/v1.0/users/${shared}/mailFolders('Inbox')/childFolders`, `/v1.0/users/${shared}/mailFolders`]);
    expect(processed.id).toBeTruthy();
    await waitFor('connected', async () => (await t.health(id)).connectionState === 'connected');
    expect((await t.health(id)).lastError).toBeNull();
  });

  it('no access to the mailbox (403) → authenticationError naming the permission; no retry storm', async () => {
    const id = await createGraphServer(t, fake, noAccess, token);
    await waitFor('authenticationError', async () => (await t.health(id)).connectionState === 'authenticationError');
    expect((await t.health(id)).lastError?.kind).toBe('AUTH');
    expect((await t.health(id)).lastError?.message).toMatch(/Mail\.ReadWrite/);
    const count = fake.requests.filter((r) => r.path.includes(noAccess)).length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(fake.requests.filter((r) => r.path.includes(noAccess)).length).toBe(count);
  });

  it('a rejected token (401, and again with a fresh one) → authenticationError', async () => {
    const id = await createGraphServer(t, fake, shared, jwtShaped());
    await waitFor('authenticationError', async () => (await t.health(id)).connectionState === 'authenticationError');
    expect((await t.health(id)).lastError).toMatchObject({ kind: expect.stringMatching(/^(AUTH|OAUTH_TOKEN)$/), message: expect.stringMatching(/sign in/i) });
  });

  it('a mailbox Graph cannot read (on-premises) → connectError saying so', async () => {
    const id = await createGraphServer(t, fake, onPrem, token);
    await waitFor('connectError', async () => (await t.health(id)).connectionState === 'connectError');
    expect((await t.health(id)).lastError).toEqual({
      kind: 'PROTOCOL', message: `${onPrem} has no Exchange Online mailbox that Microsoft Graph can read (on-premises, inactive or unlicensed)`,
    });
  });
});
