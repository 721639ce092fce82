import type { ConnectionTestResult, ConnectionTestTarget, ProgressListener } from '../../mail/connection-test/connection-test.js';
import { ewsServiceUrl } from '../../mail/ews/ews-service.js';
import { graphBaseUrl } from '../../mail/graph/graph-client.js';
import { tokenFailureResult } from '../../mail/oauth/token-test-result.js';
import type { ProxyConfig } from '../../mail/proxy.js';
import type { IncomingServerRow, ServerCredentials } from '../../db/schema.js';
import type { NotFoundError, ValidationError } from '../../lib/errors.js';
import type { IncomingServerService } from './incoming-server.service.js';
import { importInSteps } from '../../lib/import-in-steps.js';

export interface TestOptions {
  /** Secrets to test with instead of the stored ones (settings not saved yet). */
  credentials?: ServerCredentials;
  /** OAuth: the saved server whose token to use; null when these settings have no sign-in yet. */
  signedIn?: IncomingServerRow | null;
  onProgress?: ProgressListener;
}

/** Runs Test Connection with a server's saved settings and secrets, or with a drawer's unsaved ones. */
export class ConnectionTester {
  constructor(
    private readonly servers: IncomingServerService,
    private readonly allowLoopback: boolean,
    private readonly proxies?: { config(id: string): Promise<ProxyConfig | null> },
    private readonly tokens?: { accessToken(server: IncomingServerRow, proxy: ProxyConfig | null): Promise<string> },
  ) {}

  /** The drawer's input, with the stored secrets where it leaves them empty (same SSRF guard, same stages). */
  async testDraft(raw: unknown, id: string | null, onProgress?: ProgressListener): Promise<ConnectionTestResult | ValidationError | NotFoundError> {
    const draft = await this.servers.draft(raw, id);
    if (!('row' in draft)) return draft;
    return this.test(draft.row, { credentials: draft.credentials, signedIn: draft.signedIn, onProgress });
  }

  async test(server: IncomingServerRow, opts: TestOptions = {}): Promise<ConnectionTestResult> {
    const credentials = opts.credentials ?? this.servers.credentials(server);
    const proxy = server.proxyServerId ? ((await this.proxies?.config(server.proxyServerId)) ?? null) : null;
    if (server.proxyServerId && !proxy) {
      return {
        ok: false, failedStage: 'TCP', durationMs: 0, stages: [],
        message: 'The proxy server chosen for this mailbox no longer exists', causes: ['Choose another proxy server, or none, in the server settings'],
      };
    }
    const oauth = server.authType === 'OAUTH';
    // OAuth: the token comes from the token service (refreshed when it expires within 30 s), before any connection.
    let accessToken = oauth ? (credentials.oauth.accessToken ?? null) : null;
    const signedIn = opts.signedIn === undefined ? server : opts.signedIn;
    if (oauth && this.tokens) {
      accessToken = null;
      if (signedIn) {
        const started = performance.now();
        try {
          accessToken = await this.tokens.accessToken(signedIn, proxy);
        } catch (err) {
          return tokenFailureResult(err, performance.now() - started);
        }
      }
    }
    const target = targetOf(server, credentials, accessToken, proxy);
    if (!target) {
      return {
        ok: false, failedStage: 'PROTOCOL', durationMs: 0, stages: [],
        message: `Test Connection for ${server.protocol} is not available in this version of Mailroom`,
        causes: [],
      };
    }
    // The probes (and imapflow) load with the first test, not with the process, in parts (importInSteps).
    await importInSteps([() => import('socks'), () => import('imapflow')]);
    const { testConnection } = await import('../../mail/connection-test/connection-test.js');
    return testConnection(target, { allowLoopback: this.allowLoopback, onProgress: opts.onProgress });
  }
}

function targetOf(server: IncomingServerRow, credentials: ServerCredentials, accessToken: string | null, proxy: ProxyConfig | null): ConnectionTestTarget | null {
  const oauth = server.authType === 'OAUTH';
  const username = server.username || server.email;
  const common = { allowSelfSignedCertificate: server.allowSelfSignedCertificate, proxy };
  switch (server.protocol) {
    case 'POP3':
      return {
        protocol: 'POP3', host: server.host ?? '', port: server.port ?? (server.security === 'SSL' ? 995 : 110), security: server.security ?? 'SSL',
        username, password: credentials.password, ...common,
      };
    case 'EWS':
      return {
        protocol: 'EWS', url: ewsServiceUrl(server).toString(), mailbox: server.email, username, password: credentials.password,
        accessToken: oauth ? accessToken : null, authMethod: oauth ? 'OAUTH' : 'PASSWORD', ...common,
      };
    case 'GRAPH':
      return { protocol: 'GRAPH', baseUrl: graphBaseUrl(server).toString(), mailbox: server.email, accessToken: oauth ? accessToken : null, ...common };
    case 'IMAP':
      return {
        protocol: 'IMAP', host: server.host ?? '', port: server.port ?? 993, security: server.security ?? 'SSL', username,
        password: credentials.password, accessToken: oauth ? accessToken : null, authMethod: oauth ? 'OAUTH' : 'PASSWORD', ...common,
      };
    default:
      return null;
  }
}
