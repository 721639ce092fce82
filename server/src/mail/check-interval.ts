import type { MailProtocol } from '../db/schema.js';

/**
 * With real-time scanning a mailbox is still asked for news this often: IMAP IDLE does not push
 * on every server (Cyrus without idled, Courier without FAM look once a minute or never), and
 * EWS and Graph are polled instead of pushed (their push needs a public URL).
 */
export const REAL_TIME_CHECK_MS = 15_000;

/**
 * How often Mailroom confirms the mailbox is current: what "last checked" can be trusted to within.
 * An IMAP mailbox whose IDLE is known to push (`idlePush`, mail/imap/imap-push.ts) is checked at
 * its poll interval: the check would only repeat what the server pushes, and on 1,000 idle
 * mailboxes it was most of the server's idle CPU (~270 IMAP commands a second).
 */
export function checkIntervalMs(server: { protocol: MailProtocol; realTimeScanning: boolean; pollIntervalSeconds: number }, idlePush: boolean | null = null): number {
  const interval = server.pollIntervalSeconds * 1000;
  if (!server.realTimeScanning || server.protocol === 'POP3') return interval;
  return server.protocol === 'IMAP' && idlePush === true ? interval : Math.min(REAL_TIME_CHECK_MS, interval);
}
