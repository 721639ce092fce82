// Pure: turns what went wrong (a stage and an error code) into our own wording, for incoming
// Test Connection and for SMTP (outbound/smtp.ts) alike. Nothing the remote side said ever
// reaches a message — servers put banners, host names and sometimes the submitted user name
// into their error text.
import type { ConnectionStage } from './types.js';

/** Our failure codes; raw Node/OpenSSL/ImapFlow/nodemailer codes are normalized to these by `failureCode`. */
export const FAILURE_CODES = [
  'REFUSED_ADDRESS', 'NOT_FOUND', 'DNS_UNAVAILABLE', 'TIMEOUT', 'CONNECTION_REFUSED', 'UNREACHABLE', 'CONNECTION_RESET',
  'NOT_TLS', 'NO_GREETING', 'UNEXPECTED_GREETING', 'STARTTLS_UNSUPPORTED',
  'CERT_SELF_SIGNED', 'CERT_UNTRUSTED', 'CERT_HOSTNAME', 'CERT_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_INVALID', 'TLS_HANDSHAKE',
  'NO_CREDENTIALS', 'AUTH_REJECTED', 'AUTH_EXPIRED', 'AUTH_METHOD_UNSUPPORTED', 'LOGIN_DISABLED',
  'THROTTLED', 'SERVER_UNAVAILABLE', 'MAILBOX_IN_USE', 'MAILBOX_UNAVAILABLE', 'UNKNOWN',
] as const;

export type FailureCode = (typeof FAILURE_CODES)[number];

const RAW_CODES: Record<string, FailureCode> = {
  ENOTFOUND: 'NOT_FOUND',
  EAI_NONAME: 'NOT_FOUND',
  EAI_NODATA: 'NOT_FOUND',
  ENODATA: 'NOT_FOUND',
  EMPTY_HOST: 'NOT_FOUND',
  EAI_AGAIN: 'DNS_UNAVAILABLE',
  EAI_FAIL: 'DNS_UNAVAILABLE',
  ESERVFAIL: 'DNS_UNAVAILABLE',
  ETIMEDOUT: 'TIMEOUT',
  ETIMEOUT: 'TIMEOUT',
  CONNECT_TIMEOUT: 'TIMEOUT',
  UPGRADE_TIMEOUT: 'TIMEOUT',
  GREETING_TIMEOUT: 'NO_GREETING',
  ECONNREFUSED: 'CONNECTION_REFUSED',
  EHOSTUNREACH: 'UNREACHABLE',
  ENETUNREACH: 'UNREACHABLE',
  EHOSTDOWN: 'UNREACHABLE',
  EADDRNOTAVAIL: 'UNREACHABLE',
  ECONNRESET: 'CONNECTION_RESET',
  EPIPE: 'CONNECTION_RESET',
  NoConnection: 'CONNECTION_RESET',
  EConnectionClosed: 'CONNECTION_RESET',
  ClosedAfterConnectText: 'CONNECTION_RESET',
  ClosedAfterConnectTLS: 'CONNECTION_RESET',
  // OpenSSL reading a plain-text greeting as a TLS record.
  ERR_SSL_WRONG_VERSION_NUMBER: 'NOT_TLS',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'NOT_TLS',
  ERR_SSL_UNKNOWN_PROTOCOL: 'NOT_TLS',
  ERR_SSL_HTTP_REQUEST: 'NOT_TLS',
  ERR_SSL_RECORD_LAYER_FAILURE: 'NOT_TLS',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'CERT_SELF_SIGNED',
  SELF_SIGNED_CERT_IN_CHAIN: 'CERT_SELF_SIGNED',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'CERT_UNTRUSTED',
  UNABLE_TO_GET_ISSUER_CERT: 'CERT_UNTRUSTED',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'CERT_UNTRUSTED',
  CERT_UNTRUSTED: 'CERT_UNTRUSTED',
  CERT_CHAIN_TOO_LONG: 'CERT_UNTRUSTED',
  INVALID_CA: 'CERT_UNTRUSTED',
  ERR_TLS_CERT_ALTNAME_INVALID: 'CERT_HOSTNAME',
  HOSTNAME_MISMATCH: 'CERT_HOSTNAME',
  CERT_HAS_EXPIRED: 'CERT_EXPIRED',
  CERT_NOT_YET_VALID: 'CERT_NOT_YET_VALID',
  CERT_REVOKED: 'CERT_INVALID',
  CERT_REJECTED: 'CERT_INVALID',
  CERT_SIGNATURE_FAILURE: 'CERT_INVALID',
  ERR_TLS_CERT_SIGNATURE_ALGORITHM_UNSUPPORTED: 'CERT_INVALID',
  EPROTO: 'TLS_HANDSHAKE',
  ETHROTTLE: 'THROTTLED',
  // RFC 5530 response codes on a failed LOGIN/AUTHENTICATE.
  AUTHENTICATIONFAILED: 'AUTH_REJECTED',
  AUTHORIZATIONFAILED: 'AUTH_REJECTED',
  EXPIRED: 'AUTH_EXPIRED',
  PRIVACYREQUIRED: 'LOGIN_DISABLED',
  UNAVAILABLE: 'SERVER_UNAVAILABLE',
};

const OUR_CODES: ReadonlySet<string> = new Set(FAILURE_CODES);

/** Accepts our codes and raw ones (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, GREETING_TIMEOUT, ...). */
export function normalizeCode(code: string | undefined): FailureCode {
  if (!code) return 'UNKNOWN';
  if (OUR_CODES.has(code)) return code as FailureCode;
  if (RAW_CODES[code]) return RAW_CODES[code];
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return 'TLS_HANDSHAKE';
  if (code.startsWith('ParserError')) return 'UNEXPECTED_GREETING';
  return 'UNKNOWN';
}

/** The fields of a thrown error we trust enough to classify by; their text is never shown. */
export interface ErrorFacts {
  code?: unknown;
  authenticationFailed?: unknown;
  serverResponseCode?: unknown;
}

export function failureCode(error: unknown): FailureCode {
  const facts = (typeof error === 'object' && error !== null ? error : {}) as ErrorFacts;
  const responseCode = typeof facts.serverResponseCode === 'string' ? facts.serverResponseCode.toUpperCase() : undefined;
  if (responseCode && RAW_CODES[responseCode]) return RAW_CODES[responseCode];
  if (facts.authenticationFailed === true) return 'AUTH_REJECTED';
  return normalizeCode(typeof facts.code === 'string' ? facts.code : undefined);
}

export interface DiagnosisFacts {
  code?: string;
  host?: string;
  port?: number;
  /** Whole test budget, for "no answer within N s". */
  timeoutMs?: number;
  authMethod?: 'PASSWORD' | 'OAUTH';
}

/** "an IMAP", "a POP3". */
function article(protocol: string): string {
  return /^[AEIOU]/i.test(protocol) ? 'an' : 'a';
}

export function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 100) / 10;
  return `${seconds} s`;
}

/** One short sentence, ours, naming the problem. */
export function failureMessage(stage: ConnectionStage, protocol: string, facts: DiagnosisFacts): string {
  const code = normalizeCode(facts.code);
  const host = facts.host ?? 'the server';
  const at = facts.port === undefined ? host : `${host} port ${facts.port}`;
  switch (code) {
    case 'NOT_FOUND': return `${host} could not be found in DNS`;
    case 'DNS_UNAVAILABLE': return `The DNS lookup for ${host} failed; the resolver did not answer`;
    case 'REFUSED_ADDRESS': return `${host} points to an address mail servers are not allowed at`;
    case 'TIMEOUT': {
      const within = facts.timeoutMs === undefined ? '' : ` within ${formatSeconds(facts.timeoutMs)}`;
      return stage === 'DNS' ? `The DNS lookup for ${host} got no answer${within}` : `${at}: no answer${within}`;
    }
    case 'CONNECTION_REFUSED': return `${at} refused the connection`;
    case 'UNREACHABLE': return `${host} is unreachable from this server (no network route)`;
    case 'CONNECTION_RESET':
      return stage === 'TLS'
        ? `${at} closed the connection during the TLS handshake`
        : `${at} closed the connection unexpectedly`;
    case 'NOT_TLS': return 'The server did not start a TLS handshake — wrong security type or port?';
    case 'NO_GREETING': return `The server sent no ${protocol} greeting — wrong security type or port?`;
    case 'UNEXPECTED_GREETING': return `The server did not answer like ${article(protocol)} ${protocol} server — wrong port?`;
    case 'STARTTLS_UNSUPPORTED': return 'The server does not offer STARTTLS on this port';
    case 'CERT_SELF_SIGNED': return "The server's certificate is self-signed and not trusted";
    case 'CERT_UNTRUSTED': return "The server's certificate is not issued by a trusted authority";
    case 'CERT_HOSTNAME': return `The server's certificate is not valid for the name ${host}`;
    case 'CERT_EXPIRED': return "The server's certificate has expired";
    case 'CERT_NOT_YET_VALID': return "The server's certificate is not valid yet";
    case 'CERT_INVALID': return "The server's certificate was rejected";
    case 'TLS_HANDSHAKE': return 'The TLS handshake failed (no common TLS version or cipher?)';
    case 'NO_CREDENTIALS': return 'No password or access token is saved for this server';
    case 'AUTH_REJECTED':
      return facts.authMethod === 'OAUTH'
        ? 'The server rejected the OAuth access token'
        : 'The server rejected the username or password';
    case 'AUTH_EXPIRED': return 'The server says the credentials have expired';
    case 'AUTH_METHOD_UNSUPPORTED':
      return facts.authMethod === 'OAUTH'
        ? 'The server does not offer OAuth sign-in'
        : 'The server offers no password sign-in method we support';
    case 'LOGIN_DISABLED': return 'The server does not allow signing in over an unencrypted connection';
    case 'THROTTLED': return 'The server is rate-limiting this account; try again later';
    case 'SERVER_UNAVAILABLE': return 'The server is temporarily unable to sign in this account';
    case 'MAILBOX_IN_USE': return `The mailbox is in use: another ${protocol} client (or Mailroom's own poller) holds it`;
    case 'MAILBOX_UNAVAILABLE': return `${protocol} is reachable but INBOX could not be opened`;
    case 'UNKNOWN': return `The ${STAGE_NAMES[stage]} failed`;
  }
}

const STAGE_NAMES: Record<ConnectionStage, string> = {
  DNS: 'DNS lookup',
  TCP: 'connection',
  TLS: 'TLS handshake',
  AUTH: 'sign-in',
  PROTOCOL: 'mailbox check',
};

/**
 * What the admin should check, most likely first. From the seed's Test Connection table,
 * tailored by stage and code so the first entry is usually the answer.
 */
export function likelyCauses(stage: ConnectionStage, protocol: string, detail: DiagnosisFacts = {}): string[] {
  const code = normalizeCode(detail.code);
  const host = detail.host ?? 'the server';
  const portText = detail.port === undefined ? 'this port' : `port ${detail.port}`;
  const sslPort = protocol === 'POP3' ? 995 : protocol === 'SMTP' ? 465 : 993;
  const plainPort = protocol === 'POP3' ? 110 : protocol === 'SMTP' ? 587 : 143;
  // EWS and Graph are HTTPS: SSL on 443, None (plain http) only behind a TLS-terminating proxy.
  const overHttp = protocol === 'EWS' || protocol === 'Microsoft Graph';
  const wrongSecurity = overHttp
    ? `Wrong security type for ${portText}: ${protocol} normally uses HTTPS (SSL) on port 443; None means plain http`
    : `Wrong security type for ${portText}: ${protocol} normally uses ${sslPort} with SSL and ${plainPort} with STARTTLS (TLS) or None`;
  const firewall = 'A firewall blocks the connection, on this network or in front of the mail server';
  const wrongHost = 'Wrong server address';

  switch (stage) {
    case 'DNS':
      if (code === 'REFUSED_ADDRESS') {
        return [
          'The server address points to this server itself, a link-local or a cloud metadata address — enter the mail server\'s real host name',
        ];
      }
      if (code === 'DNS_UNAVAILABLE' || code === 'TIMEOUT') {
        return [
          'This server\'s DNS resolver is down or unreachable',
          'A firewall blocks DNS lookups from this server',
          `${wrongHost}: the domain's own DNS servers are failing`,
        ];
      }
      if (code === 'NOT_FOUND') {
        return [
          `${wrongHost}: check the spelling of ${host}`,
          'DNS resolution failure: the name does not exist or this server cannot resolve it',
        ];
      }
      return [
        `${wrongHost}: check the spelling of ${host}`,
        'DNS resolution failure: the name does not exist or this server cannot resolve it',
        'A firewall blocks DNS lookups from this server',
      ];

    case 'TCP':
      switch (code) {
        case 'CONNECTION_REFUSED':
          return [
            `Nothing listens on ${portText} at ${host} — wrong port, or the service is stopped`,
            wrongSecurity,
            `${wrongHost}: ${host} is not the mail server`,
          ];
        case 'UNREACHABLE':
          return [
            `${wrongHost}: ${host} is not reachable from this network`,
            'This server has no outbound route to the internet (a proxy may be required)',
            firewall,
          ];
        case 'CONNECTION_RESET':
          return [firewall, `Wrong port: ${portText} is not the ${protocol} service`];
        default:
          return [
            `${firewall} (${portText} is filtered)`,
            `Wrong port number: ${portText} is not open on ${host}`,
            `${wrongHost}`,
          ];
      }

    case 'TLS':
      switch (code) {
        case 'NOT_TLS':
          return [
            overHttp
              ? `Wrong security type: ${portText} speaks plain http — choose None, or use port 443 with SSL`
              : `Wrong security type: ${portText} speaks plain ${protocol} — choose STARTTLS (TLS) or None, or use port ${sslPort} for SSL`,
          ];
        case 'NO_GREETING':
          return [
            `Wrong security type: ${portText} seems to expect SSL from the first byte — choose SSL`,
            wrongSecurity,
          ];
        case 'UNEXPECTED_GREETING':
          return [`Wrong port: ${portText} at ${host} is not ${article(protocol)} ${protocol} service`, wrongSecurity];
        case 'STARTTLS_UNSUPPORTED':
          return [
            `Wrong security type: choose SSL with port ${sslPort}, or None if the server really offers no encryption`,
          ];
        case 'CERT_SELF_SIGNED':
        case 'CERT_UNTRUSTED':
          return [
            'The server uses a self-signed or privately issued certificate — if you trust it, turn on "Allow self-signed certificate"',
            'The server sends an incomplete certificate chain (missing intermediate certificate)',
          ];
        case 'CERT_HOSTNAME':
          return [
            `The certificate is issued for a different name — use the host name it was issued for instead of ${host}`,
            `${wrongHost}: ${host} points to a different server`,
          ];
        case 'CERT_EXPIRED':
        case 'CERT_NOT_YET_VALID':
          return [
            'The mail server\'s certificate must be renewed by its administrator',
            'This server\'s clock is wrong',
          ];
        case 'TIMEOUT':
          return [wrongSecurity, firewall];
        default:
          return ['SSL/TLS certificate issue', wrongSecurity];
      }

    case 'AUTH':
      switch (code) {
        case 'NO_CREDENTIALS':
          if (detail.authMethod === 'OAUTH') return ['Sign in from the server settings so Mailroom gets an OAuth token'];
          if (detail.authMethod === 'PASSWORD') return ['Enter the password (or app password) in the server settings'];
          return ['Enter the password, or sign in again to get an OAuth token'];
        case 'LOGIN_DISABLED':
          return ['Security type None sends the password unencrypted — choose SSL or STARTTLS (TLS)'];
        case 'AUTH_METHOD_UNSUPPORTED':
          return detail.authMethod === 'OAUTH'
            ? [
              `This server does not support OAuth (XOAUTH2 / OAUTHBEARER) for ${protocol} — use Basic Auth with a password or App Password`,
              `${wrongHost}: the provider's OAuth-enabled ${protocol} host is a different one`,
            ]
            : ['The server only offers sign-in methods Mailroom does not support — use OAuth if the provider offers it'];
        case 'THROTTLED':
        case 'SERVER_UNAVAILABLE':
          return ['The provider is limiting sign-ins for this account — wait and retry', 'Wrong username or password (too many failed attempts)'];
        case 'MAILBOX_IN_USE':
          // RFC 2449 [IN-USE]: the password was right, the maildrop is locked by a live session.
          return [
            `Mailroom's own poller is reading this mailbox right now — try again in a few seconds`,
            `Another mail client is connected to this mailbox over ${protocol} — close it, or let only Mailroom read the mailbox`,
            'A session that ended badly still holds the lock — the server releases it after its own timeout',
          ];
        case 'NO_GREETING':
        case 'TIMEOUT':
          return [wrongSecurity, 'The server is overloaded or slow to answer', firewall];
        case 'CONNECTION_RESET':
          return ['The server drops the sign-in (too many connections, or blocked by the provider)', firewall];
        default: {
          const password = [
            'Wrong username or password',
            'Expired or revoked App Password (Gmail, Yahoo and iCloud need one when 2-step verification is on)',
          ];
          const oauth = ['OAuth token issue: the token or client secret expired, or the scope does not match the protocol'];
          // A known sign-in method names only its own failures: a password was refused, so no token is involved.
          if (detail.authMethod === 'OAUTH') return [...oauth, 'Wrong username (it must be the mailbox the token was issued for)'];
          // Outgoing servers sign in with a password only.
          if (protocol === 'SMTP') return password;
          if (detail.authMethod === 'PASSWORD') return [...password, `${protocol} access is turned off for this account, or the provider requires OAuth instead of a password`];
          return [...password, ...oauth];
        }
      }

    case 'PROTOCOL':
      return [
        `${protocol} is not enabled on the email account — enable it in the provider's mailbox settings`,
        'The account has no INBOX or may not read it (shared or restricted mailbox)',
      ];
  }
}
