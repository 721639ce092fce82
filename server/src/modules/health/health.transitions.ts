import type { ConnectionState, ErrorKind, ServerStatus } from '../../db/schema.js';

/** The two ways a mailbox can be down, named after the notification each one raises. */
export type OutageKind = 'SERVER_UNREACHABLE' | 'AUTH_FAILED';

/** What the connection state means for notifications: up, down (and how), or switched off. */
export type Condition = 'UP' | OutageKind | 'OFF';

export interface HealthTiming {
  /** A server that came back must stay up this long before its recovery is announced. */
  recoveryStableMs: number;
  /** A new failure this soon after an announced recovery folds into the same outage. */
  flapWindowMs: number;
}

/*
 * Why these values: connectors retry a dead server with backoff capped at 30 s, and a flapping
 * server (overloaded, a load balancer with one bad node) typically answers for a few seconds to a
 * minute between failures. One minute of uninterrupted health is therefore enough to believe a
 * recovery; five minutes after that, a new failure is news again rather than the same incident.
 */
export const DEFAULT_HEALTH_TIMING: HealthTiming = { recoveryStableMs: 60_000, flapWindowMs: 5 * 60_000 };

/**
 * One outage ("episode"): from the first failure until the server has stayed up for the flap
 * window after its recovery was announced. Every failure inside it folds into one notification.
 */
export interface Outage {
  kind: OutageKind;
  since: Date;
  /** The latest failure folded into the outage (= since for the first one). */
  downAt: Date;
  /** Failures folded into the outage notification (1 = went down once). */
  count: number;
  phase: 'down' | 'recovering' | 'recovered';
  /** phase `recovering`: when the server came back. */
  upSince: Date | null;
  /** When a recovery of this outage was last announced (null: not yet). */
  recoveredAt: Date | null;
}

export type HealthEffect =
  /** Tell the channel managers; `repeat` folds it into the outage's existing notification (count + 1). */
  | { type: 'notifyOutage'; kind: OutageKind; repeat: boolean }
  /** `downMs`: from the latest failure until the server came back (not until the recovery was believed). */
  | { type: 'notifyRecovered'; repeat: boolean; downMs: number }
  /** Observe again at this time even if nothing is reported (a quiet IDLE connection reports nothing). */
  | { type: 'recheckAt'; at: Date };

/** Reachable means the mail server answered; an auth failure still leaves the mailbox unread, so it counts as unreachable. */
export function statusFor(state: ConnectionState, previous: ServerStatus): ServerStatus {
  switch (state) {
    case 'connected':
    case 'degraded':
    case 'syncing': return 'REACHABLE';
    case 'connectError':
    case 'authenticationError': return 'UNREACHABLE';
    case 'disabled': return 'UNKNOWN';
    case 'connecting': return previous;
  }
}

/**
 * `connecting` is what a connector reports between attempts, so it keeps the previous condition:
 * connectError → connecting → connectError is one outage, and connected → connecting → connected no event.
 * `degraded` is no outage: the server answers and Mailroom keeps trying; the card shows the reason.
 */
export function conditionOf(state: ConnectionState, previous: Condition | null): Condition | null {
  switch (state) {
    case 'connected':
    case 'degraded':
    case 'syncing': return 'UP';
    case 'connectError': return 'SERVER_UNREACHABLE';
    case 'authenticationError': return 'AUTH_FAILED';
    case 'disabled': return 'OFF';
    case 'connecting': return previous;
  }
}

/** The condition a stored health row stands for (a row saved while `connecting` keeps what came before). */
export function conditionOfRow(row: { connectionState: ConnectionState; status: ServerStatus; lastErrorKind: ErrorKind | null }): Condition | null {
  if (row.connectionState !== 'connecting') return conditionOf(row.connectionState, null);
  if (row.status === 'REACHABLE') return 'UP';
  if (row.status === 'UNREACHABLE') return isAuthError(row.lastErrorKind) ? 'AUTH_FAILED' : 'SERVER_UNREACHABLE';
  return null;
}

export function isAuthError(kind: ErrorKind | null | undefined): boolean {
  return kind === 'AUTH' || kind === 'OAUTH_TOKEN';
}

/**
 * The outage state machine. Called with the current condition on every health report and on
 * every recheck; repeating an observation changes nothing, so it is safe to call often.
 *
 *   (none) --down--> down --up--> recovering --stable--> recovered --flap window--> (none)
 *                     ^               |                      |
 *                     +-----down------+----------down--------+   (folded: count + 1)
 */
export function observe(outage: Outage | null, condition: Condition, at: Date, timing: HealthTiming): { outage: Outage | null; effects: HealthEffect[] } {
  const t = at.getTime();
  if (condition === 'OFF') return { outage: null, effects: [] }; // an admin switched it off: nothing to announce

  if (condition !== 'UP') {
    const episodeOver = outage?.phase === 'recovered' && t - outage.recoveredAt!.getTime() >= timing.flapWindowMs;
    if (!outage || episodeOver || outage.kind !== condition) {
      // A different kind of failure (the network came back but the password is now refused) is a new problem.
      return {
        outage: { kind: condition, since: at, downAt: at, count: 1, phase: 'down', upSince: null, recoveredAt: null },
        effects: [{ type: 'notifyOutage', kind: condition, repeat: false }],
      };
    }
    if (outage.phase === 'down') return { outage, effects: [] };
    return {
      outage: { ...outage, downAt: at, count: outage.count + 1, phase: 'down', upSince: null },
      effects: [{ type: 'notifyOutage', kind: condition, repeat: true }],
    };
  }

  if (!outage) return { outage: null, effects: [] };
  switch (outage.phase) {
    case 'down':
      return { outage: { ...outage, phase: 'recovering', upSince: at }, effects: [{ type: 'recheckAt', at: new Date(t + timing.recoveryStableMs) }] };
    case 'recovering': {
      const stableAt = outage.upSince!.getTime() + timing.recoveryStableMs;
      if (t < stableAt) return { outage, effects: [{ type: 'recheckAt', at: new Date(stableAt) }] };
      return {
        outage: { ...outage, phase: 'recovered', upSince: null, recoveredAt: at },
        effects: [
          { type: 'notifyRecovered', repeat: outage.recoveredAt !== null, downMs: outage.upSince!.getTime() - outage.downAt.getTime() },
          { type: 'recheckAt', at: new Date(t + timing.flapWindowMs) },
        ],
      };
    }
    case 'recovered': {
      const closesAt = outage.recoveredAt!.getTime() + timing.flapWindowMs;
      if (t >= closesAt) return { outage: null, effects: [] };
      return { outage, effects: [{ type: 'recheckAt', at: new Date(closesAt) }] };
    }
  }
}

/** Age of the oldest message waiting; 0 for a reachable server with nothing waiting; null when unknown. */
export function lagSeconds(row: { oldestWaitingAt: Date | null; inboundQueueCount: number; status: ServerStatus }, now: Date): number | null {
  if (row.oldestWaitingAt) return Math.max(0, Math.round((now.getTime() - row.oldestWaitingAt.getTime()) / 1000));
  return row.status === 'REACHABLE' && row.inboundQueueCount === 0 ? 0 : null;
}
