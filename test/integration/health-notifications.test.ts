// Live health and notifications against a real (private) Dovecot that is stopped and started:
// who is told, how often, and over which subscription.
import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, startTestApp, subscribe, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { startDovecot, type Dovecot } from '../testkit/services/dovecot.ts';
import { sleep, waitFor } from '../testkit/services/util.ts';

const CREATE = `mutation($input: IncomingEmailServerInput!) { createIncomingEmailServer(input: $input) {
  __typename ... on IncomingEmailServerSuccess { server { id } } ... on ValidationError { message fieldErrors { path message } } } }`;
const NOTIFICATION = 'id at updatedAt kind title body read count server { id name }';
const HEALTH = 'status connectionState lastSyncAt inboundQueueCount lagSeconds downSince outageCount consecutiveAuthFailures lastError { kind message hint }';

interface Note { id: string; kind: string; title: string; body: string; read: boolean; count: number; server: { id: string } | null }

// Small windows so the test does not wait minutes: stable for 1.5 s = recovered; a failure within 3 s of that = same outage.
const ENV = { MAILROOM_HEALTH_RECOVERY_STABLE_MS: '1500', MAILROOM_HEALTH_FLAP_WINDOW_MS: '3000', MAILROOM_CREDENTIAL_CHECK_INTERVAL_MS: '300' };

async function createServer(client: GraphQLClient, input: Record<string, unknown>): Promise<string> {
  const res = await client.execute(CREATE, { input });
  if (res.createIncomingEmailServer.__typename !== 'IncomingEmailServerSuccess') throw new Error(JSON.stringify(res.createIncomingEmailServer));
  return res.createIncomingEmailServer.server.id;
}

async function notificationsFor(client: GraphQLClient, serverId: string, unreadOnly = false): Promise<Note[]> {
  const res = await client.execute(`query($u: Boolean) { notifications(unreadOnly: $u) { ${NOTIFICATION} } }`, { u: unreadOnly });
  return res.notifications.filter((n: Note) => n.server?.id === serverId);
}

/** Waits for the next event matching `match`, skipping others (other servers, other kinds). */
async function nextMatching<T>(sub: { next(ms?: number): Promise<T> }, match: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await sub.next(Math.max(1, deadline - Date.now()));
    if (match(v)) return v;
  }
}

describe('server health notifications', () => {
  let t: TestApp;
  let manager: GraphQLClient;
  let tech: GraphQLClient;
  const sockets: Client[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: ENV });
    const role = await t.admin.execute('mutation { createRole(name: "Channel managers", permissions: [MANAGE_SUPPORT_CHANNELS]) { ... on RoleSuccess { role { id } } } }');
    await t.admin.execute(`mutation($r: ID) { m: createUser(email: "manager@mailroom.test", name: "Mona Manager", password: "manager-password", roleId: $r) { __typename }
      t: createUser(email: "tech@mailroom.test", name: "Tess Tech", password: "tech-password") { __typename } }`, { r: role.createRole.role.id });
    manager = new GraphQLClient(t.url);
    await manager.signIn('manager@mailroom.test', 'manager-password');
    tech = new GraphQLClient(t.url);
    await tech.signIn('tech@mailroom.test', 'tech-password');
  });

  afterAll(async () => {
    for (const s of sockets) await s.dispose();
    await t?.stop();
  });

  function ws(client: GraphQLClient): Client {
    const c = client.ws();
    sockets.push(c);
    return c;
  }

  describe('a mailbox whose server goes away and comes back', () => {
    let dovecot: Dovecot;
    beforeAll(async () => {
      dovecot = await startDovecot();
    });
    afterAll(async () => {
      await dovecot?.dispose();
    });

    it('notifies admins and channel managers once when it turns unreachable, once when it recovers, and never a technician', async () => {
      const user = `health-${randomUUID().slice(0, 8)}@example.test`;
      await dovecot.addUser(user, 'mailbox-password');
      const adminNotes = subscribe<{ notificationAdded: Note }>(ws(t.admin), `subscription { notificationAdded { ${NOTIFICATION} } }`);
      const managerNotes = subscribe<{ notificationAdded: Note }>(ws(manager), `subscription { notificationAdded { ${NOTIFICATION} } }`);
      const techNotes = subscribe<{ notificationAdded: Note }>(ws(tech), `subscription { notificationAdded { ${NOTIFICATION} } }`);
      const updates = subscribe<{ incomingEmailServerUpdated: { id: string; health: Record<string, unknown> } }>(
        ws(t.admin), `subscription { incomingEmailServerUpdated { id health { ${HEALTH} } } }`,
      );
      await sleep(200); // let the subscriptions register

      const id = await createServer(t.admin, {
        name: 'Flaky mailbox', email: user, protocol: 'IMAP', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE', password: 'mailbox-password', realTimeScanning: true,
      });
      const mine = (n: { notificationAdded: Note }) => n.notificationAdded.server?.id === id;
      await nextMatching(updates, (u) => u.incomingEmailServerUpdated.id === id && u.incomingEmailServerUpdated.health.connectionState === 'connected');

      await dovecot.stop();
      const down = await nextMatching(updates, (u) => u.incomingEmailServerUpdated.id === id && u.incomingEmailServerUpdated.health.status === 'UNREACHABLE');
      expect(down.incomingEmailServerUpdated.health).toMatchObject({ status: 'UNREACHABLE', connectionState: 'connectError', lastError: { kind: 'NETWORK' } });
      expect(down.incomingEmailServerUpdated.health.downSince).toBeTruthy();
      expect((down.incomingEmailServerUpdated.health.lastError as { hint: string }).hint).toMatch(/host name and port/);

      const adminDown = await nextMatching(adminNotes, mine);
      expect(adminDown.notificationAdded).toMatchObject({ kind: 'SERVER_UNREACHABLE', title: 'Flaky mailbox is unreachable', read: false, count: 1 });
      expect((await nextMatching(managerNotes, mine)).notificationAdded.kind).toBe('SERVER_UNREACHABLE');

      // Failed reconnects (connecting → connectError after a 2 s backoff) stay one notification.
      await sleep(3000);
      expect((await notificationsFor(t.admin, id)).map((n) => [n.kind, n.count])).toEqual([['SERVER_UNREACHABLE', 1]]);
      expect((await notificationsFor(manager, id)).map((n) => n.kind)).toEqual(['SERVER_UNREACHABLE']);

      await dovecot.start();
      const recovered = await nextMatching(adminNotes, mine, 30_000);
      expect(recovered.notificationAdded).toMatchObject({ kind: 'SERVER_RECOVERED', title: 'Flaky mailbox is reachable again' });
      expect((await nextMatching(managerNotes, mine)).notificationAdded.kind).toBe('SERVER_RECOVERED');
      const h = (await t.admin.execute(`query($id: ID!) { incomingEmailServer(id: $id) { health { ${HEALTH} } } }`, { id })).incomingEmailServer.health;
      expect(h).toMatchObject({ status: 'REACHABLE', connectionState: 'connected', downSince: null, lastError: null, lagSeconds: 0 });
      expect((await notificationsFor(t.admin, id)).map((n) => n.kind)).toEqual(['SERVER_RECOVERED', 'SERVER_UNREACHABLE']);

      // The technician heard nothing and sees nothing.
      await expect(nextMatching(techNotes, () => true, 500)).rejects.toThrow(/no subscription event/);
      expect(await tech.execute('{ notifications { id } unreadNotificationCount }')).toEqual({ notifications: [], unreadNotificationCount: 0 });
      for (const s of [adminNotes, managerNotes, techNotes, updates]) s.dispose();
    }, 60_000); // Dovecot takes several seconds to drop an IDLE connection when it shuts down
  });

  it('a refused password raises AUTH_FAILED', async () => {
    const user = `auth-${randomUUID().slice(0, 8)}@example.test`;
    await getDovecot().addUser(user, 'the-real-password');
    const adminNotes = subscribe<{ notificationAdded: Note }>(ws(t.admin), `subscription { notificationAdded { ${NOTIFICATION} } }`);
    await sleep(200);
    const id = await createServer(t.admin, {
      name: 'Wrong password', email: user, protocol: 'IMAP', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE', password: 'not-the-password',
    });
    const n = await nextMatching(adminNotes, (v) => v.notificationAdded.server?.id === id);
    expect(n.notificationAdded).toMatchObject({ kind: 'AUTH_FAILED', title: 'Wrong password: sign-in refused', count: 1 });
    expect(n.notificationAdded.body).not.toContain('not-the-password');
    const h = (await t.admin.execute(`query($id: ID!) { incomingEmailServer(id: $id) { health { ${HEALTH} } } }`, { id })).incomingEmailServer.health;
    expect(h).toMatchObject({ status: 'UNREACHABLE', connectionState: 'authenticationError', consecutiveAuthFailures: 1, lastError: { kind: 'AUTH' } });
    expect((await notificationsFor(manager, id)).map((x) => x.kind)).toEqual(['AUTH_FAILED']);
    adminNotes.dispose();
  });

  it('marks one notification read, then all; each user only their own', async () => {
    const unread = await t.admin.execute(`{ unreadNotificationCount notifications(unreadOnly: true) { ${NOTIFICATION} } }`);
    expect(unread.unreadNotificationCount).toBeGreaterThanOrEqual(2);
    expect(unread.notifications).toHaveLength(unread.unreadNotificationCount);
    const first = unread.notifications[0] as Note;

    const updates = subscribe<{ notificationUpdated: Note }>(ws(t.admin), `subscription { notificationUpdated { ${NOTIFICATION} } }`);
    await sleep(200);
    // Someone else's notification id is "not found" for the manager.
    const foreign = await manager.execute('mutation($id: ID!) { markNotificationRead(id: $id) { __typename } }', { id: first.id });
    expect(foreign.markNotificationRead.__typename).toBe('NotFoundError');
    const marked = await t.admin.execute(`mutation($id: ID!) { markNotificationRead(id: $id) { __typename ... on MarkNotificationReadSuccess { notification { id read } } } }`, { id: first.id });
    expect(marked.markNotificationRead).toEqual({ __typename: 'MarkNotificationReadSuccess', notification: { id: first.id, read: true } });
    expect((await nextMatching(updates, (u) => u.notificationUpdated.id === first.id)).notificationUpdated.read).toBe(true);
    expect((await t.admin.execute('{ unreadNotificationCount }')).unreadNotificationCount).toBe(unread.unreadNotificationCount - 1);

    const managerUnread = (await manager.execute('{ unreadNotificationCount }')).unreadNotificationCount;
    const all = await t.admin.execute('mutation { markAllNotificationsRead }');
    expect(all.markAllNotificationsRead).toBe(unread.unreadNotificationCount - 1);
    expect(await t.admin.execute('{ unreadNotificationCount notifications(unreadOnly: true) { id } }')).toEqual({ unreadNotificationCount: 0, notifications: [] });
    expect((await manager.execute('{ unreadNotificationCount }')).unreadNotificationCount).toBe(managerUnread);
    updates.dispose();
  });

  it('warns once about an OAuth client secret that expires in 3 days', async () => {
    const adminNotes = subscribe<{ notificationAdded: Note }>(ws(t.admin), `subscription { notificationAdded { ${NOTIFICATION} } }`);
    await sleep(200);
    const id = await createServer(t.admin, {
      name: 'Expiring secret', email: `oauth-${randomUUID().slice(0, 8)}@example.test`, protocol: 'IMAP', provider: 'OTHER', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE',
      authType: 'OAUTH', enabled: false, // no connector: only the periodic check looks at it
      oauthClientSecretExpiresAt: new Date(Date.now() + 3 * 86_400_000 + 60_000).toISOString(),
      oauth: { clientId: 'client', clientSecret: 'client-secret-value', authorizationUrl: 'https://idp.example.test/authorize', tokenUrl: 'https://idp.example.test/token', scope: 'mail', redirectUrl: `${t.url}/oauth/callback` },
    });
    await sleep(1000); // three check periods: a disabled server is not checked
    expect(await notificationsFor(t.admin, id)).toEqual([]);

    await t.admin.execute(`mutation($id: ID!) { updateIncomingEmailServer(id: $id, input: {
      name: "Expiring secret", email: "expiring@example.test", protocol: IMAP, provider: OTHER, host: "127.0.0.1", port: ${getDovecot().ports.imap}, security: NONE,
      authType: OAUTH, enabled: true, oauthClientSecretExpiresAt: "${new Date(Date.now() + 3 * 86_400_000 + 60_000).toISOString()}",
      oauth: { clientId: "client", authorizationUrl: "https://idp.example.test/authorize", tokenUrl: "https://idp.example.test/token", scope: "mail", redirectUrl: "${t.url}/oauth/callback" } }) { __typename } }`, { id });
    const n = await nextMatching(adminNotes, (v) => v.notificationAdded.server?.id === id && v.notificationAdded.kind === 'CREDENTIAL_EXPIRING', 10_000);
    expect(n.notificationAdded.title).toBe('Expiring secret: OAuth client secret expires in 3 days');
    expect(n.notificationAdded.body).not.toContain('client-secret-value');
    await sleep(1000); // more check periods, still one warning
    expect((await notificationsFor(t.admin, id)).filter((x) => x.kind === 'CREDENTIAL_EXPIRING')).toHaveLength(1);
    expect((await notificationsFor(manager, id)).filter((x) => x.kind === 'CREDENTIAL_EXPIRING')).toHaveLength(1);
    adminNotes.dispose();
  });
});
