// Shared assertions for Test Connection results (every protocol's suite uses them).
import { expect } from 'vitest';
import { CONNECTION_STAGES, type ConnectionStage, type ConnectionTestResult } from '../../server/src/mail/connection-test/connection-test.ts';
import { freePorts } from './services/util.ts';

/** Failed at `stage`: every earlier stage ok, that one failed with the result's message, later ones skipped, causes given. */
export function expectFailedAt(result: ConnectionTestResult, stage: ConnectionStage): void {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  expect(result.failedStage).toBe(stage);
  const index = CONNECTION_STAGES.indexOf(stage);
  expect(result.stages.slice(0, index).every((s) => s.ok)).toBe(true);
  expect(result.stages[index]).toMatchObject({ ok: false, skipped: false, message: result.message });
  expect(result.stages.slice(index + 1).every((s) => s.skipped && !s.ok)).toBe(true);
  expect(result.causes.length).toBeGreaterThan(0);
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  return (await freePorts(1))[0]!;
}
