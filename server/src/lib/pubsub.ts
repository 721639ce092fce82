import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createPubSub, Repeater } from 'graphql-yoga';
import type { Logger } from './logger.js';

/** Event name → payload. Payloads are ids so every subscriber reads the committed row itself. */
export type Events = {
  ticketCreated: [ticketId: string];
  ticketUpdated: [ticketId: string];
  incomingEmailServerUpdated: [serverId: string];
  /** Configuration of a server changed (any process): its owner restarts the connector. */
  incomingServerChanged: [serverId: string];
  notificationAdded: [notificationId: string];
  /** A notification's count (a flapping outage), text or read flag changed. */
  notificationUpdated: [notificationId: string];
  /** Email audit entries written by one committed batch (comma-separated ids, oldest first). */
  emailAuditAdded: [entryIds: string];
  /** Tokens deleted or users deactivated: every process closes the WebSockets they opened. */
  sessionsRevoked: [revoked: { tokenIds?: string[]; userIds?: string[] }];
};

export type PubSub = ReturnType<typeof createPubSub<Events>>;

/** LISTEN/NOTIFY on a PostgreSQL server; absent for the embedded database (one process). */
export interface NotifyTransport {
  listen(channel: string, onMessage: (payload: string) => void): Promise<void>;
  /** One statement for all of them. */
  notify(channel: string, payloads: string[]): Promise<void>;
}

const CHANNEL = 'mailroom_events';

/**
 * An EventTarget for graphql-yoga's pub/sub that also goes through PostgreSQL NOTIFY, so a
 * subscriber on any process sees events published by every process. This process's own
 * subscribers hear an event at once (waiting for our NOTIFY to come back cost 2-5 ms of every
 * live update); the echo is recognised by its origin and dropped. Events only say what changed
 * (ids): subscribers read the current state, so the order across processes does not matter.
 */
class PostgresEventTarget extends EventTarget {
  private readonly origin = randomUUID();
  /** Published in this turn of the event loop, sent together (a committed mail is two events). */
  private outgoing: string[] = [];

  constructor(private readonly transport: NotifyTransport, private readonly logger: Logger) {
    super();
  }

  async start(): Promise<void> {
    await this.transport.listen(CHANNEL, (payload) => {
      try {
        const { topic, detail, origin } = JSON.parse(payload) as { topic: string; detail: unknown; origin?: string };
        if (origin !== this.origin) super.dispatchEvent(new CustomEvent(topic, { detail }));
      } catch (err) {
        this.logger.warn({ err }, 'ignored a malformed event notification');
      }
    });
  }

  override dispatchEvent(event: Event): boolean {
    const detail = (event as CustomEvent).detail;
    super.dispatchEvent(new CustomEvent(event.type, { detail }));
    if (!this.outgoing.length) queueMicrotask(() => this.send());
    this.outgoing.push(JSON.stringify({ topic: event.type, detail, origin: this.origin }));
    return true;
  }

  private send(): void {
    const payloads = this.outgoing;
    this.outgoing = [];
    this.transport.notify(CHANNEL, payloads).catch((err: unknown) => {
      // The database is down: this process's subscribers heard it; the others re-read when they reconnect.
      this.logger.warn({ err, events: payloads.length }, 'NOTIFY failed; other processes miss these events');
    });
  }
}

/** Events a subscriber may fall behind by before its subscription ends. */
export const MAX_EVENTS_BEHIND = 1000;

/** A subscriber that stopped reading: its subscription ends (the client subscribes again and re-reads what it shows). */
export class SubscriberBehind extends Error {
  constructor() {
    super(`The subscription fell more than ${MAX_EVENTS_BEHIND} events behind and was ended; subscribe again`);
  }
}

/** Subscriptions of this process still listening to the event bus (the tests watch it for leaks). */
let live = 0;
export const liveSubscriptions = (): number => live;

/**
 * A subscription's events, ended with SubscriberBehind once its reader is MAX_EVENTS_BEHIND
 * behind. graphql-yoga's own queue throws from the publisher's dispatch after 1,024 unread
 * events (an uncaught exception: the process went down when one client stopped reading).
 */
function bounded<T>(source: Repeater<T>): Repeater<T> {
  return new Repeater<T>(async (push, stop) => {
    let behind = 0;
    live++;
    void stop.then(() => source.return());
    try {
      for await (const value of source) {
        if (behind >= MAX_EVENTS_BEHIND) {
          stop(new SubscriberBehind());
          break;
        }
        behind++;
        push(value).then(() => behind--, () => {});
      }
      stop();
    } finally {
      live--;
    }
  });
}

function withBoundedSubscriptions(inner: PubSub): PubSub {
  return { publish: inner.publish, subscribe: ((...args: Parameters<PubSub['subscribe']>) => bounded(inner.subscribe(...args))) as PubSub['subscribe'] };
}

export async function createEventBus(transport: NotifyTransport | null, logger: Logger): Promise<PubSub> {
  // Every open subscription is a listener; hundreds are normal, not a leak.
  if (!transport) {
    const local = new EventTarget();
    setMaxListeners(0, local);
    return withBoundedSubscriptions(createPubSub<Events>({ eventTarget: local }));
  }
  const eventTarget = new PostgresEventTarget(transport, logger);
  setMaxListeners(0, eventTarget);
  await eventTarget.start();
  return withBoundedSubscriptions(createPubSub<Events>({ eventTarget }));
}
