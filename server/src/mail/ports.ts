import type { ConnectionState, ErrorKind, IncomingServerRow, OAuthSecrets, OutgoingServerRow, ServerCredentials } from '../db/schema.js';
import type { IngestService } from '../ingest/ingest.service.js';
import type { SmtpTarget } from './outbound/smtp.js';

// What the connectors and the outbound worker need from the rest of Mailroom, as small
// interfaces: modules implement them and services.ts wires them in, so nothing under mail/
// knows a module.

/** What a connector says about its mailbox; the health module turns it into status, outages and notifications. */
export interface HealthPatch {
  connectionState?: ConnectionState;
  lastSyncAt?: Date;
  inboundQueueCount?: number;
  /** Arrival of the oldest message still waiting, when the protocol can tell; otherwise approximated (see HealthService.apply). */
  oldestWaitingAt?: Date | null;
  error?: { kind: ErrorKind; message: string } | null;
  /** IMAP: whether the server's IDLE pushes new mail (imap/imap-push.ts). */
  idlePush?: boolean | null;
}

export interface HealthReporter {
  report(serverId: string, patch: HealthPatch): Promise<void>;
  /** What is known of the server (the last report's state), for a connector that starts. */
  get(serverId: string): Promise<{ idlePush: boolean | null }>;
  /** The server was deleted: drop what is held for it. */
  forget(serverId: string): void;
}

/** Where fetched messages go: the ingest pipeline. */
export type MessageSink = Pick<IngestService, 'db' | 'committedSourceKeys' | 'ingestBatch' | 'preparer' | 'ingestPrepared' | 'maxMessageBytes' | 'keepParserWarm'>;

/** The configured incoming servers, with their secrets opened for connecting. */
export interface IncomingServerDirectory {
  list(): Promise<IncomingServerRow[]>;
  get(id: string): Promise<IncomingServerRow | undefined>;
  credentials(row: IncomingServerRow): ServerCredentials;
  /** Refreshed OAuth tokens, kept for the next connection. */
  storeOAuthSecrets(id: string, secrets: OAuthSecrets): Promise<void>;
}

/** The configured outgoing servers: which one sends a mail, and its settings with the password opened. */
export interface OutgoingServerDirectory {
  forSending(preferredId: string | null | undefined): Promise<OutgoingServerRow | undefined>;
  smtpTarget(row: OutgoingServerRow): SmtpTarget;
}
