import type { ParsedMessage } from './parse.js';

/**
 * What SPEC §4 steps 2–3 (the checks that need no database) make of one raw message: either the
 * parsed message with its sanitized HTML and content fingerprint, or why it can't be taken.
 */
export type PreparedMail =
  | { parsed: ParsedMessage; html: string | null; fingerprint: string; problem: null }
  | { parsed: null; html: null; fingerprint: null; problem: string };

export function rejected(problem: string): PreparedMail {
  return { parsed: null, html: null, fingerprint: null, problem };
}
