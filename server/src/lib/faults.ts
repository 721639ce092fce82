/**
 * Named crash points for the exactly-once tests: when MAILROOM_FAULT_POINT names a point, reaching
 * it kills the process with SIGKILL — no cleanup, no flush — like a power cut at that line.
 */
export type FaultPoint = 'imap.afterCommitBeforeSeen' | 'ingest.afterParseBeforeCommit';

export function faultPoint(configured: string | undefined, name: FaultPoint): void {
  if (configured === name) process.kill(process.pid, 'SIGKILL');
}
