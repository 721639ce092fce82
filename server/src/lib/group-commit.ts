/**
 * Group commit. Up to `concurrency` groups run at once; work submitted while they are all busy
 * waits, and the next free slot takes everything waiting (up to `maxWeight`) as one group. A lone
 * submission on a quiet server runs at once, alone, so it waits for nobody; when a thousand
 * mailboxes each bring one mail, they share transactions instead of each paying its own BEGIN,
 * lookups, inserts and COMMIT.
 *
 * Written here rather than taken from a library: DataLoader batches what arrives within one tick
 * and p-queue limits concurrency but never merges, while a group commit merges exactly what
 * arrived while the previous transactions ran, which neither does.
 */
export class GroupCommit<Item, Result> {
  private readonly waiting: { item: Item; weight: number; resolve: (r: Result) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;

  constructor(
    /** Runs one group; settles each item in order (one may fail alone). A rejection fails every item of the group. */
    private readonly run: (items: Item[]) => Promise<PromiseSettledResult<Result>[]>,
    private readonly options: { concurrency: number; maxWeight: number },
  ) {}

  /** The item's result once its group ran. `weight`: what it adds to a group (its messages). */
  submit(item: Item, weight: number): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, weight, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.waiting.length) {
      const group = [this.waiting.shift()!];
      let weight = group[0]!.weight;
      while (this.waiting.length && weight + this.waiting[0]!.weight <= this.options.maxWeight) {
        const next = this.waiting.shift()!;
        weight += next.weight;
        group.push(next);
      }
      this.running++;
      void this.runGroup(group);
    }
  }

  private async runGroup(group: typeof this.waiting): Promise<void> {
    try {
      const results = await this.run(group.map((g) => g.item));
      group.forEach((g, i) => {
        const result = results[i]!;
        if (result.status === 'fulfilled') g.resolve(result.value);
        else g.reject(result.reason);
      });
    } catch (err) {
      for (const g of group) g.reject(err);
    } finally {
      this.running--;
      this.pump();
    }
  }
}
