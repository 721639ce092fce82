import { MailError } from '../connector.js';
import { ProxyError } from '../proxy.js';

/** The server answered -ERR. `responseCode` is the RFC 2449 code in brackets (AUTH, IN-USE, SYS/TEMP, ...), if any. */
export class Pop3CommandError extends Error {
  override readonly name = 'Pop3CommandError';
  constructor(readonly command: string, readonly responseCode: string | null) {
    super(`the POP3 server refused ${command}${responseCode ? ` [${responseCode}]` : ''}`);
  }
}

/** The peer did not speak POP3 as expected (wrong port, garbage, a reply too large). */
export class Pop3ProtocolError extends Error {
  override readonly name = 'Pop3ProtocolError';
  constructor(message: string, readonly code: 'UNEXPECTED_GREETING' | 'NO_GREETING' | 'BAD_REPLY' | 'SERVER_UNAVAILABLE' | 'UIDL_UNSUPPORTED') {
    super(message);
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

/** Maps POP3 client, socket, TLS and proxy failures to our wording; the server's own text never reaches the admin. */
export function classifyPop3Error(err: unknown): MailError {
  if (err instanceof MailError) return err;
  if (err instanceof ProxyError) return new MailError('NETWORK', `Could not connect through the ${err.message}`);
  if (err instanceof Pop3CommandError) return commandFailure(err);
  if (err instanceof Pop3ProtocolError) {
    switch (err.code) {
      case 'NO_GREETING': return new MailError('PROTOCOL', 'The server sent no POP3 greeting: the security type probably does not match the port');
      case 'UNEXPECTED_GREETING': return new MailError('PROTOCOL', 'The server did not answer like a POP3 server: check the port');
      case 'SERVER_UNAVAILABLE': return new MailError('PROTOCOL', 'The POP3 server is not accepting sessions right now');
      case 'UIDL_UNSUPPORTED': return new MailError('PROTOCOL', 'The POP3 server does not support UIDL, which Mailroom needs to read each message exactly once', { permanent: true });
      case 'BAD_REPLY': return new MailError('PROTOCOL', 'The POP3 server sent a malformed reply');
    }
  }
  const code = (err as { code?: unknown })?.code;
  const text = typeof code === 'string' ? code : '';
  const message = (err as { message?: unknown })?.message;
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(text)) {
    return new MailError('TLS', `The server's TLS certificate was not accepted (${text}); if this is an on-premises server with a self-signed certificate, turn on "Allow self-signed certificate"`);
  }
  if (text.startsWith('ERR_SSL_') || text === 'EPROTO' || /wrong version number|packet length too long/i.test(typeof message === 'string' ? message : '')) {
    return new MailError('TLS', 'TLS handshake failed: the security type probably does not match the port');
  }
  if (NETWORK_CODES.has(text)) return new MailError('NETWORK', `Could not reach the mail server (${text})`);
  return new MailError('PROTOCOL', `The POP3 session failed${text ? ` (${text})` : ''}`);
}

function commandFailure(err: Pop3CommandError): MailError {
  const login = err.command === 'USER' || err.command === 'PASS';
  switch (err.responseCode) {
    // RFC 2449 / 3206: the account is fine, the moment is not.
    case 'IN-USE': return new MailError('PROTOCOL', "The mailbox is in use: another POP3 client (or Mailroom's own poller) holds it; retrying");
    case 'LOGIN-DELAY': return new MailError('THROTTLED', 'The POP3 server asks for a longer pause between sign-ins; retrying later', { retryAfterMs: 5 * 60_000 });
    case 'SYS/TEMP': return new MailError('PROTOCOL', 'The POP3 server reported a temporary problem; retrying');
    case 'PRIVACY-REQUIRED': return new MailError('AUTH', 'The server does not allow signing in over an unencrypted connection: choose SSL or STARTTLS (TLS)');
  }
  if (login) return new MailError('AUTH', 'The mail server refused the username or password (or app password)');
  if (err.command === 'STLS') return new MailError('TLS', 'The server does not offer STARTTLS on this port: choose SSL with port 995, or None');
  return new MailError('PROTOCOL', `The POP3 server refused ${err.command}`);
}
