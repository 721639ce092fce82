// The health service with its notifications on a fresh database, time stepped by hand:
// connector-like reports in, notification rows and events out.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../server/src/db/client.ts';
import { incomingServers, notifications, roles, serverHealth, users } from '../../server/src/db/schema.ts';
import { createLogger } from '../../server/src/lib/logger.ts';
import { createEventBus, type PubSub } from '../../server/src/lib/pubsub.ts';
import { HealthService } from '../../server/src/modules/health/health.service.ts';
import { CredentialWatch } from '../../server/src/modules/health/credential-warnings.ts';
import { NotificationService } from '../../server/src/modules/notifications/notification.service.ts';
import { testDatabaseUrl } from '../testkit/env.ts';

const logger = createLogger('silent');
const timing = { recoveryStableMs: 60_000, flapWindowMs: 300_000 };

let database: Database;
let pubsub: PubSub;
const ids = { admin: '', manager: '', technician: '' };

/** A hand-driven clock and timer queue shared by every service under test. */
class Clock {
  t = Date.parse('2025-11-25T10:00:00Z');
  private timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  now = () => new Date(this.t);
  schedule = (fn: () => void, ms: number) => {
    const timer = { at: this.t + ms, fn, cancelled: false };
    this.timers.push(timer);
    return () => { timer.cancelled = true; };
  };
  /** Moves time forward, firing due timers in order. */
  advance(seconds: number) {
    const end = this.t + seconds * 1000;
    for (;;) {
      const due = this.timers.filter((x) => !x.cancelled && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.cancelled = true;
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
  }
}

beforeAll(async () => {
  database = await openDatabase({ url: await testDatabaseUrl(), logger });
  pubsub = await createEventBus(null, logger);
  const db = database.db;
  const [role] = await db.insert(roles).values({ name: 'Channel managers', permissions: ['MANAGE_SUPPORT_CHANNELS'] }).returning();
  const [plain] = await db.insert(roles).values({ name: 'Technicians', permissions: [] }).returning();
  const insertUser = async (email: string, extra: Partial<typeof users.$inferInsert>) =>
    (await db.insert(users).values({ email, name: email, passwordHash: 'x', ...extra }).returning())[0]!.id;
  ids.admin = await insertUser('admin@example.test', { isSuperAdmin: true });
  ids.manager = await insertUser('manager@example.test', { roleId: role!.id });
  ids.technician = await insertUser('tech@example.test', { roleId: plain!.id });
});

afterAll(async () => {
  await database?.close();
});

let clock: Clock;
let notes: NotificationService;
let health: HealthService;
let serverId: string;
let events: string[];
let listeners: { it: AsyncIterator<string>; done: Promise<void> }[] = [];

beforeEach(async () => {
  clock = new Clock();
  notes = new NotificationService(database.db, pubsub, logger, clock.now);
  health = new HealthService(database.db, pubsub, logger, { notifier: notes, timing, now: clock.now, schedule: clock.schedule });
  const [server] = await database.db.insert(incomingServers).values({ name: 'Support', email: 'support@example.test', protocol: 'IMAP', provider: 'OTHER', host: 'imap.example.test', port: 993 }).returning();
  serverId = server!.id;
  events = [];
  listeners = (['notificationAdded', 'notificationUpdated'] as const).map((name) => {
    const it = pubsub.subscribe(name)[Symbol.asyncIterator]();
    const done = (async () => {
      for (let r = await it.next(); !r.done; r = await it.next()) {
        const row = await notes.get(r.value);
        if (row?.serverId === serverId) events.push(`${name}:${row.kind}:${row.userId === ids.admin ? 'admin' : row.userId === ids.manager ? 'manager' : 'other'}`);
      }
    })();
    return { it, done };
  });
});

afterEach(async () => {
  health.stop();
  for (const l of listeners) await l.it.return?.();
  await Promise.all(listeners.map((l) => l.done));
});

const settle = () => new Promise((r) => setTimeout(r, 20));
/** Work a timer starts (a recheck, a notification) reaches PostgreSQL over the network: wait for its result. */
const POLL = { timeout: 10_000, interval: 20 };

async function rows(userId = ids.admin) {
  const all = await database.db.select().from(notifications);
  return all.filter((n) => n.userId === userId && n.serverId === serverId).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** What a connector reports for one failed attempt / one successful sync. */
async function fail(kind: 'NETWORK' | 'AUTH' = 'NETWORK') {
  await health.report(serverId, { connectionState: 'connecting' });
  await health.report(serverId, { connectionState: kind === 'AUTH' ? 'authenticationError' : 'connectError', error: { kind, message: kind === 'AUTH' ? 'The server refused the user name or password' : 'Connection refused' } });
}
async function sync() {
  await health.report(serverId, { connectionState: 'connecting' });
  await health.report(serverId, { connectionState: 'syncing' });
  await health.report(serverId, { connectionState: 'connected', lastSyncAt: clock.now(), inboundQueueCount: 0, error: null });
}

describe('last checked', () => {
  it('knows the last confirmation at once, and writes and announces one at most once a minute', async () => {
    await sync();
    const updates: string[] = [];
    const it = pubsub.subscribe('incomingEmailServerUpdated')[Symbol.asyncIterator]();
    const done = (async () => {
      for (let r = await it.next(); !r.done; r = await it.next()) if (r.value === serverId) updates.push(r.value);
    })();
    const stored = async () => (await database.db.select().from(serverHealth)).find((h) => h.serverId === serverId)!.lastSyncAt!.getTime();
    const first = await stored();
    // An IDLE connection with nothing new: a confirmation every 15 s for two minutes.
    for (let i = 1; i <= 8; i++) {
      clock.advance(15);
      await health.report(serverId, { connectionState: 'connected', lastSyncAt: clock.now(), inboundQueueCount: 0, error: null });
      expect((await health.get(serverId)).lastSyncAt).toEqual(clock.now());
    }
    await settle();
    expect(await stored()).toBe(first + 120_000);
    expect(updates).toHaveLength(2); // at 60 s and 120 s
    await it.return?.();
    await done;
  });
});

describe('health notifications', () => {
  it('an outage notifies each Super Admin and channel manager once, a plain technician never; recovery once, after a stable minute', async () => {
    await sync();
    await fail();
    for (let i = 0; i < 5; i++) { clock.advance(10); await fail(); } // connectError → connecting → connectError … is one outage
    await expect.poll(async () => (await rows()).map((n) => [n.kind, n.count]), POLL).toEqual([['SERVER_UNREACHABLE', 1]]);
    expect((await rows(ids.manager)).map((n) => n.kind)).toEqual(['SERVER_UNREACHABLE']);
    expect(await rows(ids.technician)).toEqual([]);
    const row = (await database.db.select().from(serverHealth)).find((h) => h.serverId === serverId);
    expect(row).toMatchObject({ status: 'UNREACHABLE', flapCount: 1, downSince: new Date(Date.parse('2025-11-25T10:00:00Z')) });

    clock.advance(5);
    await sync();
    clock.advance(59);
    await settle();
    expect((await rows()).map((n) => n.kind)).toEqual(['SERVER_UNREACHABLE']);
    clock.advance(1); // the recheck fires without any new report: a quiet IDLE connection reports nothing
    await expect.poll(async () => (await rows()).map((n) => n.kind), POLL).toEqual(['SERVER_UNREACHABLE', 'SERVER_RECOVERED']);
    expect((await rows(ids.manager)).map((n) => n.kind)).toEqual(['SERVER_UNREACHABLE', 'SERVER_RECOVERED']);
    await expect.poll(() => [...events].sort(), POLL).toEqual([
      'notificationAdded:SERVER_RECOVERED:admin', 'notificationAdded:SERVER_RECOVERED:manager',
      'notificationAdded:SERVER_UNREACHABLE:admin', 'notificationAdded:SERVER_UNREACHABLE:manager',
    ]);
    expect((await health.get(serverId)).downSince).not.toBeNull(); // still inside the flap window
    clock.advance(300);
    await expect.poll(() => health.get(serverId), POLL).toMatchObject({ downSince: null, flapCount: 0 });
  });

  it('flapping down/up/down/up/down within a minute: one notification with count 3, updates instead of additions, no recovery yet', async () => {
    await sync();
    await fail();
    clock.advance(15); await sync();
    clock.advance(15); await fail();
    clock.advance(15); await sync();
    clock.advance(15); await fail();
    await settle();
    const [n] = await rows();
    expect(await rows()).toHaveLength(1);
    expect(n).toMatchObject({ kind: 'SERVER_UNREACHABLE', count: 3, read: false });
    await expect.poll(() => events.filter((e) => e.endsWith(':admin')), POLL).toEqual([
      'notificationAdded:SERVER_UNREACHABLE:admin', 'notificationUpdated:SERVER_UNREACHABLE:admin', 'notificationUpdated:SERVER_UNREACHABLE:admin',
    ]);
    expect((await health.get(serverId)).flapCount).toBe(3);

    clock.advance(10); await sync();
    clock.advance(61);
    await expect.poll(async () => (await rows()).map((r) => [r.kind, r.count]), POLL).toEqual([['SERVER_UNREACHABLE', 3], ['SERVER_RECOVERED', 1]]);
  });

  it('an authentication error raises AUTH_FAILED and counts consecutive failures', async () => {
    await fail('AUTH');
    await fail('AUTH');
    await expect.poll(async () => (await rows()).map((r) => [r.kind, r.count]), POLL).toEqual([['AUTH_FAILED', 1]]);
    expect((await rows())[0]!.body).toContain('refused the user name or password');
    expect(await health.get(serverId)).toMatchObject({ consecutiveAuthFailures: 2, status: 'UNREACHABLE' });
    await sync();
    expect((await health.get(serverId)).consecutiveAuthFailures).toBe(0);
  });

  it('rebuilds an open outage after a restart instead of notifying again', async () => {
    await sync();
    await fail();
    await settle();
    // A new process: fresh service, same database.
    const restarted = new HealthService(database.db, pubsub, logger, { notifier: notes, timing, now: clock.now, schedule: clock.schedule });
    clock.advance(30);
    await restarted.report(serverId, { connectionState: 'connecting' });
    await restarted.report(serverId, { connectionState: 'connectError', error: { kind: 'NETWORK', message: 'Connection refused' } });
    clock.advance(10);
    await restarted.report(serverId, { connectionState: 'connected', lastSyncAt: clock.now(), error: null });
    clock.advance(20);
    await restarted.report(serverId, { connectionState: 'connectError', error: { kind: 'NETWORK', message: 'Connection refused' } });
    await expect.poll(async () => (await rows()).map((r) => [r.kind, r.count]), POLL).toEqual([['SERVER_UNREACHABLE', 2]]);
    restarted.stop();
  });

  it('mark read and mark all read only touch the caller’s own notifications', async () => {
    await fail();
    await fail('AUTH');
    await settle();
    const mine = await notes.list(ids.admin, { unreadOnly: true });
    const forServer = mine.filter((n) => n.serverId === serverId);
    expect(forServer).toHaveLength(2);
    const other = await notes.markRead(ids.manager, forServer[0]!.id);
    expect(other).toMatchObject({ kind: 'NotFoundError' });
    const before = await notes.unreadCount(ids.admin);
    await notes.markRead(ids.admin, forServer[0]!.id);
    expect(await notes.unreadCount(ids.admin)).toBe(before - 1);
    await notes.markAllRead(ids.admin);
    expect(await notes.unreadCount(ids.admin)).toBe(0);
    expect(await notes.unreadCount(ids.manager)).toBeGreaterThan(0);
  });
});

describe('credential warnings', () => {
  it('warns about a client secret expiring within 14 days, at most once a day per server and condition', async () => {
    const [server] = await database.db.insert(incomingServers).values({
      name: 'Expiring', email: 'expiring@example.test', protocol: 'IMAP', provider: 'OTHER', authType: 'OAUTH', oauthClientSecretExpiresAt: new Date(clock.t + 3 * 86_400_000),
    }).returning();
    serverId = server!.id;
    await database.db.insert(serverHealth).values({ serverId, consecutiveAuthFailures: 3 }).onConflictDoUpdate({ target: serverHealth.serverId, set: { consecutiveAuthFailures: 3 } });
    const watch = new CredentialWatch(database.db, { credentials: () => ({ password: null, oauth: { refreshToken: 'r', expiresAt: clock.t - 81 * 86_400_000 } }) }, notes, logger, { intervalMs: 3_600_000, now: clock.now });
    const first = await watch.check();
    const mine = first.filter((n) => n.serverId === serverId && n.userId === ids.admin);
    expect(mine.map((n) => n.kind).sort()).toEqual(['AUTH_FAILED', 'CREDENTIAL_EXPIRING', 'REFRESH_TOKEN_STALE']);
    expect(mine.find((n) => n.kind === 'CREDENTIAL_EXPIRING')!.title).toContain('expires in 3 days');
    expect(first.some((n) => n.userId === ids.technician)).toBe(false);
    clock.advance(3600);
    expect((await watch.check()).filter((n) => n.serverId === serverId)).toEqual([]);
    clock.advance(86_400);
    expect((await watch.check()).filter((n) => n.serverId === serverId && n.userId === ids.admin)).toHaveLength(3);
  });
});
