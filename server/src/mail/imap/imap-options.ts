import { isIP } from 'node:net';
import type { ImapFlowOptions } from 'imapflow';
import type { IncomingServerRow } from '../../db/schema.js';

/** IDLE is re-issued this often; some servers and middleboxes drop connections idle for longer. */
const MAX_IDLE_MS = 5 * 60_000;

export const imapSourceKey = (serverId: string, uidValidity: number, uid: number) => `imap:${serverId}:${uidValidity}:${uid}`;

export function imapClientOptions(server: IncomingServerRow, secret: { password: string | null; accessToken: string | null }, address: string): ImapFlowOptions {
  const user = server.username || server.email;
  // SNI and certificate checks use the configured name, while the socket goes to the address we vetted.
  const servername = server.host && !isIP(server.host) ? server.host : undefined;
  const tls = { rejectUnauthorized: !server.allowSelfSignedCertificate, servername, minVersion: 'TLSv1.2' as const };
  return {
    host: address,
    port: server.port ?? 993,
    secure: server.security === 'SSL',
    // imapflow upgrades opportunistically by default; NONE must stay plain and STARTTLS must be required.
    doSTARTTLS: server.security === 'TLS' ? true : server.security === 'NONE' ? false : undefined,
    servername,
    auth: server.authType === 'OAUTH' ? { user, accessToken: secret.accessToken ?? '' } : { user, pass: secret.password ?? '' },
    tls,
    logger: false,
    connectionTimeout: 15_000,
    greetingTimeout: 10_000,
    socketTimeout: 10 * 60_000,
    maxIdleTime: MAX_IDLE_MS,
    disableAutoIdle: true,
  } as ImapFlowOptions;
}
