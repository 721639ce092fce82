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
 * A recreated mailbox makes STATUS disagree with SELECT once; the new session then agrees. A
 * second disagreement this soon means the server's STATUS is no guide to UIDVALIDITY (GNU
 * Mailutils reports a fresh, time-based one for an mbox it has not rewritten yet): reconnecting
 * each time would only churn.
 */
const STATUS_DOUBT_MS = 2 * 60_000;

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
  /** When a session last ended because STATUS reported another UIDVALIDITY than SELECT. */
  private staleByStatusAt = 0;
  /** Cleared for a server whose STATUS keeps disagreeing with SELECT (it would reconnect for ever). */
  private statusValidityTrusted = true;

  constructor(private readonly log: Logger) {}

  /** The session's SELECT is what the first check knows: it asks no NOOP, and STATUS only for a missing UIDNEXT. */
  private fresh = false;

  /** INBOX was just selected by a new session. */
  selected(): void {
    this.selectedAt = Date.now();
    this.fresh = true;
  }

  /**
   * `announced`: the server has just pushed EXISTS, so the new mail is visible to the session
   * already — no NOOP — and STATUS and the periodic SELECT wait for the next quiet check (which
   * then sees UIDNEXT move and looks once more). Three round trips fewer per pushed mail.
   */
  async ask(client: ImapFlow, { announced = false } = {}): Promise<MailboxView> {
    const selected = () => serverNumber(client.mailbox ? client.mailbox.uidValidity : null);
    const fresh = this.fresh;
    this.fresh = false;
    if (!announced && Date.now() - this.selectedAt >= RESELECT_MS) {
      const before = selected();
      await client.mailboxOpen(FOLDER).catch((err: { responseStatus?: string }) => {
        throw err?.responseStatus === 'NO' ? new SessionStale('INBOX can no longer be selected') : err;
      });
      this.selectedAt = Date.now();
      if (selected() !== before) throw new SessionStale(`a new SELECT reports UIDVALIDITY ${selected()} instead of ${before}`);
    }
    if (!announced && !fresh) await client.noop();
    const skipStatus = announced || (fresh && serverNumber(client.mailbox ? client.mailbox.uidNext : null) !== null);
    const status = skipStatus ? false : await client.status(FOLDER, { messages: true, uidNext: true, uidValidity: true }).catch(() => false as const);
    const statusValidity = status ? serverNumber(status.uidValidity) : null;
    if (statusValidity !== null && statusValidity !== selected() && this.statusValidityTrusted) {
      if (Date.now() - this.staleByStatusAt < STATUS_DOUBT_MS) {
        this.statusValidityTrusted = false;
        this.log.warn('STATUS keeps reporting another UIDVALIDITY than SELECT; relying on SELECT');
      } else {
        this.staleByStatusAt = Date.now();
        throw new SessionStale(`STATUS reports UIDVALIDITY ${statusValidity} instead of ${selected()}`);
      }
    }
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
