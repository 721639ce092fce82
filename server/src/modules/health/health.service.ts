import { eq, getTableColumns, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { insertSet, updateOnConflict } from '../../db/insert-set.js';
import { incomingServers, serverHealth, type ConnectionState, type ErrorKind } from '../../db/schema.js';
import { GroupCommit } from '../../lib/group-commit.js';
import type { Logger } from '../../lib/logger.js';
import type { PubSub } from '../../lib/pubsub.js';
import type { HealthPatch, HealthReporter } from '../../mail/ports.js';
import type { NotificationService } from '../notifications/notification.service.js';
import {
  DEFAULT_HEALTH_TIMING, conditionOf, conditionOfRow, isAuthError, observe, statusFor,
  type HealthEffect, type HealthTiming, type Outage, type OutageKind,
} from './health.transitions.js';
import { outageNotice, recoveryNotice } from './health.wording.js';

export { statusFor } from './health.transitions.js';

export type HealthRow = typeof serverHealth.$inferSelect;

export type OutageNotifier = Pick<NotificationService, 'notifyChannelManagers' | 'foldOrNotify' | 'latestForServer'>;

export interface HealthOptions {
  notifier?: OutageNotifier;
  timing?: Partial<HealthTiming>;
  now?: () => Date;
  /** Runs `fn` after `ms`; returns a cancel function. Tests replace it to step time by hand. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

const defaultSchedule = (fn: () => void, ms: number) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

const COMPARED = [
  'connectionState', 'status', 'lastSyncAt', 'inboundQueueCount', 'lastErrorKind', 'lastErrorMessage', 'oldestWaitingAt',
  'downSince', 'outageNotifiedAt', 'flapCount', 'consecutiveAuthFailures', 'idlePush',
] as const satisfies readonly (keyof HealthRow)[];

/**
 * A connector confirms a quiet mailbox every 15 s (mail/check-interval.ts). Those confirmations
 * are kept in memory at once — the API answers with the exact "last checked" — and written and
 * announced at most this often, so hundreds of idle mailboxes do not write every few seconds.
 */
export const CONFIRMATION_WRITE_MS = 60_000;

/** A health write always carries the whole row. */
const UPSERT = updateOnConflict([serverHealth.serverId], Object.values(getTableColumns(serverHealth)));

const same = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : (a ?? null) === (b ?? null));

/**
 * Keeps each server's health row current, publishes `incomingEmailServerUpdated` on every change,
 * and runs the outage state machine (health.transitions.ts) that tells the channel managers when
 * a mailbox goes down and when it is back. Writes are serialised per server so a slow write never
 * lets an older state overwrite a newer one.
 */
export class HealthService implements HealthReporter {
  private readonly cache = new Map<string, HealthRow>();
  private readonly chains = new Map<string, Promise<void>>();
  /** Loaded lazily per server; the row's downSince/flapCount persist the part that must survive a restart. */
  private readonly outages = new Map<string, Outage | null>();
  private readonly rechecks = new Map<string, () => void>();
  /** The lastSyncAt the database holds, per server, for the confirmation rule above. */
  private readonly storedSyncAt = new Map<string, number>();
  private readonly timing: HealthTiming;
  private readonly now: () => Date;
  private readonly schedule: NonNullable<HealthOptions['schedule']>;
  private stopped = false;
  /**
   * Rows to write, many servers' in one statement: a burst of mail (a thousand mailboxes each
   * saying "syncing", then "connected") cost a statement, a commit and a WAL flush per report.
   * A lone report on a quiet server is written at once. Reports of one server are serialised
   * (`chains`), so a group never holds one server twice.
   */
  private readonly writes = new GroupCommit<HealthRow, void>((rows) => this.writeRows(rows), { concurrency: 1, maxWeight: 500 });

  constructor(private readonly db: Db, private readonly pubsub: PubSub, private readonly logger: Logger, private readonly options: HealthOptions = {}) {
    this.timing = { ...DEFAULT_HEALTH_TIMING, ...options.timing };
    this.now = options.now ?? (() => new Date());
    this.schedule = options.schedule ?? defaultSchedule;
  }

  async get(serverId: string): Promise<HealthRow> {
    const cached = this.cache.get(serverId);
    if (cached) return cached;
    const [row] = await this.db.select().from(serverHealth).where(eq(serverHealth.serverId, serverId));
    return row ?? defaultHealth(serverId);
  }

  /** get() for many servers, in their order: one statement for those not cached. */
  async getMany(serverIds: readonly string[]): Promise<HealthRow[]> {
    const missing = serverIds.filter((id) => !this.cache.has(id));
    const rows = missing.length ? await this.db.select().from(serverHealth).where(inArray(serverHealth.serverId, missing)) : [];
    const read = new Map(rows.map((r) => [r.serverId, r]));
    return serverIds.map((id) => this.cache.get(id) ?? read.get(id) ?? defaultHealth(id));
  }

  report(serverId: string, patch: HealthPatch): Promise<void> {
    const next = (this.chains.get(serverId) ?? Promise.resolve()).then(() => this.apply(serverId, patch)).catch((err: unknown) => {
      this.logger.warn({ err, serverId }, 'could not record server health');
    });
    this.chains.set(serverId, next);
    return next;
  }

  forget(serverId: string): void {
    this.cache.delete(serverId);
    this.storedSyncAt.delete(serverId);
    this.chains.delete(serverId);
    this.outages.delete(serverId);
    this.rechecks.get(serverId)?.();
    this.rechecks.delete(serverId);
  }

  /** Cancels pending rechecks (app shutdown). */
  stop(): void {
    this.stopped = true;
    for (const cancel of this.rechecks.values()) cancel();
    this.rechecks.clear();
  }

  private async apply(serverId: string, patch: HealthPatch): Promise<void> {
    const current = await this.get(serverId);
    const now = this.now();
    const connectionState = patch.connectionState ?? current.connectionState;
    const values: HealthRow = {
      ...current,
      connectionState,
      status: statusFor(connectionState, current.status),
      lastSyncAt: patch.lastSyncAt ?? current.lastSyncAt,
      inboundQueueCount: patch.inboundQueueCount ?? current.inboundQueueCount,
      updatedAt: now,
    };
    if (patch.error !== undefined) {
      values.lastErrorKind = patch.error?.kind ?? null;
      values.lastErrorMessage = patch.error?.message ?? null;
      values.lastErrorAt = patch.error ? now : current.lastErrorAt;
    }
    if (patch.idlePush !== undefined) values.idlePush = patch.idlePush;
    if (patch.oldestWaitingAt !== undefined) values.oldestWaitingAt = patch.oldestWaitingAt;
    // Most protocols only count what waits: lag then runs from when we first saw the queue non-empty.
    else if (values.inboundQueueCount === 0) values.oldestWaitingAt = null;
    else if (!current.oldestWaitingAt) values.oldestWaitingAt = now;
    if (connectionState === 'authenticationError' && current.connectionState !== 'authenticationError') values.consecutiveAuthFailures = current.consecutiveAuthFailures + 1;
    else if (connectionState === 'connected' || connectionState === 'degraded' || connectionState === 'disabled') values.consecutiveAuthFailures = 0;

    const effects = await this.observeOutage(serverId, current, values, now);

    // Until this process writes the row, what it read is what the database holds.
    if (!this.storedSyncAt.has(serverId)) this.storedSyncAt.set(serverId, current.lastSyncAt?.getTime() ?? 0);
    const changed = COMPARED.filter((k) => !same(values[k], current[k]));
    const confirmationOnly = changed.length === 1 && changed[0] === 'lastSyncAt' && values.lastSyncAt !== null &&
      values.lastSyncAt.getTime() - this.storedSyncAt.get(serverId)! < CONFIRMATION_WRITE_MS;
    if (confirmationOnly) {
      this.cache.set(serverId, { ...current, lastSyncAt: values.lastSyncAt, updatedAt: now });
    } else if (changed.length) {
      await this.writes.submit(values, 1);
      this.cache.set(serverId, values);
      if (values.lastSyncAt) this.storedSyncAt.set(serverId, values.lastSyncAt.getTime());
      await this.pubsub.publish('incomingEmailServerUpdated', serverId);
    } else if (!this.cache.has(serverId)) {
      // Nothing changed: what was read is what the database holds, and the next report needs no read.
      this.cache.set(serverId, current);
    }
    await this.run(serverId, effects, values, now);
  }

  /** One upsert for the group; if it fails (a server deleted meanwhile), each row alone, so one failure stays its own. */
  private async writeRows(rows: HealthRow[]): Promise<PromiseSettledResult<void>[]> {
    const write = async (some: HealthRow[]) => {
      await insertSet(this.db, serverHealth, some, UPSERT);
    };
    try {
      await write(rows);
      return rows.map(() => ({ status: 'fulfilled', value: undefined }));
    } catch (err) {
      if (rows.length === 1) throw err;
      return Promise.allSettled(rows.map((row) => write([row])));
    }
  }

  /** Feeds the condition to the outage state machine and writes its persistent part into `values`. */
  private async observeOutage(serverId: string, current: HealthRow, values: HealthRow, now: Date): Promise<HealthEffect[]> {
    const condition = conditionOf(values.connectionState, conditionOfRow(current));
    if (!condition) return [];
    const before = await this.outage(serverId, current, now);
    const { outage, effects } = observe(before, condition, now, this.timing);
    this.outages.set(serverId, outage);
    values.downSince = outage?.since ?? null;
    values.flapCount = outage?.count ?? 0;
    if (!outage) values.outageNotifiedAt = null;
    else if (effects.some((e) => e.type === 'notifyOutage')) values.outageNotifiedAt = now;
    if (!outage || outage.phase === 'down') this.cancelRecheck(serverId);
    return effects;
  }

  /**
   * The server's open outage. After a restart (or when another process read this mailbox before)
   * it is rebuilt from the row and the notifications already sent for it.
   */
  private async outage(serverId: string, row: HealthRow, now: Date): Promise<Outage | null> {
    if (this.outages.has(serverId)) return this.outages.get(serverId)!;
    if (!row.downSince) return null;
    const condition = conditionOfRow(row);
    const latest = this.options.notifier
      ? await this.options.notifier.latestForServer(serverId, ['SERVER_UNREACHABLE', 'AUTH_FAILED', 'SERVER_RECOVERED'], row.downSince)
      : new Map();
    const downs = (['SERVER_UNREACHABLE', 'AUTH_FAILED'] as const).filter((k) => latest.has(k)).sort((a, b) => latest.get(b)!.updatedAt.getTime() - latest.get(a)!.updatedAt.getTime());
    const lastDown = downs[0] ? latest.get(downs[0])! : undefined;
    const recovered = latest.get('SERVER_RECOVERED');
    const isDown = condition === 'SERVER_UNREACHABLE' || condition === 'AUTH_FAILED';
    const kind: OutageKind = isDown ? condition : (downs[0] ?? (isAuthError(row.lastErrorKind) ? 'AUTH_FAILED' : 'SERVER_UNREACHABLE'));
    const phase = isDown ? 'down' : recovered && !(lastDown && lastDown.updatedAt > recovered.updatedAt) ? 'recovered' : 'recovering';
    return {
      kind,
      since: row.downSince,
      downAt: lastDown?.updatedAt ?? row.downSince,
      count: Math.max(1, row.flapCount),
      phase,
      upSince: phase === 'recovering' ? now : null,
      recoveredAt: recovered?.updatedAt ?? null,
    };
  }

  private async run(serverId: string, effects: HealthEffect[], row: HealthRow, now: Date): Promise<void> {
    for (const effect of effects) {
      if (effect.type === 'recheckAt') {
        this.scheduleRecheck(serverId, Math.max(0, effect.at.getTime() - now.getTime()));
        continue;
      }
      const notifier = this.options.notifier;
      const outage = this.outages.get(serverId);
      if (!notifier || !outage) continue;
      try {
        const text = await this.describe(serverId, effect, outage, row, now);
        if (!text) continue;
        const kind = effect.type === 'notifyOutage' ? effect.kind : 'SERVER_RECOVERED';
        if (effect.repeat) await notifier.foldOrNotify(serverId, kind, outage.since, text);
        else await notifier.notifyChannelManagers({ kind, serverId, ...text });
        this.logger.info({ serverId, kind, repeat: effect.repeat, count: outage.count }, 'notified channel managers');
      } catch (err) {
        this.logger.warn({ err, serverId }, 'could not create the health notification');
      }
    }
  }

  private async describe(serverId: string, effect: Exclude<HealthEffect, { type: 'recheckAt' }>, outage: Outage, row: HealthRow, now: Date) {
    const [server] = await this.db
      .select({ name: incomingServers.name, email: incomingServers.email, host: incomingServers.host, port: incomingServers.port })
      .from(incomingServers)
      .where(eq(incomingServers.id, serverId));
    if (!server) return null;
    const episodeMs = now.getTime() - outage.since.getTime();
    if (effect.type === 'notifyRecovered') return recoveryNotice(outage.kind, server, { downMs: effect.downMs, count: outage.count, episodeMs });
    return outageNotice(effect.kind, server, { reason: row.lastErrorMessage, count: outage.count, episodeMs });
  }

  private scheduleRecheck(serverId: string, ms: number): void {
    if (this.stopped) return;
    this.cancelRecheck(serverId);
    const cancel = this.schedule(() => {
      if (this.rechecks.get(serverId) === cancel) this.rechecks.delete(serverId);
      void this.report(serverId, {});
    }, ms);
    this.rechecks.set(serverId, cancel);
  }

  private cancelRecheck(serverId: string): void {
    this.rechecks.get(serverId)?.();
    this.rechecks.delete(serverId);
  }
}

function defaultHealth(serverId: string): HealthRow {
  return {
    serverId, status: 'UNKNOWN', connectionState: 'connecting', lastSyncAt: null, inboundQueueCount: 0,
    lastErrorMessage: null, lastErrorKind: null, lastErrorAt: null, oldestWaitingAt: null, downSince: null,
    outageNotifiedAt: null, flapCount: 0, consecutiveAuthFailures: 0, idlePush: null, updatedAt: new Date(),
  };
}
