import { MailError } from '../connector.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'NoConnection', 'ETIMEOUT', 'EConnectionClosed', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT']);

/** Maps imapflow / socket / TLS failures to our wording; the server's own text never reaches the admin. */
export function classifyImapError(err: unknown): MailError {
  const e = err as { authenticationFailed?: boolean; code?: string; message?: string; serverResponseCode?: string };
  if (e?.authenticationFailed || e?.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return new MailError('AUTH', 'The mail server refused the username or password (or app password)');
  }
  const code = e?.code ?? '';
  const message = e?.message ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
    return new MailError('TLS', `The server's TLS certificate was not accepted (${code}); if this is an on-premises server with a self-signed certificate, turn on "Allow self-signed certificate"`);
  }
  if (/wrong version number|ssl3_get_record|packet length too long|EPROTO/i.test(message + code)) {
    return new MailError('TLS', 'TLS handshake failed: the security type probably does not match the port');
  }
  if (NETWORK_CODES.has(code) || /timed? ?out|socket|closed/i.test(message)) {
    return new MailError('NETWORK', `Could not reach the mail server (${code || 'connection lost'})`);
  }
  return new MailError('PROTOCOL', `The IMAP session failed${code ? ` (${code})` : ''}`);
}
