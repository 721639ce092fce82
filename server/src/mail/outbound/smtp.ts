// SMTP through nodemailer for the outbound worker and Test Connection: transport options from
// an outgoing server's settings, connections only to addresses the address guard vetted, and
// nodemailer's errors turned into our own words (never the server's text, which can be
// anything) plus the facts a retry decision needs.
import { isIP } from 'node:net';
import type nodemailer from 'nodemailer';
import { DnsError, TargetRefusedError, resolveTarget, type ResolvedAddress } from '../address-guard.js';

export type SmtpSecurity = 'NONE' | 'SSL' | 'TLS';

export interface SmtpTarget {
  host: string;
  port: number;
  /** TLS means STARTTLS, as for incoming servers. */
  security: SmtpSecurity;
  authType: 'NONE' | 'BASIC';
  username: string | null;
  password: string | null;
  allowSelfSignedCertificate: boolean;
}

export type SmtpStage = 'DNS' | 'TCP' | 'TLS' | 'AUTH' | 'PROTOCOL' | 'SEND';

export interface SmtpFailure {
  stage: SmtpStage;
  /** Ours; names host, port, reply codes and addresses, never server text. */
  message: string;
  causes: string[];
  /** The server refused this message for good (5xx to MAIL/RCPT/DATA): sending it again would get the same answer. */
  permanent: boolean;
}

export interface SmtpTimeouts { connectMs: number; greetingMs: number; socketMs: number }

export const SEND_TIMEOUTS: SmtpTimeouts = { connectMs: 15_000, greetingMs: 15_000, socketMs: 60_000 };

/** 25 plain (relay), 465 implicit TLS, 587 submission with STARTTLS. */
export function defaultSmtpPort(security: SmtpSecurity): number {
  switch (security) {
    case 'SSL': return 465;
    case 'TLS': return 587;
    case 'NONE': return 25;
  }
}

interface NodemailerError extends Error {
  code?: string;
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  timeoutType?: string;
  reason?: string;
  rejected?: string[];
}

export function transportOptions(target: SmtpTarget, address: string, timeouts: SmtpTimeouts) {
  const name = target.host.trim().replace(/^\[(.*)\]$/, '$1');
  return {
    host: address,
    port: target.port,
    secure: target.security === 'SSL',
    requireTLS: target.security === 'TLS',
    // "None" means none: no opportunistic STARTTLS that could fail on a certificate nobody asked us to check.
    ignoreTLS: target.security === 'NONE',
    auth: target.authType === 'BASIC' ? { user: target.username ?? '', pass: target.password ?? '' } : undefined,
    tls: {
      rejectUnauthorized: !target.allowSelfSignedCertificate,
      // We connect to the vetted address; the certificate is checked against the name the admin entered.
      servername: isIP(name) ? undefined : name,
      minVersion: 'TLSv1.2' as const,
    },
    connectionTimeout: timeouts.connectMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    logger: false,
    debug: false,
  };
}

const NEXT_ADDRESS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT']);

/**
 * Runs `work` with a transport to each vetted address of the host in turn, moving on only when
 * an address refuses the connection outright (e.g. "localhost" resolving to ::1 first).
 */
export async function withSmtpTransport<T>(
  target: SmtpTarget,
  opts: { allowLoopback: boolean; timeouts: SmtpTimeouts; lookup?: Parameters<typeof resolveTarget>[1]['lookup'] },
  work: (transport: ReturnType<typeof nodemailer.createTransport>) => Promise<T>,
): Promise<T> {
  const addresses: ResolvedAddress[] = await resolveTarget(target.host, { allowLoopback: opts.allowLoopback, lookup: opts.lookup });
  // nodemailer loads with the first mail or SMTP test, not at start: memory an idle server doesn't need.
  const { createTransport } = (await import('nodemailer')).default;
  let lastError: unknown;
  for (const { address } of addresses) {
    const transport = createTransport(transportOptions(target, address, opts.timeouts));
    try {
      return await work(transport);
    } catch (err) {
      lastError = err;
      const e = err as NodemailerError;
      if (!NEXT_ADDRESS.has(e.originalCode ?? e.code ?? '')) throw err;
    } finally {
      transport.close();
    }
  }
  throw lastError;
}

const CERTIFICATE_CODES = /^(?:CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|record layer failure|http request|ERR_SSL_WRONG_VERSION_NUMBER/i;

function enhancedStatus(response: string | undefined): string | null {
  return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(response ?? '')?.[1] ?? null;
}

function replyCode(e: NodemailerError): string {
  const enhanced = enhancedStatus(e.response);
  return `SMTP ${e.responseCode}${enhanced ? ` ${enhanced}` : ''}`;
}

/** Our wording for anything sending or verifying through `target` threw. */
export function describeSmtpFailure(err: unknown, target: Pick<SmtpTarget, 'host' | 'port' | 'security' | 'authType'>, facts: { timeoutMs?: number; from?: string; to?: string[] } = {}): SmtpFailure {
  const where = `${target.host}:${target.port}`;
  const fail = (stage: SmtpStage, message: string, causes: string[], permanent = false): SmtpFailure => ({ stage, message, causes, permanent });

  if (err instanceof TargetRefusedError) return fail('DNS', err.message, ['Enter the address of the mail server, not of this host or its network']);
  if (err instanceof DnsError) {
    return fail('DNS', `${target.host} could not be resolved (${err.code})`, ['The host name is misspelled', 'The DNS server of this machine cannot be reached']);
  }
  const e = (err ?? {}) as NodemailerError;
  const code = e.originalCode ?? e.code ?? '';
  const text = `${e.message ?? ''} ${e.reason ?? ''}`;

  if (code === 'ECONNREFUSED') {
    return fail('TCP', `Nothing accepts connections on ${where} (connection refused)`, [
      'The port is wrong (25, 465 for SSL, 587 for STARTTLS)', 'The mail server is not running', 'A firewall rejects the connection',
    ]);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return fail('TCP', `${where} cannot be reached from this server (${code})`, ['The host is wrong', 'A firewall or missing route blocks it']);
  }
  if (e.code === 'ETIMEDOUT' || code === 'ETIMEDOUT') {
    if (e.timeoutType === 'GREETING_TIMEOUT') {
      return fail('PROTOCOL', `${where} accepted the connection but did not greet us as an SMTP server`, [
        target.security === 'SSL' ? 'The port expects STARTTLS or no encryption: choose TLS (STARTTLS) or None' : 'The port expects SSL (usually port 465): choose SSL',
        'It is not an SMTP port',
      ]);
    }
    if (e.timeoutType === 'CONNECT_TIMEOUT' || !e.timeoutType) {
      return fail('TCP', `No answer from ${where}${facts.timeoutMs ? ` within ${Math.round(facts.timeoutMs / 1000)} s` : ''}`, [
        'A firewall drops the connection', 'The host or port is wrong', 'The server is overloaded',
      ]);
    }
    return fail('SEND', `The connection to ${where} went silent`, ['The server or the network is overloaded']);
  }
  if (CERTIFICATE_CODES.test(code) || /certificate/i.test(text)) {
    const selfSigned = /SELF_SIGNED|self[- ]signed/i.test(`${code} ${text}`);
    const nameMismatch = /ALTNAME|HOSTNAME/i.test(code);
    return fail('TLS', `The certificate of ${where} is not trusted${selfSigned ? ' (self-signed)' : nameMismatch ? ` (it is not issued for ${target.host})` : ''}`, [
      ...(selfSigned ? ['Allow self-signed certificates for this server, if you trust it'] : []),
      ...(nameMismatch ? ['Enter the host name the certificate is issued for'] : []),
      'The certificate has expired or its chain is incomplete',
    ]);
  }
  if (NOT_TLS.test(`${code} ${text}`)) {
    return fail('TLS', `${where} does not speak TLS right away`, [
      target.security === 'SSL' ? 'The port expects STARTTLS or no encryption: choose TLS (STARTTLS), or use port 465 for SSL' : 'The security type does not match the port',
    ]);
  }
  if (e.code === 'ETLS') {
    if (/STARTTLS/i.test(text)) {
      return fail('TLS', `${where} does not offer STARTTLS`, ['Choose SSL if the port expects TLS right away (465), or None if the server has no encryption']);
    }
    return fail('TLS', `The TLS handshake with ${where} failed`, ['The security type does not match the port', 'The server only offers protocol versions or ciphers we refuse']);
  }
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    const response = e.response ?? '';
    const causes = /SmtpClientAuthentication|basic authentication is disabled/i.test(response)
      ? ['SMTP AUTH is turned off for this Microsoft 365 mailbox or tenant']
      : /application-specific password|app password/i.test(response)
        ? ['The account needs an app password instead of its normal password']
        : /no auth|does not support auth|not supported/i.test(text) && !e.responseCode
          ? ['The server does not offer authentication: choose None as the auth type']
          : ['The user name or password is wrong', 'The account needs an app password', 'SMTP authentication is turned off for this account'];
    return fail('AUTH', e.responseCode
      ? `${where} refused the user name or password (${replyCode(e)})`
      : `Could not authenticate with ${where}`, causes);
  }
  if (typeof e.responseCode === 'number') {
    const permanent = e.responseCode >= 500 && e.responseCode !== 503;
    const temporarily = permanent ? '' : ' for now';
    if (e.code === 'EENVELOPE' && /RCPT/i.test(e.command ?? '')) {
      const who = e.rejected?.join(', ') || facts.to?.join(', ') || 'the recipient';
      return fail('SEND', `${where} refused${temporarily} the recipient ${who} (${replyCode(e)})`, permanent
        ? ['The address does not exist or does not accept mail', 'The server does not relay for this account']
        : ['The server is busy or greylisting'], permanent);
    }
    if (/MAIL/i.test(e.command ?? '')) {
      return fail('SEND', `${where} refused${temporarily} the sender ${facts.from ?? 'address'} (${replyCode(e)})`, permanent
        ? ['The account may not send as this From address', 'The server requires authentication']
        : ['The server is busy or greylisting'], permanent);
    }
    return fail('SEND', `${where} refused${temporarily} the message (${replyCode(e)})`, permanent
      ? ['The server considers the message unacceptable (size, content or policy)']
      : ['The server is busy or greylisting'], permanent);
  }
  if (e.code === 'ECONNECTION' || code === 'ECONNRESET' || code === 'EPIPE') {
    return fail('PROTOCOL', `${where} closed the connection unexpectedly`, [
      target.security === 'NONE' ? 'The port expects SSL: choose SSL (port 465)' : 'The server dropped us (limits, or not an SMTP port)',
    ]);
  }
  return fail('SEND', `Sending through ${where} failed (${code || 'unknown error'})`, ['See the server log for details']);
}
