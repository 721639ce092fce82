// Runs a protocol's probe steps in order under one deadline, times each, and turns the
// first failure into our own message and likely causes. Protocol-agnostic: a POP3, EWS or
// Graph probe is just another list of steps.
import { performance } from 'node:perf_hooks';
import { DnsError, TargetRefusedError } from '../address-guard.js';
import { failureCode, failureMessage, likelyCauses, type DiagnosisFacts, type FailureCode } from './diagnosis.js';
import type { ConnectionStage, ConnectionTestResult, StageResult } from './types.js';

/** Thrown by steps that already know what went wrong. Its text is never shown. */
export class StageFailure extends Error {
  constructor(
    readonly code: FailureCode,
    /** Our own message and causes, when the generic ones for `code` would mislead (e.g. naming the proxy rather than the mail server). */
    readonly explanation?: { message: string; causes: string[] },
  ) {
    super(code);
  }
}

class DeadlineExceeded extends Error {}

export class Deadline {
  private readonly endsAt: number;
  constructor(readonly budgetMs: number) {
    this.endsAt = performance.now() + budgetMs;
  }
  remainingMs(): number {
    return Math.max(0, this.endsAt - performance.now());
  }
}

/** Everything a probe opened, so a timeout or failure can tear it all down at once. */
export class OpenResources {
  private readonly closers = new Set<() => void>();
  private closed = false;

  /** Returns a function that forgets the resource once its owner closed it. */
  add(close: () => void): () => void {
    // A step abandoned at the deadline may still be running; whatever it opens now is closed at once.
    if (this.closed) {
      close();
      return () => false;
    }
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  closeAll(): void {
    this.closed = true;
    for (const close of [...this.closers]) {
      this.closers.delete(close);
      try {
        close();
      } catch {
        // Closing is best effort; one failing closer must not keep the others open.
      }
    }
  }
}

export interface ProbeContext {
  deadline: Deadline;
  resources: OpenResources;
}

export interface StepOutcome {
  skipped?: boolean;
  /** Our own note for the stage (e.g. "TLSv1.3"); never server text. */
  note?: string | null;
}

export interface ProbeStep<C extends ProbeContext> {
  stage: ConnectionStage;
  run(ctx: C): Promise<StepOutcome>;
}

export interface Probe<C extends ProbeContext> {
  protocol: string;
  context: C;
  steps: ProbeStep<C>[];
  /** Host, port and the like, for messages and causes. */
  facts: DiagnosisFacts;
  /** Polite goodbye after the last step (IMAP LOGOUT). Bounded; its failure is ignored. */
  farewell?(ctx: C): Promise<void>;
}

const FAREWELL_BUDGET_MS = 1000;

/** Where a running test is: the stages finished so far and the one running now (null: done). */
export interface ConnectionTestProgress {
  stages: StageResult[];
  running: ConnectionStage | null;
}
export type ProgressListener = (progress: ConnectionTestProgress) => void;

/** Runs the steps in order; `onProgress` hears of each stage as it starts and as it ends. */
export async function runProbe<C extends ProbeContext>(probe: Probe<C>, onProgress?: ProgressListener): Promise<ConnectionTestResult> {
  const { context: ctx } = probe;
  const started = performance.now();
  const stages: StageResult[] = [];
  let failure: { stage: ConnectionStage; code: FailureCode; message: string; causes?: string[] } | null = null;

  try {
    for (const step of probe.steps) {
      if (failure) {
        stages.push({ stage: step.stage, ok: false, skipped: true, durationMs: 0, message: null });
        continue;
      }
      const stepStarted = performance.now();
      report(onProgress, stages, step.stage);
      try {
        const outcome = await withinDeadline(step.run(ctx), ctx.deadline.remainingMs(), () => ctx.resources.closeAll());
        stages.push({
          stage: step.stage, ok: true, skipped: outcome.skipped ?? false,
          durationMs: elapsedSince(stepStarted), message: outcome.note ?? null,
        });
      } catch (err) {
        const code = codeOf(err);
        const facts = { ...probe.facts, code, timeoutMs: ctx.deadline.budgetMs };
        // The guard's message is ours and more specific than the generic one for its code.
        const explanation = err instanceof StageFailure ? err.explanation : undefined;
        const message = explanation?.message ?? (err instanceof TargetRefusedError ? err.message : failureMessage(step.stage, probe.protocol, facts));
        failure = { stage: step.stage, code, message, causes: explanation?.causes };
        stages.push({ stage: step.stage, ok: false, skipped: false, durationMs: elapsedSince(stepStarted), message });
      }
    }
    if (!failure && probe.farewell) {
      const budget = Math.min(FAREWELL_BUDGET_MS, ctx.deadline.remainingMs());
      await withinDeadline(probe.farewell(ctx), budget, () => undefined).catch(() => undefined);
    }
  } finally {
    ctx.resources.closeAll();
  }
  report(onProgress, stages, null);

  return {
    ok: failure === null,
    failedStage: failure?.stage ?? null,
    message: failure?.message ?? null,
    causes: failure ? (failure.causes ?? likelyCauses(failure.stage, probe.protocol, { ...probe.facts, code: failure.code })) : [],
    stages,
    durationMs: elapsedSince(started),
  };
}

function report(onProgress: ProgressListener | undefined, stages: StageResult[], running: ConnectionStage | null): void {
  try {
    onProgress?.({ stages: [...stages], running });
  } catch {
    // A listener that fails (a closed subscription) must not fail the test.
  }
}

function codeOf(err: unknown): FailureCode {
  if (err instanceof StageFailure) return err.code;
  if (err instanceof DeadlineExceeded) return 'TIMEOUT';
  if (err instanceof TargetRefusedError) return 'REFUSED_ADDRESS';
  if (err instanceof DnsError) return failureCode({ code: err.code });
  return failureCode(err);
}

/**
 * Settles with `work`, or rejects with DeadlineExceeded after `ms` and calls `onExpire`
 * (which closes the step's sockets, so the abandoned work unwinds instead of leaking).
 */
function withinDeadline<T>(work: Promise<T>, ms: number, onExpire: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new DeadlineExceeded());
      onExpire();
    }, ms);
    work.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (err: unknown) => { clearTimeout(timer); reject(err); },
    );
  });
}

function elapsedSince(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}
