import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Runs `steps` (dynamic imports) one after another, each in its own turn of the event loop. A
 * module graph is compiled and evaluated synchronously once loaded: imapflow with its
 * dependencies held the event loop ~110 ms, undici ~85 ms (more on a loaded machine), which the
 * API and every mailbox would wait for when a mailbox or an outbound HTTPS call first needs them.
 * Loaded in parts, dependencies first, no stretch is longer than the largest part (~50–60 ms).
 */
export async function importInSteps(steps: readonly (() => Promise<unknown>)[]): Promise<void> {
  for (const step of steps) {
    await step();
    await nextTurn();
  }
}
