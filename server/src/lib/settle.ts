export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * A promise that never rejects: a prefetch nobody awaits any more (stop, a failed commit) must
 * not become an unhandled rejection. Read `ok` and rethrow `error` where the result is used.
 */
export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
}
