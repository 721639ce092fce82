// pnpm bench [backlog|latency|mailboxes|dashboard|footprint|search …]: prints rates and ratios against a baseline measured in the same run.
// Numbers after a name are that bench's sizes: `pnpm bench dashboard 1000 100000` (servers, tickets).
import { backlog } from './backlog.ts';
import { dashboard } from './dashboard.ts';
import { footprint } from './footprint.ts';
import { latency } from './latency.ts';
import { mailboxes } from './mailboxes.ts';
import { search } from './search.ts';

const all: Record<string, (...sizes: number[]) => Promise<void>> = {
  backlog: (n) => backlog(n), latency: (n) => latency(n), mailboxes: (n) => mailboxes(n), dashboard: (servers, tickets) => dashboard(servers, tickets), footprint: () => footprint(), search: () => search(),
};
const args = process.argv.slice(2).filter((a) => a !== '--');
const runs: { name: string; sizes: number[] }[] = [];
for (const arg of args) {
  if (/^\d+$/.test(arg) && runs.length) runs.at(-1)!.sizes.push(Number(arg));
  else runs.push({ name: arg, sizes: [] });
}
for (const { name, sizes } of runs.length ? runs : Object.keys(all).map((name) => ({ name, sizes: [] }))) {
  const bench = all[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; choose from ${Object.keys(all).join(', ')}`);
    process.exit(2);
  }
  // An absent size is undefined, so each bench falls back to its BENCH_* variable and default.
  await bench(...sizes);
}
process.exit(0);
