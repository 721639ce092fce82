import { createHash } from 'node:crypto';

/**
 * SHA-256 of a message's bytes. A module of its own: the main thread needs it (duplicates, the
 * write, replies) without loading the parser, which runs in the pool's worker threads.
 */
export function contentHash(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}
