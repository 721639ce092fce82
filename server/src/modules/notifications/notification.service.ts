import { and, arrayContains, count, desc, eq, gte, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Queryable } from '../../db/client.js';
import { notifications, roles, tickets, users, type NotificationKind } from '../../db/schema.js';
import { NotFoundError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { PubSub } from '../../lib/pubsub.js';
import { isUuid } from '../../lib/uuid.js';

export type NotificationRow = typeof notifications.$inferSelect;

export interface NewNotification {
  kind: NotificationKind;
  title: string;
  body: string;
  serverId?: string | null;
  ticketId?: string | null;
}

/** Which notifications the user may still read: those about no ticket, and those about tickets in the given scope (a WHERE on tickets). */
export interface NotificationFilter { unreadOnly?: boolean | null; ticketScope?: SQL }

const LIST_LIMIT = 200;

/**
 * In-app notifications, one row per recipient. Health and credential notifications go to every
 * Super Admin and every user whose role has Manage Support Channels; a repeat of the same
 * incident is folded into the existing rows (count + 1, unread again) instead of adding more.
 */
export class NotificationService {
  constructor(
    private readonly db: Db,
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Super Admins and users whose role has MANAGE_SUPPORT_CHANNELS. */
  async channelManagers(q: Queryable = this.db): Promise<string[]> {
    const rows = await q
      .select({ id: users.id })
      .from(users)
      .leftJoin(roles, eq(roles.id, users.roleId))
      .where(and(isNull(users.deactivatedAt), or(eq(users.isSuperAdmin, true), arrayContains(roles.permissions, ['MANAGE_SUPPORT_CHANNELS']))));
    return rows.map((r) => r.id);
  }

  /** Creates one notification per channel manager and announces each to its owner. */
  async notifyChannelManagers(n: NewNotification): Promise<NotificationRow[]> {
    const rows = await this.create(this.db, await this.channelManagers(), n);
    await this.published(rows, 'notificationAdded');
    return rows;
  }

  /**
   * Folds a repeat into the notifications of kind `kind` raised for `serverId` since `since`
   * (count + 1, unread again, newer text); creates them when there are none (e.g. all were deleted).
   */
  async foldOrNotify(serverId: string, kind: NotificationKind, since: Date, text: { title: string; body: string }): Promise<NotificationRow[]> {
    const rows = await this.db
      .update(notifications)
      .set({ count: sql`${notifications.count} + 1`, read: false, title: text.title, body: text.body, updatedAt: this.now() })
      .where(and(eq(notifications.serverId, serverId), eq(notifications.kind, kind), gte(notifications.createdAt, since)))
      .returning();
    if (!rows.length) return this.notifyChannelManagers({ kind, serverId, ...text });
    await this.published(rows, 'notificationUpdated');
    return rows;
  }

  /** Inserts without announcing: call `published` after the surrounding transaction commits. */
  async create(q: Queryable, userIds: string[], n: NewNotification): Promise<NotificationRow[]> {
    if (!userIds.length) return [];
    const at = this.now();
    return q
      .insert(notifications)
      .values([...new Set(userIds)].map((userId) => ({ userId, kind: n.kind, title: n.title, body: n.body, serverId: n.serverId ?? null, ticketId: n.ticketId ?? null, createdAt: at, updatedAt: at })))
      .returning();
  }

  async published(rows: NotificationRow[], event: 'notificationAdded' | 'notificationUpdated'): Promise<void> {
    for (const row of rows) await this.pubsub.publish(event, row.id);
  }

  /** Whether a notification of this kind was raised for the server since `since` (for "at most once a day"). */
  async raisedSince(q: Queryable, serverId: string, kind: NotificationKind, since: Date): Promise<boolean> {
    const [row] = await q
      .select({ id: notifications.id })
      .from(notifications)
      .where(and(eq(notifications.serverId, serverId), eq(notifications.kind, kind), gte(notifications.createdAt, since)))
      .limit(1);
    return Boolean(row);
  }

  /** The latest notification of each kind raised for a server since `since` (to rebuild an outage after a restart). */
  async latestForServer(serverId: string, kinds: NotificationKind[], since: Date): Promise<Map<NotificationKind, { createdAt: Date; updatedAt: Date; count: number }>> {
    const rows = await this.db
      .select({ kind: notifications.kind, createdAt: notifications.createdAt, updatedAt: notifications.updatedAt, count: notifications.count })
      .from(notifications)
      .where(and(eq(notifications.serverId, serverId), inArray(notifications.kind, kinds), gte(notifications.createdAt, since)))
      .orderBy(desc(notifications.updatedAt));
    const latest = new Map<NotificationKind, { createdAt: Date; updatedAt: Date; count: number }>();
    for (const r of rows) if (!latest.has(r.kind)) latest.set(r.kind, r);
    return latest;
  }

  async get(id: string): Promise<NotificationRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select().from(notifications).where(eq(notifications.id, id));
    return row;
  }

  /** The user's notifications, most recently raised or repeated first. */
  list(userId: string, opts: NotificationFilter = {}): Promise<NotificationRow[]> {
    return this.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.userId, userId), opts.unreadOnly ? eq(notifications.read, false) : undefined, this.reachable(opts.ticketScope)))
      .orderBy(desc(notifications.updatedAt), desc(notifications.id))
      .limit(LIST_LIMIT);
  }

  async unreadCount(userId: string, ticketScope?: SQL): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(notifications).where(and(eq(notifications.userId, userId), eq(notifications.read, false), this.reachable(ticketScope)));
    return row?.n ?? 0;
  }

  /** A technician moved out of a group no longer reads what its tickets' notifications said. */
  private reachable(ticketScope: SQL | undefined): SQL | undefined {
    if (!ticketScope) return undefined;
    return or(isNull(notifications.ticketId), inArray(notifications.ticketId, this.db.select({ id: tickets.id }).from(tickets).where(ticketScope)));
  }

  async markRead(userId: string, id: string): Promise<NotificationRow | NotFoundError> {
    if (!isUuid(id)) return new NotFoundError('No such notification');
    const [row] = await this.db
      .update(notifications)
      .set({ read: true })
      .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
      .returning();
    if (!row) return new NotFoundError('No such notification');
    await this.published([row], 'notificationUpdated');
    return row;
  }

  async markAllRead(userId: string): Promise<number> {
    const rows = await this.db
      .update(notifications)
      .set({ read: true })
      .where(and(eq(notifications.userId, userId), eq(notifications.read, false)))
      .returning();
    await this.published(rows, 'notificationUpdated');
    this.logger.debug({ userId, count: rows.length }, 'marked notifications read');
    return rows.length;
  }
}
