import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../server/src/lib/group-commit.ts';

/** A run whose groups finish when the test says so. */
function scripted() {
  const groups: { items: string[]; finish: (failing?: string) => void; fail: (e: Error) => void }[] = [];
  const run = (items: string[]) =>
    new Promise<PromiseSettledResult<string>[]>((resolve, reject) => {
      const settle = (failing?: string) => resolve(items.map((i) =>
        i === failing ? { status: 'rejected', reason: new Error(`${i} failed`) } : { status: 'fulfilled', value: `done ${i}` }));
      groups.push({ items, finish: settle, fail: reject });
    });
  return { groups, run };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit: what arrives while the transactions run goes into the next one together', () => {
  it('runs a lone submission at once, alone', async () => {
    const { groups, run } = scripted();
    const commits = new GroupCommit(run, { concurrency: 2, maxWeight: 10 });
    const a = commits.submit('a', 1);
    expect(groups.map((g) => g.items)).toEqual([['a']]);
    groups[0]!.finish();
    expect(await a).toBe('done a');
  });

  it('merges what waited while every slot was busy, up to the weight limit, each getting its own result', async () => {
    const { groups, run } = scripted();
    const commits = new GroupCommit(run, { concurrency: 2, maxWeight: 5 });
    const results = ['a', 'b', 'c', 'd', 'e', 'f'].map((x, i) => commits.submit(x, i === 4 ? 3 : 1));
    // a and b take the two slots; c, d, e (weight 1 + 1 + 3) and f wait.
    expect(groups.map((g) => g.items)).toEqual([['a'], ['b']]);
    groups[0]!.finish();
    await tick();
    expect(groups.map((g) => g.items)).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    groups[1]!.finish();
    await tick();
    expect(groups[3]!.items).toEqual(['f']);
    groups[2]!.finish();
    groups[3]!.finish();
    expect(await Promise.all(results)).toEqual(['done a', 'done b', 'done c', 'done d', 'done e', 'done f']);
  });

  it('a submission heavier than the limit still runs, on its own', async () => {
    const { groups, run } = scripted();
    const commits = new GroupCommit(run, { concurrency: 1, maxWeight: 5 });
    void commits.submit('busy', 1);
    const big = commits.submit('big', 50);
    const small = commits.submit('small', 1);
    groups[0]!.finish();
    await tick();
    expect(groups[1]!.items).toEqual(['big']);
    groups[1]!.finish();
    await tick();
    expect(groups[2]!.items).toEqual(['small']);
    groups[2]!.finish();
    expect([await big, await small]).toEqual(['done big', 'done small']);
  });

  it('a failed group fails each of its submissions, and the next group still runs', async () => {
    const { groups, run } = scripted();
    const commits = new GroupCommit(run, { concurrency: 1, maxWeight: 10 });
    const first = commits.submit('a', 1);
    const second = commits.submit('b', 1);
    const third = commits.submit('c', 1);
    groups[0]!.fail(new Error('database gone'));
    await expect(first).rejects.toThrow('database gone');
    await tick();
    expect(groups[1]!.items).toEqual(['b', 'c']);
    groups[1]!.fail(new Error('still gone'));
    await expect(second).rejects.toThrow('still gone');
    await expect(third).rejects.toThrow('still gone');
    const fourth = commits.submit('d', 1);
    expect(groups[2]!.items).toEqual(['d']);
    groups[2]!.finish();
    expect(await fourth).toBe('done d');
  });

  it('an item that fails on its own fails alone; the rest of its group gets its results', async () => {
    const { groups, run } = scripted();
    const commits = new GroupCommit(run, { concurrency: 1, maxWeight: 10 });
    void commits.submit('busy', 1);
    const [a, b, c] = ['a', 'b', 'c'].map((x) => commits.submit(x, 1));
    const bFailed = b!.then(() => null, (err: Error) => err.message);
    groups[0]!.finish();
    await tick();
    expect(groups[1]!.items).toEqual(['a', 'b', 'c']);
    groups[1]!.finish('b');
    expect([await a, await bFailed, await c]).toEqual(['done a', 'b failed', 'done c']);
  });
});
