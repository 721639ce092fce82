import type { ProxyConfig } from '../proxy.js';

export const CONNECTION_STAGES = ['DNS', 'TCP', 'TLS', 'AUTH', 'PROTOCOL'] as const;

export type ConnectionStage = (typeof CONNECTION_STAGES)[number];

export interface StageResult {
  stage: ConnectionStage;
  ok: boolean;
  skipped: boolean;
  durationMs: number;
  message: string | null;
}

export interface ConnectionTestResult {
  ok: boolean;
  failedStage: ConnectionStage | null;
  message: string | null;
  causes: string[];
  stages: StageResult[];
  durationMs: number;
}

export type SecurityMode = 'NONE' | 'SSL' | 'TLS';

export interface ImapTestTarget {
  protocol: 'IMAP';
  host: string;
  port: number;
  /** TLS means STARTTLS. */
  security: SecurityMode;
  allowSelfSignedCertificate: boolean;
  username: string;
  password?: string | null;
  accessToken?: string | null;
  /** How the mailbox signs in, when known apart from which secret is at hand (an OAuth mailbox not signed in yet). */
  authMethod?: 'PASSWORD' | 'OAUTH';
  /** Every connection of the test goes through this proxy when set. */
  proxy?: ProxyConfig | null;
}

export interface Pop3TestTarget {
  protocol: 'POP3';
  host: string;
  port: number;
  /** TLS means STLS. */
  security: SecurityMode;
  allowSelfSignedCertificate: boolean;
  username: string;
  password?: string | null;
  proxy?: ProxyConfig | null;
}

export interface EwsTestTarget {
  protocol: 'EWS';
  /** The EWS endpoint (https://host/EWS/Exchange.asmx, or the admin's EWS URL). */
  url: string;
  /** The mailbox whose Inbox is opened (the server's email address). */
  mailbox: string;
  allowSelfSignedCertificate: boolean;
  username: string;
  password?: string | null;
  accessToken?: string | null;
  authMethod?: 'PASSWORD' | 'OAUTH';
  proxy?: ProxyConfig | null;
}

export interface GraphTestTarget {
  protocol: 'GRAPH';
  /** https://graph.microsoft.com/v1.0, or the server's own host for national clouds and tests. */
  baseUrl: string;
  mailbox: string;
  allowSelfSignedCertificate: boolean;
  accessToken?: string | null;
  proxy?: ProxyConfig | null;
}

/** Grows into a union as POP3, EWS and Graph probes are added. */
export type ConnectionTestTarget = ImapTestTarget | Pop3TestTarget | EwsTestTarget | GraphTestTarget;

export interface ConnectionTestOptions {
  /** Budget for the whole test. */
  timeoutMs?: number;
  allowLoopback: boolean;
}
