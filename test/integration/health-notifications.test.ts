// Live health and notifications against a real (private) Dovecot that is stopped and started:
// who is told, how often, and over which subscription.
import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, subscribe, type GraphQLClient, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { startDovecot, type Dovecot } from '../testkit/services/dovecot.ts';
import { sleep, waitFor } from '../testkit/services/util.ts';

graphql(`fragment NoteFields on Notification { id at updatedAt kind title body read count server { id name } }`);
graphql(`
  fragment NotifiedHealth on ServerHealth {
    status connectionState lastSyncAt inboundQueueCount lagSeconds downSince outageCount consecutiveAuthFailures lastError { kind message hint }
  }
`);
const Notifications = graphql(`query HealthNotifications($u: Boolean) { notifications(unreadOnly: $u) { ...NoteFields } }`);
const NotificationAdded = graphql(`subscription HealthNotificationAdded { notificationAdded { ...NoteFields } }`);
const NotificationUpdated = graphql(`subscription HealthNotificationUpdated { notificationUpdated { ...NoteFields } }`);
const ServerUpdated = graphql(`subscription HealthServerUpdated { incomingEmailServerUpdated { id health { ...NotifiedHealth } } }`);
const Health = graphql(`query HealthOfServer($id: ID!) { incomingEmailServer(id: $id) { health { ...NotifiedHealth } } }`);
const Unread = graphql(`query HealthUnread($u: Boolean) { unreadNotificationCount notifications(unreadOnly: $u) { ...NoteFields } }`);
const UnreadCount = graphql(`query HealthUnreadCount { unreadNotificationCount }`);
const UnreadIds = graphql(`query HealthUnreadIds { unreadNotificationCount notifications(unreadOnly: true) { id } }`);
const TechView = graphql(`query HealthTechView { notifications { id } unreadNotificationCount }`);
const MarkRead = graphql(`
  mutation HealthMarkRead($id: ID!) { markNotificationRead(id: $id) { __typename ... on MarkNotificationReadSuccess { notification { id read } } } }
`);
const MarkAllRead = graphql(`mutation HealthMarkAllRead { markAllNotificationsRead }`);

// Small windows so the test does not wait minutes: stable for 1.5 s = recovered; a failure within 3 s of that = same outage.
const ENV = { MAILROOM_HEALTH_RECOVERY_STABLE_MS: '1500', MAILROOM_HEALTH_FLAP_WINDOW_MS: '3000', MAILROOM_CREDENTIAL_CHECK_INTERVAL_MS: '300' };

async function notificationsFor(client: GraphQLClient, serverId: string, unreadOnly = false) {
  const res = await client.execute(Notifications, { u: unreadOnly });
  return res.notifications.filter((n) => n.server?.id === serverId);
}

async function healthOf(client: GraphQLClient, id: string) {
  return (await client.execute(Health, { id })).incomingEmailServer!.health;
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
    const roleId = await t.seed.role('Channel managers', ['MANAGE_SUPPORT_CHANNELS']);
    manager = await (await t.seed.technician({ email: 'manager@mailroom.test', name: 'Mona Manager', password: 'manager-password', roleId })).signIn();
    tech = await (await t.seed.technician({ email: 'tech@mailroom.test', name: 'Tess Tech', password: 'tech-password' })).signIn();
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
      const adminNotes = subscribe(ws(t.admin), NotificationAdded);
      const managerNotes = subscribe(ws(manager), NotificationAdded);
      const techNotes = subscribe(ws(tech), NotificationAdded);
      const updates = subscribe(ws(t.admin), ServerUpdated);
      await sleep(200); // let the subscriptions register

      const id = (await t.seed.incomingServer({
        name: 'Flaky mailbox', email: user, protocol: 'IMAP', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE', password: 'mailbox-password', realTimeScanning: true,
      })).id;
      const mine = (n: { notificationAdded: { server?: { id: string } | null } }) => n.notificationAdded.server?.id === id;
      await nextMatching(updates, (u) => u.incomingEmailServerUpdated.id === id && u.incomingEmailServerUpdated.health.connectionState === 'connected');

      await dovecot.stop();
      // Dovecot takes several seconds to drop its IDLE sessions when it stops (more on a loaded machine).
      const down = await nextMatching(updates, (u) => u.incomingEmailServerUpdated.id === id && u.incomingEmailServerUpdated.health.status === 'UNREACHABLE', 45_000);
      expect(down.incomingEmailServerUpdated.health).toMatchObject({ status: 'UNREACHABLE', connectionState: 'connectError', lastError: { kind: 'NETWORK' } });
      expect(down.incomingEmailServerUpdated.health.downSince).toBeTruthy();
      expect(down.incomingEmailServerUpdated.health.lastError?.hint).toMatch(/host name and port/);

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
      const h = await healthOf(t.admin, id);
      expect(h).toMatchObject({ status: 'REACHABLE', connectionState: 'connected', downSince: null, lastError: null, lagSeconds: 0 });
      expect((await notificationsFor(t.admin, id)).map((n) => n.kind)).toEqual(['SERVER_RECOVERED', 'SERVER_UNREACHABLE']);

      // The technician heard nothing and sees nothing.
      await expect(nextMatching(techNotes, () => true, 500)).rejects.toThrow(/no subscription event/);
      expect(await tech.execute(TechView)).toEqual({ notifications: [], unreadNotificationCount: 0 });
      for (const s of [adminNotes, managerNotes, techNotes, updates]) s.dispose();
    }, 120_000);
  });

  it('a refused password raises AUTH_FAILED', async () => {
    const user = `auth-${randomUUID().slice(0, 8)}@example.test`;
    await getDovecot().addUser(user, 'the-real-password');
    const adminNotes = subscribe(ws(t.admin), NotificationAdded);
    await sleep(200);
    const id = (await t.seed.incomingServer({
      name: 'Wrong password', email: user, protocol: 'IMAP', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE', password: 'not-the-password',
    })).id;
    const n = await nextMatching(adminNotes, (v) => v.notificationAdded.server?.id === id);
    expect(n.notificationAdded).toMatchObject({ kind: 'AUTH_FAILED', title: 'Wrong password: sign-in refused', count: 1 });
    expect(n.notificationAdded.body).not.toContain('not-the-password');
    const h = await healthOf(t.admin, id);
    expect(h).toMatchObject({ status: 'UNREACHABLE', connectionState: 'authenticationError', consecutiveAuthFailures: 1, lastError: { kind: 'AUTH' } });
    expect((await notificationsFor(manager, id)).map((x) => x.kind)).toEqual(['AUTH_FAILED']);
    adminNotes.dispose();
  });

  it('marks one notification read, then all; each user only their own', async () => {
    const unread = await t.admin.execute(Unread, { u: true });
    expect(unread.unreadNotificationCount).toBeGreaterThanOrEqual(2);
    expect(unread.notifications).toHaveLength(unread.unreadNotificationCount);
    const first = unread.notifications[0]!;

    const updates = subscribe(ws(t.admin), NotificationUpdated);
    await sleep(200);
    // Someone else's notification id is "not found" for the manager.
    const foreign = await manager.execute(MarkRead, { id: first.id });
    expect(foreign.markNotificationRead.__typename).toBe('NotFoundError');
    const marked = await t.admin.execute(MarkRead, { id: first.id });
    expect(marked.markNotificationRead).toEqual({ __typename: 'MarkNotificationReadSuccess', notification: { id: first.id, read: true } });
    expect((await nextMatching(updates, (u) => u.notificationUpdated.id === first.id)).notificationUpdated.read).toBe(true);
    expect((await t.admin.execute(UnreadCount)).unreadNotificationCount).toBe(unread.unreadNotificationCount - 1);

    const managerUnread = (await manager.execute(UnreadCount)).unreadNotificationCount;
    const all = await t.admin.execute(MarkAllRead);
    expect(all.markAllNotificationsRead).toBe(unread.unreadNotificationCount - 1);
    expect(await t.admin.execute(UnreadIds)).toEqual({ unreadNotificationCount: 0, notifications: [] });
    expect((await manager.execute(UnreadCount)).unreadNotificationCount).toBe(managerUnread);
    updates.dispose();
  });

  it('warns once about an OAuth client secret that expires in 3 days', async () => {
    const adminNotes = subscribe(ws(t.admin), NotificationAdded);
    await sleep(200);
    const id = (await t.seed.incomingServer({
      name: 'Expiring secret', email: `oauth-${randomUUID().slice(0, 8)}@example.test`, protocol: 'IMAP', provider: 'OTHER', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE',
      authType: 'OAUTH', enabled: false, // no connector: only the periodic check looks at it
      oauthClientSecretExpiresAt: new Date(Date.now() + 3 * 86_400_000 + 60_000).toISOString(),
      oauth: { clientId: 'client', clientSecret: 'client-secret-value', authorizationUrl: 'https://idp.example.test/authorize', tokenUrl: 'https://idp.example.test/token', scope: 'mail', redirectUrl: `${t.url}/oauth/callback` },
    })).id;
    await sleep(1000); // three check periods: a disabled server is not checked
    expect(await notificationsFor(t.admin, id)).toEqual([]);

    await t.seed.updateIncomingServer(id, {
      name: 'Expiring secret', email: 'expiring@example.test', protocol: 'IMAP', provider: 'OTHER', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE',
      authType: 'OAUTH', enabled: true, oauthClientSecretExpiresAt: new Date(Date.now() + 3 * 86_400_000 + 60_000).toISOString(),
      oauth: { clientId: 'client', authorizationUrl: 'https://idp.example.test/authorize', tokenUrl: 'https://idp.example.test/token', scope: 'mail', redirectUrl: `${t.url}/oauth/callback` },
    });
    const n = await nextMatching(adminNotes, (v) => v.notificationAdded.server?.id === id && v.notificationAdded.kind === 'CREDENTIAL_EXPIRING', 10_000);
    expect(n.notificationAdded.title).toBe('Expiring secret: OAuth client secret expires in 3 days');
    expect(n.notificationAdded.body).not.toContain('client-secret-value');
    await sleep(1000); // more check periods, still one warning
    expect((await notificationsFor(t.admin, id)).filter((x) => x.kind === 'CREDENTIAL_EXPIRING')).toHaveLength(1);
    expect((await notificationsFor(manager, id)).filter((x) => x.kind === 'CREDENTIAL_EXPIRING')).toHaveLength(1);
    adminNotes.dispose();
  });
});
