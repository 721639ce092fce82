import { MailError } from '../connector.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'NoConnection', 'ETIMEOUT', 'EConnectionClosed', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT']);

interface ImapFailure {
  authenticationFailed?: boolean;
  code?: string;
  message?: string;
  serverResponseCode?: string;
  responseStatus?: string;
  executedCommand?: string;
  response?: unknown;
}

/**
 * Maps imapflow / socket / TLS failures to our wording. The server's own text never reaches the
 * admin (it may carry banners, host names or the user name); a refused command is named by the
 * command and its status and response code (`UID FETCH (NO [SERVERBUG])`), which are protocol tokens.
 */
export function classifyImapError(err: unknown): MailError {
  const e = (err ?? {}) as ImapFailure;
  if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return new MailError('AUTH', 'The mail server refused the username or password (or app password)');
  }
  const code = e.code ?? '';
  const message = e.message ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
    return new MailError('TLS', `The server's TLS certificate was not accepted (${code}); if this is an on-premises server with a self-signed certificate, turn on "Allow self-signed certificate"`);
  }
  if (/wrong version number|ssl3_get_record|packet length too long|EPROTO/i.test(message + code)) {
    return new MailError('TLS', 'TLS handshake failed: the security type probably does not match the port');
  }
  if (e.responseStatus === 'NO' || e.responseStatus === 'BAD') {
    const command = commandName(e.executedCommand);
    const responseCode = responseCodeOf(e);
    return new MailError('PROTOCOL', `The mail server refused ${command ?? 'a command'} (${e.responseStatus}${responseCode ? ` [${responseCode}]` : ''})`);
  }
  if (NETWORK_CODES.has(code) || /timed? ?out|socket|closed/i.test(message)) {
    return new MailError('NETWORK', `Could not reach the mail server (${code || 'connection lost'})`);
  }
  return new MailError('PROTOCOL', `The IMAP session failed${code ? ` (${code})` : ''}`);
}

/** "7 UID FETCH 1:* (UID BODY.PEEK[])" → "UID FETCH": the verb only, never its arguments. */
function commandName(executed: string | undefined): string | null {
  const [, verb, sub] = (executed ?? '').trim().split(/\s+/);
  if (!verb || !/^[A-Za-z]+$/.test(verb)) return null;
  return verb.toUpperCase() === 'UID' && sub && /^[A-Za-z]+$/.test(sub) ? `UID ${sub.toUpperCase()}` : verb.toUpperCase();
}

/** The bracketed code: set by imapflow for some commands, else read from the response (parsed or as text). */
function responseCodeOf(e: ImapFailure): string | null {
  const parsed = e.response as { attributes?: { section?: { value?: unknown }[] }[] } | undefined;
  const section = typeof parsed === 'object' && parsed ? parsed.attributes?.[0]?.section?.[0]?.value : undefined;
  const fromText = typeof e.response === 'string' ? /\b(?:NO|BAD)\s+\[([A-Za-z0-9-]+)/.exec(e.response)?.[1] : undefined;
  const code = e.serverResponseCode ?? (typeof section === 'string' ? section : fromText);
  return code && /^[A-Za-z0-9-]{1,40}$/.test(code) ? code.toUpperCase() : null;
}
