import { testConnection, type ConnectionTestResult } from '../../mail/connection-test/connection-test.js';
import type { IncomingServerRow, IncomingServerService } from './incoming-server.service.js';

/** Runs Test Connection with a server's saved settings and secrets. */
export class ConnectionTester {
  constructor(private readonly servers: IncomingServerService, private readonly allowLoopback: boolean) {}

  async test(server: IncomingServerRow): Promise<ConnectionTestResult> {
    const credentials = this.servers.credentials(server);
    if (server.protocol !== 'IMAP') {
      return {
        ok: false, failedStage: 'PROTOCOL', durationMs: 0, stages: [],
        message: `Test Connection for ${server.protocol} is not available in this version of Mailroom`,
        causes: [],
      };
    }
    return testConnection(
      {
        protocol: 'IMAP',
        host: server.host ?? '',
        port: server.port ?? 993,
        security: server.security ?? 'SSL',
        allowSelfSignedCertificate: server.allowSelfSignedCertificate,
        username: server.username || server.email,
        password: credentials.password,
        accessToken: credentials.oauth.accessToken ?? null,
      },
      { allowLoopback: this.allowLoopback },
    );
  }
}
