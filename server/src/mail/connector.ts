import type { ErrorKind, IncomingServerRow, ServerCredentials } from '../db/schema.js';
import type { Logger } from '../lib/logger.js';
import type { CheckpointStore } from './checkpoints.js';
import type { HealthReporter, MessageSink } from './ports.js';
import type { ProxyConfig } from './proxy.js';

/** One per enabled server; owns its connection and never throws out of its loop. */
export interface MailConnector {
  start(): void;
  stop(): Promise<void>;
}

export interface ConnectorDeps {
  ingest: MessageSink;
  health: HealthReporter;
  checkpoints: CheckpointStore;
  logger: Logger;
  allowLoopback: boolean;
  faultPoint?: string;
  credentials: ServerCredentials;
  /** The server's proxy, if it names one: every connection of this mailbox goes through it. */
  proxy: ProxyConfig | null;
  /** A valid OAuth access token (refreshed when it expires within 30 s); throws MailError OAUTH_TOKEN when it can't. */
  accessToken(opts?: { rejected?: string }): Promise<string>;
}

export type ConnectorFactory = (server: IncomingServerRow, deps: ConnectorDeps) => MailConnector;

/** A failure the connector understood, with our own wording (never the server's text or a secret). */
export class MailError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly options: { permanent?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  /** The server told us when to come back (Retry-After, ErrorServerBusy's BackOffMilliseconds). */
  get retryAfterMs(): number | undefined {
    return this.options.retryAfterMs;
  }
}

/**
 * A failure of Mailroom's own work during a session (saving tickets or the checkpoint): named as
 * ours, with what we were doing and the error's first line, so the card shows the real reason
 * instead of blaming the mail server.
 */
export function internalFailure(doing: string, err: unknown): MailError {
  if (err instanceof MailError) return err;
  const text = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim().slice(0, 200);
  return new MailError('INTERNAL', `Mailroom failed while ${doing}${text ? `: ${text}` : ''}`, { cause: err });
}
