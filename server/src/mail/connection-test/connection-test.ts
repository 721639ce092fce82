// SPEC §5 "Test Connection": DNS → TCP → TLS → AUTH → PROTOCOL with the saved settings,
// each stage timed, the first failure named with likely causes, all within one budget.
import { testEwsConnection } from './ews-probe.js';
import { graphProbe } from './graph-probe.js';
import { imapProbe } from './imap-probe.js';
import { pop3Probe } from './pop3-probe.js';
import { runProbe, type ProgressListener } from './probe-runner.js';
import type { ConnectionTestOptions, ConnectionTestResult, ConnectionTestTarget } from './types.js';

export type {
  ConnectionStage, ConnectionTestOptions, ConnectionTestResult, ConnectionTestTarget, EwsTestTarget, GraphTestTarget, ImapTestTarget, Pop3TestTarget, SecurityMode, StageResult,
} from './types.js';
export { CONNECTION_STAGES } from './types.js';
export { likelyCauses } from './diagnosis.js';
export type { ConnectionTestProgress, ProgressListener } from './probe-runner.js';

export const DEFAULT_CONNECTION_TEST_TIMEOUT_MS = 10_000;

/** Never throws for a failed test; the outcome, including failures, is the result. */
export async function testConnection(target: ConnectionTestTarget, opts: ConnectionTestOptions & { onProgress?: ProgressListener }): Promise<ConnectionTestResult> {
  const resolved = { timeoutMs: opts.timeoutMs ?? DEFAULT_CONNECTION_TEST_TIMEOUT_MS, allowLoopback: opts.allowLoopback };
  switch (target.protocol) {
    case 'IMAP':
      return runProbe(imapProbe(target, resolved), opts.onProgress);
    case 'POP3':
      return runProbe(pop3Probe(target, resolved), opts.onProgress);
    case 'EWS':
      return testEwsConnection(target, resolved, opts.onProgress);
    case 'GRAPH':
      return runProbe(graphProbe(target, resolved), opts.onProgress);
  }
}
