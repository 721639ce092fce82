import type { ImapFlow } from 'imapflow';
import type { Logger } from '../../lib/logger.js';
import { MailError } from '../connector.js';
import { serverNumber, type MailboxView } from './imap-sync-plan.js';

const FOLDER = 'INBOX';
/**
 * INBOX is selected again this often. Some servers answer NOOP and STATUS from the session's own
 * view: Courier keeps reporting the old UIDVALIDITY of a Maildir deleted and recreated under the
 * session, and only a new SELECT (which then fails there) tells.
 */
const RESELECT_MS = 30_000;

/**
 * INBOX changed under the session (recreated: a new UIDVALIDITY, or it can no longer be selected):
 * a new session is needed, not a backoff. Not a new SELECT: some servers (GNU Mailutils) keep
 * serving the deleted mailbox to the session that had it open.
 */
export class SessionStale extends Error {}

/**
 * Asks the selected INBOX for news in a way every server answers: NOOP (new mail becomes visible
 * to the session: Courier announces it only on NOOP or IDLE), then STATUS (UIDNEXT, which SELECT
 * may lack, and UIDVALIDITY, which changes when the mailbox is recreated), and a new SELECT every
 * half minute. A mailbox recreated under the session ends it (SessionStale).
 */
export class NewsCheck {
  private selectedAt = 0;
  private firstCheck = true;
  /** The last session ended because STATUS reported another UIDVALIDITY than SELECT. */
  private staleByStatus = false;
  /** Cleared for a server whose STATUS disagrees with SELECT even in a fresh session (it would reconnect for ever). */
  private statusValidityTrusted = true;

  constructor(private readonly log: Logger) {}

  /** INBOX was just selected by a new session. */
  selected(): void {
    this.selectedAt = Date.now();
    this.firstCheck = true;
  }

  async ask(client: ImapFlow): Promise<MailboxView> {
    const selected = () => serverNumber(client.mailbox ? client.mailbox.uidValidity : null);
    if (Date.now() - this.selectedAt >= RESELECT_MS) {
      const before = selected();
      await client.mailboxOpen(FOLDER).catch((err: { responseStatus?: string }) => {
        throw err?.responseStatus === 'NO' ? new SessionStale('INBOX can no longer be selected') : err;
      });
      this.selectedAt = Date.now();
      if (selected() !== before) throw new SessionStale(`a new SELECT reports UIDVALIDITY ${selected()} instead of ${before}`);
    }
    await client.noop();
    const status = await client.status(FOLDER, { messages: true, uidNext: true, uidValidity: true }).catch(() => false as const);
    const statusValidity = status ? serverNumber(status.uidValidity) : null;
    if (statusValidity !== null && statusValidity !== selected() && this.statusValidityTrusted) {
      if (this.firstCheck && this.staleByStatus) {
        this.statusValidityTrusted = false;
        this.log.warn('STATUS reports another UIDVALIDITY than SELECT even in a new session; relying on SELECT');
      } else {
        this.staleByStatus = true;
        throw new SessionStale(`STATUS reports UIDVALIDITY ${statusValidity} instead of ${selected()}`);
      }
    }
    this.firstCheck = false;
    this.staleByStatus = false;
    const mailbox = client.mailbox;
    if (!mailbox) throw new MailError('PROTOCOL', 'INBOX is not selected');
    const uidValidity = serverNumber(mailbox.uidValidity) ?? statusValidity;
    if (uidValidity === null) throw new MailError('PROTOCOL', 'The mail server gave no UIDVALIDITY for INBOX, so Mailroom cannot tell its messages apart');
    const fromStatus = status && statusValidity === uidValidity;
    return {
      uidValidity,
      exists: serverNumber(mailbox.exists, { allowZero: true }) ?? (fromStatus ? serverNumber(status.messages, { allowZero: true }) : null) ?? 0,
      uidNext: serverNumber(mailbox.uidNext) ?? (fromStatus ? serverNumber(status.uidNext) : null),
    };
  }
}
