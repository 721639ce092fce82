import { Repeater } from 'graphql-yoga';
import { builder } from '../../graphql/builder.js';
import { NotFoundErrorRef, ValidationErrorRef } from '../../graphql/errors.js';
import { ExpectedError, type NotFoundError, type ValidationError } from '../../lib/errors.js';
import type { ConnectionTestProgress, ConnectionTestResult, ProgressListener, StageResult } from '../../mail/connection-test/connection-test.js';

export const ConnectionStageRef = builder.enumType('ConnectionStage', { values: ['DNS', 'TCP', 'TLS', 'AUTH', 'PROTOCOL'] as const });

export const ConnectionTestStageRef = builder.objectRef<StageResult>('ConnectionTestStage').implement({
  fields: (t) => ({
    stage: t.field({ type: ConnectionStageRef, resolve: (s) => s.stage }),
    ok: t.exposeBoolean('ok'),
    skipped: t.exposeBoolean('skipped'),
    durationMs: t.int({ resolve: (s) => Math.round(s.durationMs) }),
    message: t.exposeString('message', { nullable: true }),
  }),
});

export const ConnectionTestResultRef = builder.objectRef<ConnectionTestResult>('ConnectionTestResult').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    failedStage: t.field({ type: ConnectionStageRef, nullable: true, resolve: (r) => r.failedStage }),
    message: t.exposeString('message', { nullable: true }),
    causes: t.exposeStringList('causes'),
    stages: t.field({ type: [ConnectionTestStageRef], resolve: (r) => r.stages }),
    durationMs: t.int({ resolve: (r) => Math.round(r.durationMs) }),
  }),
});

class ProgressEvent {
  constructor(readonly stages: StageResult[], readonly running: ConnectionTestProgress['running'], readonly result: ConnectionTestResult | null) {}
}

const ConnectionTestProgressRef = builder.objectRef<ProgressEvent>('ConnectionTestProgress').implement({
  description: 'One step of a running Test Connection: the stages finished so far, the one running, and the result at the end.',
  isTypeOf: (v) => v instanceof ProgressEvent,
  fields: (t) => ({
    stages: t.field({ type: [ConnectionTestStageRef], resolve: (p) => p.stages }),
    running: t.field({ type: ConnectionStageRef, nullable: true, description: 'Null once the test is over.', resolve: (p) => p.running }),
    result: t.field({ type: ConnectionTestResultRef, nullable: true, description: 'Set on the last event only.', resolve: (p) => p.result }),
  }),
});

export const ConnectionTestEventRef = builder.unionType('ConnectionTestEvent', {
  types: [ConnectionTestProgressRef, ValidationErrorRef, NotFoundErrorRef],
});

export type ConnectionTestEvent = ProgressEvent | ValidationError | NotFoundError;

/**
 * A subscription's events for one test: a progress event as each stage starts and ends, then the
 * result (or, before anything ran, the reason the settings cannot be tested), then the end.
 */
export function streamTest(run: (onProgress: ProgressListener) => Promise<ConnectionTestResult | ValidationError | NotFoundError>): AsyncIterable<ConnectionTestEvent> {
  return new Repeater<ConnectionTestEvent>(async (push, stop) => {
    try {
      const outcome = await run((progress) => {
        if (progress.running) void push(new ProgressEvent(progress.stages, progress.running, null));
      });
      await push(outcome instanceof ExpectedError ? outcome : new ProgressEvent(outcome.stages, null, outcome));
      stop();
    } catch (err) {
      stop(err);
    }
  });
}
