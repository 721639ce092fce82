import type { Logger } from '../../lib/logger.js';
import type { PubSub } from '../../lib/pubsub.js';
import type { AuthService } from './auth.service.js';

/** graphql-ws's close code for a connection that is not (or no longer) allowed. */
export const FORBIDDEN_CLOSE = 4403;

export interface LiveSocket {
  tokenId: string;
  userId: string;
  expiresAt: Date | null;
  close(code: number, reason: string): void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The WebSockets open in this process, by the token and user that opened them. A connection
 * authenticates once, so it must be ended from outside when its grant ends: a revocation event
 * (sign-out, token revoked, user deactivated — from any process, over the pub/sub) closes it at
 * once, its token's expiry closes it on time, and a periodic check against the database catches
 * anything the events missed (a row deleted by hand, a process that slept through an event).
 */
export class LiveSessions {
  private readonly sockets = new Set<LiveSocket>();
  private readonly timers = new Map<LiveSocket, NodeJS.Timeout>();
  private sweep: NodeJS.Timeout | null = null;
  private events: AsyncIterator<unknown> | null = null;

  constructor(
    private readonly pubsub: PubSub,
    private readonly auth: AuthService,
    private readonly logger: Logger,
    private readonly sweepIntervalMs = 60_000,
  ) {}

  start(): void {
    const iterable = this.pubsub.subscribe('sessionsRevoked');
    const iterator = iterable[Symbol.asyncIterator]();
    this.events = iterator;
    void (async () => {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        const { tokenIds = [], userIds = [] } = next.value;
        this.closeWhere((s) => tokenIds.includes(s.tokenId) || userIds.includes(s.userId), 'Session ended');
      }
    })().catch((err: unknown) => this.logger.error({ err }, 'session revocation listener stopped'));
    this.sweep = setInterval(() => void this.closeDead(), this.sweepIntervalMs);
    this.sweep.unref();
  }

  async stop(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.events?.return?.();
  }

  /** Tracks an authenticated socket; call the returned function when it closes. */
  register(socket: LiveSocket): () => void {
    this.sockets.add(socket);
    if (socket.expiresAt) {
      const schedule = () => {
        const left = socket.expiresAt!.getTime() - Date.now();
        if (left <= 0) return this.close(socket, 'Session expired');
        this.timers.set(socket, setTimeout(schedule, Math.min(left, MAX_TIMER_MS)));
      };
      schedule();
    }
    return () => this.forget(socket);
  }

  get size(): number {
    return this.sockets.size;
  }

  private async closeDead(): Promise<void> {
    try {
      const dead = await this.auth.deadTokens([...new Set([...this.sockets].map((s) => s.tokenId))]);
      this.closeWhere((s) => dead.has(s.tokenId), 'Session ended');
    } catch (err) {
      this.logger.warn({ err }, 'could not re-check the sessions of open WebSockets');
    }
  }

  private closeWhere(match: (s: LiveSocket) => boolean, reason: string): void {
    for (const s of [...this.sockets]) if (match(s)) this.close(s, reason);
  }

  private close(socket: LiveSocket, reason: string): void {
    this.forget(socket);
    try {
      socket.close(FORBIDDEN_CLOSE, reason);
    } catch (err) {
      this.logger.debug({ err }, 'closing a revoked WebSocket failed (already closed)');
    }
  }

  private forget(socket: LiveSocket): void {
    this.sockets.delete(socket);
    clearTimeout(this.timers.get(socket));
    this.timers.delete(socket);
  }
}
