export type ConnectionStage = 'DNS' | 'TCP' | 'TLS' | 'AUTH' | 'PROTOCOL';

export const CONNECTION_STAGES: readonly ConnectionStage[] = ['DNS', 'TCP', 'TLS', 'AUTH', 'PROTOCOL'];

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
}

/** Grows into a union as POP3, EWS and Graph probes are added. */
export type ConnectionTestTarget = ImapTestTarget;

export interface ConnectionTestOptions {
  /** Budget for the whole test. */
  timeoutMs?: number;
  allowLoopback: boolean;
}
