import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { serverHealth, type ConnectionState, type ErrorKind, type ServerStatus } from '../../db/schema.js';
import type { Logger } from '../../lib/logger.js';
import type { PubSub } from '../../lib/pubsub.js';

export type HealthRow = typeof serverHealth.$inferSelect;

export interface HealthPatch {
  connectionState?: ConnectionState;
  lastSyncAt?: Date;
  inboundQueueCount?: number;
  error?: { kind: ErrorKind; message: string } | null;
}

/** Reachable means the mail server answered; an auth failure still leaves the mailbox unread, so it counts as unreachable. */
export function statusFor(state: ConnectionState, previous: ServerStatus): ServerStatus {
  switch (state) {
    case 'connected':
    case 'syncing': return 'REACHABLE';
    case 'connectError':
    case 'authenticationError': return 'UNREACHABLE';
    case 'disabled': return 'UNKNOWN';
    case 'connecting': return previous;
  }
}

/**
 * Keeps each server's health row current and publishes `incomingEmailServerUpdated` on every change.
 * Writes are serialised per server so a slow write never lets an older state overwrite a newer one.
 */
export class HealthService {
  private readonly cache = new Map<string, HealthRow>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly db: Db, private readonly pubsub: PubSub, private readonly logger: Logger) {}

  async get(serverId: string): Promise<HealthRow> {
    const cached = this.cache.get(serverId);
    if (cached) return cached;
    const [row] = await this.db.select().from(serverHealth).where(eq(serverHealth.serverId, serverId));
    return row ?? defaultHealth(serverId);
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
    this.chains.delete(serverId);
  }

  private async apply(serverId: string, patch: HealthPatch): Promise<void> {
    const current = await this.get(serverId);
    const connectionState = patch.connectionState ?? current.connectionState;
    const values: HealthRow = {
      ...current,
      connectionState,
      status: statusFor(connectionState, current.status),
      lastSyncAt: patch.lastSyncAt ?? current.lastSyncAt,
      inboundQueueCount: patch.inboundQueueCount ?? current.inboundQueueCount,
      updatedAt: new Date(),
    };
    if (patch.error !== undefined) {
      values.lastErrorKind = patch.error?.kind ?? null;
      values.lastErrorMessage = patch.error?.message ?? null;
      values.lastErrorAt = patch.error ? new Date() : current.lastErrorAt;
    }
    const changed = (['connectionState', 'status', 'lastSyncAt', 'inboundQueueCount', 'lastErrorKind', 'lastErrorMessage'] as const).some(
      (k) => String(values[k] ?? '') !== String(current[k] ?? ''),
    );
    if (!changed) return;
    const [row] = await this.db
      .insert(serverHealth)
      .values(values)
      .onConflictDoUpdate({ target: serverHealth.serverId, set: { ...values, serverId: undefined } })
      .returning();
    if (!row) return;
    this.cache.set(serverId, row);
    await this.pubsub.publish('incomingEmailServerUpdated', serverId);
  }
}

function defaultHealth(serverId: string): HealthRow {
  return {
    serverId, status: 'UNKNOWN', connectionState: 'connecting', lastSyncAt: null, inboundQueueCount: 0,
    lastErrorMessage: null, lastErrorKind: null, lastErrorAt: null, oldestWaitingAt: null, downSince: null,
    outageNotifiedAt: null, flapCount: 0, consecutiveAuthFailures: 0, updatedAt: new Date(),
  };
}
