import type { MailProtocol } from '../db/schema.js';

/**
 * With real-time scanning a mailbox is still asked for news this often: IMAP IDLE does not push
 * on every server (Cyrus without idled, Courier without FAM look once a minute or never), and
 * EWS and Graph are polled instead of pushed (their push needs a public URL).
 */
export const REAL_TIME_CHECK_MS = 15_000;

/** How often Mailroom confirms the mailbox is current: what "last checked" can be trusted to within. */
export function checkIntervalMs(server: { protocol: MailProtocol; realTimeScanning: boolean; pollIntervalSeconds: number }): number {
  const interval = server.pollIntervalSeconds * 1000;
  return server.realTimeScanning && server.protocol !== 'POP3' ? Math.min(REAL_TIME_CHECK_MS, interval) : interval;
}
