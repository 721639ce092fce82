import type { ImapFlow } from 'imapflow';
import { MailError } from '../connector.js';

/**
 * Connect, greeting, TLS and login together. imapflow bounds the TCP connect and the greeting but
 * not the login: a server that greets and then never answers LOGIN (a Dovecot shutting down, its
 * auth process gone) would hold the mailbox in "connecting", shown as reachable, until the socket
 * timeout ten minutes later.
 */
export const LOGIN_BUDGET_MS = 30_000;

export async function loginWithin(client: ImapFlow, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MailError('NETWORK', `The mail server accepted the connection but did not finish the login within ${ms / 1000} s`)), ms);
  });
  try {
    await Promise.race([client.connect(), late]);
  } catch (err) {
    // Ends a connect still in progress after the budget (race() has already handled its rejection).
    client.close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
