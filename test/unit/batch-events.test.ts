import { describe, expect, it } from 'vitest';
import { batchDistinct } from '../../server/src/lib/batch-events.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A live source like the pub/sub's: values pushed from outside, and whether its consumer let go. */
function liveSource<T>() {
  const queue: T[] = [];
  const waiting: ((result: IteratorResult<T>) => void)[] = [];
  const state = { returned: false, ended: false };
  const finish = () => waiting.splice(0).forEach((resolve) => resolve({ done: true, value: undefined }));
  const source: AsyncIterableIterator<T> = {
    next: () =>
      queue.length ? Promise.resolve({ done: false, value: queue.shift()! })
      : state.ended || state.returned ? Promise.resolve({ done: true, value: undefined })
      : new Promise((resolve) => waiting.push(resolve)),
    return: async () => {
      state.returned = true;
      finish();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return {
    source,
    push: (value: T) => (waiting.length ? waiting.shift()!({ done: false, value }) : void queue.push(value)),
    end: () => {
      state.ended = true;
      finish();
    },
    state,
  };
}

describe('batchDistinct', () => {
  it('sends what a window caught once, each value once in arrival order, and nothing for a quiet spell', async () => {
    const live = liveSource<string>();
    const batches = batchDistinct(live.source, 40)[Symbol.asyncIterator]();
    const first = batches.next();
    await sleep(5);
    for (const id of ['a', 'b', 'a', 'c', 'b', 'a']) live.push(id);
    expect(await first).toEqual({ done: false, value: ['a', 'b', 'c'] });

    const second = batches.next();
    let settled = false;
    void second.then(() => (settled = true));
    await sleep(100);
    expect(settled).toBe(false); // no empty batch while nothing happens
    live.push('c');
    expect(await second).toEqual({ done: false, value: ['c'] });
    await batches.return?.();
  });

  it('holds what arrives while a batch is not taken and sends it as the next one', async () => {
    const live = liveSource<number>();
    const batches = batchDistinct(live.source, 20)[Symbol.asyncIterator]();
    const first = batches.next();
    await sleep(5);
    live.push(1);
    expect((await first).value).toEqual([1]);
    // Nobody asks for the next batch for a while: three windows' worth piles up into one.
    for (const n of [2, 3, 2]) {
      live.push(n);
      await sleep(30);
    }
    expect((await batches.next()).value).toEqual([2, 3]);
    await batches.return?.();
  });

  it('lets go of its source when its consumer stops', async () => {
    const live = liveSource<string>();
    const batches = batchDistinct(live.source, 20)[Symbol.asyncIterator]();
    const pending = batches.next();
    await sleep(5);
    await batches.return?.();
    expect(await pending).toEqual({ done: true, value: undefined });
    await sleep(5);
    expect(live.state.returned).toBe(true);
  });

  it('sends the last window when its source ends, then ends', async () => {
    const live = liveSource<string>();
    const batches = batchDistinct(live.source, 1000)[Symbol.asyncIterator]();
    const first = batches.next();
    await sleep(5);
    live.push('x');
    live.end();
    expect(await first).toEqual({ done: false, value: ['x'] });
    expect((await batches.next()).done).toBe(true);
  });
});
