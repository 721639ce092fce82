// The parser pool's worker thread (ingest/parser-pool.ts): one raw message in, its prepared form out.
import { prepareMail, type PreparedMail } from './prepare.js';

export interface ParseTask {
  /** Several messages per task when they queue up: one round trip to the worker for all of them. */
  messages: { raw: Uint8Array; maxMessageBytes: number }[];
  /** 1 for the first try; the pool retries a message whose worker died (alone). */
  attempt: number;
  /** MAILROOM_FAULT_POINT, for the crash tests. */
  faultPoint: string | null;
}

/** A task's own failure comes back as a value: only a dead worker rejects, so the pool can tell the two apart. */
export type ParseResult = { ok: true; mail: PreparedMail } | { ok: false; error: string };

const FAULT_HEADER = /^X-Mailroom-Fault:[ \t]*parser-out-of-memory(;[ \t]*once)?[ \t]*\r?$/im;

export default async function parse(task: ParseTask): Promise<ParseResult[]> {
  const results: ParseResult[] = [];
  for (const message of task.messages) {
    const raw = Buffer.from(message.raw.buffer, message.raw.byteOffset, message.raw.byteLength);
    if (task.faultPoint === 'parser.outOfMemory') exhaustMemoryOn(raw, task.attempt);
    try {
      results.push({ ok: true, mail: await prepareMail(raw, message.maxMessageBytes) });
    } catch (err) {
      results.push({ ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return results;
}

/**
 * Test-only crash injection: a message carrying the fault header runs the worker out of memory
 * (as a parser bug on a hostile message would) on every attempt, or only on the first with `; once`.
 */
function exhaustMemoryOn(raw: Buffer, attempt: number): void {
  const head = raw.subarray(0, 64 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const m = FAULT_HEADER.exec(end === -1 ? head : head.slice(0, end));
  if (!m || (m[1] && attempt > 1)) return;
  const hog: number[][] = [];
  for (;;) hog.push(new Array(1 << 20).fill(attempt));
}
