import type { Logger } from '../lib/logger.js';
import { Backoff } from './backoff.js';
import { MailError, internalFailure, type ConnectorDeps, type MailConnector } from './connector.js';
import type { HealthPatch } from './ports.js';
import type { IncomingServerRow } from '../db/schema.js';

/**
 * The state machine every protocol shares: `session()` connects, syncs and waits for more mail
 * until it fails or the connector stops. Failures become `connectError` (retried with jittered
 * backoff that resets only after a connection stayed up) or `authenticationError` (not retried:
 * a credentials change restarts the connector, so a revoked token can't cause a retry storm).
 */
export abstract class ConnectorLoop implements MailConnector {
  protected stopped = false;
  protected readonly backoff = new Backoff();
  protected readonly log: Logger;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  protected wakePending = false;

  constructor(protected readonly server: IncomingServerRow, protected readonly deps: ConnectorDeps, source: string) {
    this.log = deps.logger.child({ source, serverId: server.id });
  }

  /** One connected session; returns only when stopped, throws on any failure. */
  protected abstract session(): Promise<void>;
  /** Maps a protocol or socket failure to our own wording. */
  protected abstract classify(err: unknown): MailError;
  /** Ends the current connection quickly (called by stop()). */
  protected abstract disconnect(): Promise<void>;

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.disconnect().catch(() => {});
    await this.loop;
  }

  protected report(patch: HealthPatch): Promise<void> {
    return this.deps.health.report(this.server.id, patch);
  }

  /** Runs Mailroom's own part of a session (database reads and writes); its failures are named as ours. */
  protected async ours<T>(doing: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw internalFailure(doing, err);
    }
  }

  /** New mail or a dropped connection: end the current wait now. */
  protected wake(): void {
    this.wakePending = true;
    this.wakeUp?.();
  }

  /** Waits for the delay or a wake-up, whichever comes first. */
  protected sleep(ms: number): Promise<void> {
    if (this.wakePending || this.stopped) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        this.wakePending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.report({ connectionState: 'connecting' });
        await this.session();
      } catch (err) {
        if (this.stopped) break;
        const failure = err instanceof MailError ? err : this.classify(err);
        // Our wording names the class of failure; the log keeps what actually happened.
        const cause = failure.cause ?? err;
        if (failure.kind === 'INTERNAL') this.log.error({ err: cause }, 'mailbox session failed inside Mailroom');
        else this.log.debug({ err: cause }, 'mailbox session failed');
        if (failure.kind === 'AUTH' || failure.kind === 'OAUTH_TOKEN') {
          this.log.warn({ reason: failure.message }, 'authentication failed; waiting for new credentials');
          await this.report({ connectionState: 'authenticationError', error: { kind: failure.kind, message: failure.message } });
          return;
        }
        const delay = failure.retryAfterMs ?? this.backoff.failed(Date.now());
        this.log.warn({ kind: failure.kind, reason: failure.message, retryInMs: delay }, 'mailbox connection failed');
        await this.report({ connectionState: 'connectError', error: { kind: failure.kind, message: failure.message } });
        this.wakePending = false; // signals from the dead session must not cut the backoff short
        await this.sleep(delay);
      }
    }
  }
}
