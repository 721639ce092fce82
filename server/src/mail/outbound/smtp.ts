// SMTP through nodemailer for the outbound worker and Test Connection: transport options from
// an outgoing server's settings, connections only to addresses the address guard vetted, and
// nodemailer's errors turned into the same words incoming Test Connection uses
// (connection-test/diagnosis.ts; never the server's text, which can be anything) plus the facts
// a retry decision needs.
import { isIP } from 'node:net';
import type nodemailer from 'nodemailer';
import { DnsError, TargetRefusedError, resolveTarget, type ResolvedAddress } from '../address-guard.js';
import { failureCode, failureMessage, likelyCauses, type FailureCode } from '../connection-test/diagnosis.js';
import type { ConnectionStage } from '../connection-test/types.js';

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

const NOT_TLS = /wrong version number|packet length too long|unknown protocol|record layer failure|http request|ERR_SSL_WRONG_VERSION_NUMBER/i;

function enhancedStatus(response: string | undefined): string | null {
  return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(response ?? '')?.[1] ?? null;
}

function replyCode(e: NodemailerError): string {
  const enhanced = enhancedStatus(e.response);
  return `SMTP ${e.responseCode}${enhanced ? ` ${enhanced}` : ''}`;
}

/**
 * Where an SMTP failure sits in the vocabulary incoming Test Connection uses
 * (connection-test/diagnosis.ts): its stage, our failure code, and the stage whose likely causes
 * describe it. Null for what only SMTP has: a reply refusing the sender, a recipient or the message.
 */
function connectionFailure(err: unknown): { stage: Exclude<SmtpStage, 'SEND'>; code: FailureCode; causesOf: ConnectionStage } | null {
  if (err instanceof TargetRefusedError) return { stage: 'DNS', code: 'REFUSED_ADDRESS', causesOf: 'DNS' };
  if (err instanceof DnsError) return { stage: 'DNS', code: failureCode({ code: err.code }), causesOf: 'DNS' };
  const e = (err ?? {}) as NodemailerError;
  const raw = e.originalCode ?? e.code ?? '';
  const text = `${e.message ?? ''} ${e.reason ?? ''}`;
  const code = failureCode({ code: raw });
  if (code === 'CONNECTION_REFUSED' || code === 'UNREACHABLE') return { stage: 'TCP', code, causesOf: 'TCP' };
  if (raw === 'ETIMEDOUT') {
    if (e.timeoutType === 'GREETING_TIMEOUT') return { stage: 'PROTOCOL', code: 'NO_GREETING', causesOf: 'TLS' };
    if (e.timeoutType === 'CONNECT_TIMEOUT' || !e.timeoutType) return { stage: 'TCP', code: 'TIMEOUT', causesOf: 'TCP' };
    return null;
  }
  if (code.startsWith('CERT_')) return { stage: 'TLS', code, causesOf: 'TLS' };
  if (/certificate/i.test(text)) return { stage: 'TLS', code: /self[- ]signed/i.test(text) ? 'CERT_SELF_SIGNED' : 'CERT_INVALID', causesOf: 'TLS' };
  if (NOT_TLS.test(`${raw} ${text}`)) return { stage: 'TLS', code: 'NOT_TLS', causesOf: 'TLS' };
  if (e.code === 'ETLS') return { stage: 'TLS', code: /STARTTLS/i.test(text) ? 'STARTTLS_UNSUPPORTED' : 'TLS_HANDSHAKE', causesOf: 'TLS' };
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    const noAuth = /no auth|does not support auth|not supported/i.test(text) && !e.responseCode;
    return { stage: 'AUTH', code: noAuth ? 'AUTH_METHOD_UNSUPPORTED' : 'AUTH_REJECTED', causesOf: 'AUTH' };
  }
  if (typeof e.responseCode === 'number') return null;
  if (e.code === 'ECONNECTION' || code === 'CONNECTION_RESET') return { stage: 'PROTOCOL', code: 'CONNECTION_RESET', causesOf: 'TCP' };
  return null;
}

/** SMTP AUTH facts the generic causes cannot know: Microsoft 365's switch, app passwords. */
function smtpAuthHints(e: NodemailerError): string[] {
  const response = e.response ?? '';
  if (/SmtpClientAuthentication|basic authentication is disabled/i.test(response)) return ['SMTP AUTH is turned off for this Microsoft 365 mailbox or tenant'];
  if (/application-specific password|app password/i.test(response)) return ['The account needs an app password instead of its normal password'];
  return [];
}

/** Our wording for anything sending or verifying through `target` threw: the incoming vocabulary, plus SMTP's own replies. */
export function describeSmtpFailure(err: unknown, target: Pick<SmtpTarget, 'host' | 'port' | 'security' | 'authType'>, facts: { timeoutMs?: number; from?: string; to?: string[] } = {}): SmtpFailure {
  const e = (err ?? {}) as NodemailerError;
  const known = connectionFailure(err);
  if (known) {
    const detail = { code: known.code, host: target.host, port: target.port, timeoutMs: facts.timeoutMs, authMethod: 'PASSWORD' as const };
    const message = err instanceof TargetRefusedError ? err.message : failureMessage(known.stage === 'PROTOCOL' ? 'TCP' : known.stage, 'SMTP', detail);
    const reply = known.stage === 'AUTH' && typeof e.responseCode === 'number' ? ` (${replyCode(e)})` : '';
    const causes = [...(known.stage === 'AUTH' ? smtpAuthHints(e) : []), ...likelyCauses(known.causesOf, 'SMTP', detail)];
    return { stage: known.stage, message: `${message}${reply}`, causes, permanent: false };
  }

  const where = `${target.host} port ${target.port}`;
  const fail = (message: string, causes: string[], permanent = false): SmtpFailure => ({ stage: 'SEND', message, causes, permanent });
  if (typeof e.responseCode === 'number') {
    const permanent = e.responseCode >= 500 && e.responseCode !== 503;
    const temporarily = permanent ? '' : ' for now';
    if (e.code === 'EENVELOPE' && /RCPT/i.test(e.command ?? '')) {
      const who = e.rejected?.join(', ') || facts.to?.join(', ') || 'the recipient';
      return fail(`${where} refused${temporarily} the recipient ${who} (${replyCode(e)})`, permanent
        ? ['The address does not exist or does not accept mail', 'The server does not relay for this account']
        : ['The server is busy or greylisting'], permanent);
    }
    if (/MAIL/i.test(e.command ?? '')) {
      return fail(`${where} refused${temporarily} the sender ${facts.from ?? 'address'} (${replyCode(e)})`, permanent
        ? ['The account may not send as this From address', 'The server requires authentication']
        : ['The server is busy or greylisting'], permanent);
    }
    return fail(`${where} refused${temporarily} the message (${replyCode(e)})`, permanent
      ? ['The server considers the message unacceptable (size, content or policy)']
      : ['The server is busy or greylisting'], permanent);
  }
  if ((e.originalCode ?? e.code) === 'ETIMEDOUT') return fail(`The connection to ${where} went silent`, ['The server or the network is overloaded']);
  return fail(`Sending through ${where} failed (${e.originalCode ?? e.code ?? 'unknown error'})`, ['See the server log for details']);
}
