import { describe, expect, it } from 'vitest';
import {
  conditionOf, conditionOfRow, lagSeconds, observe, statusFor, type Condition, type HealthEffect, type Outage,
} from '../../server/src/modules/health/health.transitions.ts';

const timing = { recoveryStableMs: 60_000, flapWindowMs: 300_000 };
const T0 = Date.parse('2025-11-25T10:00:00Z');

/** Feeds (seconds after T0, condition) observations through the state machine, collecting the notifications. */
function run(steps: [number, Condition][], start: Outage | null = null) {
  let outage = start;
  const notes: Exclude<HealthEffect, { type: 'recheckAt' }>[] = [];
  const rechecks: number[] = [];
  for (const [s, condition] of steps) {
    const r = observe(outage, condition, new Date(T0 + s * 1000), timing);
    outage = r.outage;
    for (const e of r.effects) {
      if (e.type === 'recheckAt') rechecks.push((e.at.getTime() - T0) / 1000);
      else notes.push(e);
    }
  }
  return { outage, notes, rechecks };
}

describe('health transitions', () => {
  it('a server going down raises one outage notification, however often the failure is repeated', () => {
    const { outage, notes } = run([[0, 'SERVER_UNREACHABLE'], [2, 'SERVER_UNREACHABLE'], [5, 'SERVER_UNREACHABLE'], [35, 'SERVER_UNREACHABLE']]);
    expect(notes).toEqual([{ type: 'notifyOutage', kind: 'SERVER_UNREACHABLE', repeat: false }]);
    expect(outage).toMatchObject({ kind: 'SERVER_UNREACHABLE', count: 1, phase: 'down', since: new Date(T0) });
  });

  it('degraded (reachable, but mail the server reports cannot be read) is no outage and never "connected"', () => {
    expect(statusFor('degraded', 'UNKNOWN')).toBe('REACHABLE');
    expect(conditionOf('degraded', 'SERVER_UNREACHABLE')).toBe('UP');
    expect(conditionOfRow({ connectionState: 'degraded', status: 'REACHABLE', lastErrorKind: 'PROTOCOL' })).toBe('UP');
  });

  it('connecting between failed attempts is not a recovery', () => {
    let prev: Condition | null = null;
    const conditions = (['connecting', 'connectError', 'connecting', 'connectError', 'connecting', 'connectError'] as const).map((s) => (prev = conditionOf(s, prev)));
    expect(conditions).toEqual([null, 'SERVER_UNREACHABLE', 'SERVER_UNREACHABLE', 'SERVER_UNREACHABLE', 'SERVER_UNREACHABLE', 'SERVER_UNREACHABLE']);
    const { notes } = run(conditions.filter((c): c is Condition => c !== null).map((c, i) => [i * 10, c]));
    expect(notes).toHaveLength(1);
    // A row stored while connecting remembers what came before it.
    expect(conditionOfRow({ connectionState: 'connecting', status: 'UNREACHABLE', lastErrorKind: 'NETWORK' })).toBe('SERVER_UNREACHABLE');
    expect(conditionOfRow({ connectionState: 'connecting', status: 'UNREACHABLE', lastErrorKind: 'AUTH' })).toBe('AUTH_FAILED');
    expect(conditionOfRow({ connectionState: 'connecting', status: 'REACHABLE', lastErrorKind: null })).toBe('UP');
    expect(conditionOfRow({ connectionState: 'connecting', status: 'UNKNOWN', lastErrorKind: null })).toBeNull();
  });

  it('flapping down/up/down/up/down within a minute folds into one notification with count 3 and announces no recovery', () => {
    const { outage, notes } = run([[0, 'SERVER_UNREACHABLE'], [20, 'UP'], [30, 'SERVER_UNREACHABLE'], [45, 'UP'], [50, 'SERVER_UNREACHABLE']]);
    expect(notes).toEqual([
      { type: 'notifyOutage', kind: 'SERVER_UNREACHABLE', repeat: false },
      { type: 'notifyOutage', kind: 'SERVER_UNREACHABLE', repeat: true },
      { type: 'notifyOutage', kind: 'SERVER_UNREACHABLE', repeat: true },
    ]);
    expect(outage).toMatchObject({ count: 3, phase: 'down', since: new Date(T0) });
  });

  it('announces the recovery once the server stayed up for the stable period, and asks to be woken for it', () => {
    const { outage, notes, rechecks } = run([[0, 'SERVER_UNREACHABLE'], [30, 'UP'], [60, 'UP'], [89, 'UP'], [90, 'UP'], [100, 'UP']]);
    expect(notes.map((n) => n.type)).toEqual(['notifyOutage', 'notifyRecovered']);
    expect(notes[1]).toEqual({ type: 'notifyRecovered', repeat: false, downMs: 30_000 });
    expect(rechecks.slice(0, 2)).toEqual([90, 90]);
    expect(outage).toMatchObject({ phase: 'recovered', recoveredAt: new Date(T0 + 90_000) });
  });

  it('a failure soon after an announced recovery folds into the same outage; its next recovery folds into the recovery notification', () => {
    const { outage, notes } = run([[0, 'SERVER_UNREACHABLE'], [10, 'UP'], [70, 'UP'], [200, 'SERVER_UNREACHABLE'], [210, 'UP'], [270, 'UP']]);
    expect(notes).toEqual([
      { type: 'notifyOutage', kind: 'SERVER_UNREACHABLE', repeat: false },
      { type: 'notifyRecovered', repeat: false, downMs: 10_000 },
      { type: 'notifyOutage', kind: 'SERVER_UNREACHABLE', repeat: true },
      { type: 'notifyRecovered', repeat: true, downMs: 10_000 },
    ]);
    expect(outage).toMatchObject({ count: 2, since: new Date(T0) });
  });

  it('after the flap window the outage is over, and the next failure is news again', () => {
    const { outage, notes } = run([[0, 'SERVER_UNREACHABLE'], [10, 'UP'], [70, 'UP'], [370, 'UP']]);
    expect(outage).toBeNull();
    expect(notes).toHaveLength(2);
    const again = run([[0, 'SERVER_UNREACHABLE'], [10, 'UP'], [70, 'UP'], [371, 'SERVER_UNREACHABLE']]);
    expect(again.notes.at(-1)).toEqual({ type: 'notifyOutage', kind: 'SERVER_UNREACHABLE', repeat: false });
    expect(again.outage).toMatchObject({ count: 1, since: new Date(T0 + 371_000) });
  });

  it('an authentication error raises AUTH_FAILED; a different kind of failure is a new notification', () => {
    expect(run([[0, 'AUTH_FAILED']]).notes).toEqual([{ type: 'notifyOutage', kind: 'AUTH_FAILED', repeat: false }]);
    const { notes, outage } = run([[0, 'SERVER_UNREACHABLE'], [30, 'AUTH_FAILED']]);
    expect(notes.map((n) => n.type === 'notifyOutage' && n.kind)).toEqual(['SERVER_UNREACHABLE', 'AUTH_FAILED']);
    expect(outage).toMatchObject({ kind: 'AUTH_FAILED', count: 1 });
  });

  it('disabling a server ends its outage without announcing anything', () => {
    const { outage, notes } = run([[0, 'SERVER_UNREACHABLE'], [10, 'OFF'], [20, 'UP'], [200, 'UP']]);
    expect(outage).toBeNull();
    expect(notes).toHaveLength(1);
  });

  it('up without an outage changes nothing', () => {
    expect(run([[0, 'UP'], [100, 'UP']])).toEqual({ outage: null, notes: [], rechecks: [] });
  });

  it('lag is the age of the oldest waiting message, 0 when nothing waits, unknown otherwise', () => {
    const now = new Date(T0);
    expect(lagSeconds({ oldestWaitingAt: new Date(T0 - 90_000), inboundQueueCount: 4, status: 'REACHABLE' }, now)).toBe(90);
    expect(lagSeconds({ oldestWaitingAt: null, inboundQueueCount: 0, status: 'REACHABLE' }, now)).toBe(0);
    expect(lagSeconds({ oldestWaitingAt: null, inboundQueueCount: 0, status: 'UNREACHABLE' }, now)).toBeNull();
  });
});
