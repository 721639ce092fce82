import { CONNECTION_STAGES, type ConnectionTestResult } from '../connection-test/types.js';
import { MailError } from '../connector.js';

/**
 * Test Connection for an OAuth server whose access token could not be obtained: the AUTH stage
 * fails before any connection to the mail server is opened, naming the cause.
 */
export function tokenFailureResult(err: unknown, durationMs: number): ConnectionTestResult {
  const failure = err instanceof MailError ? err : new MailError('INTERNAL', 'Could not obtain an OAuth access token');
  const causes = failure.kind === 'OAUTH_TOKEN'
    ? ['OAuth sign-in is missing, or its refresh token was revoked or expired — sign in again from the server settings', 'The app registration changed (client secret expired, permissions or consent withdrawn)']
    : failure.kind === 'THROTTLED'
      ? ['The identity provider is throttling token requests; try again in a minute']
      : ['The identity provider (its token endpoint) is not reachable from Mailroom: DNS, a firewall, or the proxy server'];
  return {
    ok: false,
    failedStage: 'AUTH',
    message: failure.message,
    causes,
    durationMs,
    stages: CONNECTION_STAGES.map((stage) => ({
      stage,
      ok: false,
      skipped: stage !== 'AUTH',
      durationMs: stage === 'AUTH' ? durationMs : 0,
      message: stage === 'AUTH' ? failure.message : null,
    })),
  };
}
