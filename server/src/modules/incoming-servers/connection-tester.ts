import { testConnection, type ConnectionTestResult } from '../../mail/connection-test/connection-test.js';
import { ewsServiceUrl } from '../../mail/ews/ews-service.js';
import { graphBaseUrl } from '../../mail/graph/graph-client.js';
import { tokenFailureResult } from '../../mail/oauth/token-test-result.js';
import type { ProxyConfig } from '../../mail/proxy.js';
import type { IncomingServerService } from './incoming-server.service.js';
import type { IncomingServerRow } from '../../db/schema.js';

/** Runs Test Connection with a server's saved settings and secrets. */
export class ConnectionTester {
  constructor(
    private readonly servers: IncomingServerService,
    private readonly allowLoopback: boolean,
    private readonly proxies?: { config(id: string): Promise<ProxyConfig | null> },
    private readonly tokens?: { accessToken(server: IncomingServerRow, proxy: ProxyConfig | null): Promise<string> },
  ) {}

  async test(server: IncomingServerRow): Promise<ConnectionTestResult> {
    const credentials = this.servers.credentials(server);
    const proxy = server.proxyServerId ? ((await this.proxies?.config(server.proxyServerId)) ?? null) : null;
    if (server.proxyServerId && !proxy) {
      return {
        ok: false, failedStage: 'TCP', durationMs: 0, stages: [],
        message: 'The proxy server chosen for this mailbox no longer exists', causes: ['Choose another proxy server, or none, in the server settings'],
      };
    }
    // OAuth: the token comes from the token service (refreshed when it expires within 30 s), before any connection.
    let accessToken = credentials.oauth.accessToken ?? null;
    if (server.authType === 'OAUTH' && this.tokens) {
      const started = performance.now();
      try {
        accessToken = await this.tokens.accessToken(server, proxy);
      } catch (err) {
        return tokenFailureResult(err, performance.now() - started);
      }
    }
    if (server.protocol === 'POP3') {
      return testConnection(
        {
          protocol: 'POP3',
          host: server.host ?? '',
          port: server.port ?? (server.security === 'SSL' ? 995 : 110),
          security: server.security ?? 'SSL',
          allowSelfSignedCertificate: server.allowSelfSignedCertificate,
          username: server.username || server.email,
          password: credentials.password,
          proxy,
        },
        { allowLoopback: this.allowLoopback },
      );
    }
    if (server.protocol === 'EWS') {
      return testConnection(
        {
          protocol: 'EWS',
          url: ewsServiceUrl(server).toString(),
          mailbox: server.email,
          allowSelfSignedCertificate: server.allowSelfSignedCertificate,
          username: server.username || server.email,
          password: credentials.password,
          accessToken: server.authType === 'OAUTH' ? accessToken : null,
          proxy,
        },
        { allowLoopback: this.allowLoopback },
      );
    }
    if (server.protocol === 'GRAPH') {
      return testConnection(
        {
          protocol: 'GRAPH',
          baseUrl: graphBaseUrl(server).toString(),
          mailbox: server.email,
          allowSelfSignedCertificate: server.allowSelfSignedCertificate,
          accessToken: server.authType === 'OAUTH' ? accessToken : null,
          proxy,
        },
        { allowLoopback: this.allowLoopback },
      );
    }
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
        accessToken,
        proxy,
      },
      { allowLoopback: this.allowLoopback },
    );
  }
}
