// A subscriber that stops reading must never take the process down: graphql-yoga's own queue
// threw from the publisher after 1,024 unread events. Ours ends that one subscription instead.
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/src/lib/logger.ts';
import { MAX_EVENTS_BEHIND, SubscriberBehind, createEventBus } from '../../server/src/lib/pubsub.ts';

const logger = createLogger('silent');

describe('event bus subscriptions', () => {
  it('deliver every event, in order, to a reader that keeps up', async () => {
    const bus = await createEventBus(null, logger);
    const sub = bus.subscribe('ticketCreated')[Symbol.asyncIterator]();
    const got: string[] = [];
    for (let i = 0; i < 3 * MAX_EVENTS_BEHIND; i++) {
      const next = sub.next(); // a subscription starts listening on its first read
      bus.publish('ticketCreated', `t${i}`);
      got.push((await next).value as string);
    }
    expect(got).toEqual(Array.from({ length: 3 * MAX_EVENTS_BEHIND }, (_, i) => `t${i}`));
    await sub.return?.();
  });

  it('end only the subscription that stopped reading, with SubscriberBehind, while the others and the publisher go on', async () => {
    const bus = await createEventBus(null, logger);
    const stalled = bus.subscribe('ticketCreated')[Symbol.asyncIterator]();
    const live = bus.subscribe('ticketCreated')[Symbol.asyncIterator]();
    void stalled.next(); // started, then never read again
    const seen: string[] = [];
    const reading = (async () => {
      for (;;) {
        const r = await live.next();
        if (r.done) return;
        seen.push(r.value as string);
      }
    })();
    const total = MAX_EVENTS_BEHIND + 500;
    for (let i = 0; i < total; i++) {
      expect(() => bus.publish('ticketCreated', `t${i}`)).not.toThrow();
      if (i % 100 === 99) await tick(); // events arrive over many turns, as NOTIFY delivers them
    }
    await tick();
    await tick();
    expect(seen).toHaveLength(total);
    // What the stalled reader still holds, then the end.
    let read = 0;
    let error: unknown = null;
    try {
      for (;;) {
        const r = await stalled.next();
        if (r.done) break;
        read++;
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SubscriberBehind);
    expect(read).toBeLessThanOrEqual(MAX_EVENTS_BEHIND);
    await live.return?.();
    await reading;
  });
});

describe('event bus between processes (NOTIFY)', () => {
  it('sends what one turn of the event loop published as one NOTIFY statement, and a later event in its own', async () => {
    const sent: string[][] = [];
    let deliver: (payload: string) => void = () => {};
    const bus = await createEventBus({ listen: async (_channel, onMessage) => void (deliver = onMessage), notify: async (_channel, payloads) => void sent.push(payloads) }, logger);
    bus.publish('ticketCreated', 't1');
    bus.publish('emailAuditAdded', 'a1,a2');
    await tick();
    bus.publish('ticketUpdated', 't1');
    await tick();
    expect(sent.map((batch) => batch.map((p) => (JSON.parse(p) as { topic: string }).topic))).toEqual([['ticketCreated', 'emailAuditAdded'], ['ticketUpdated']]);

    // This process's own subscribers heard each event once: the echo of its NOTIFY is dropped, another process's event is heard.
    const sub = bus.subscribe('ticketCreated')[Symbol.asyncIterator]();
    const next = sub.next();
    for (const p of sent.flat()) deliver(p);
    deliver(JSON.stringify({ topic: 'ticketCreated', detail: 't2', origin: 'another process' }));
    expect((await next).value).toBe('t2');
    await sub.return?.();
  });
});
