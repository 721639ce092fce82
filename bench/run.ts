// pnpm bench [backlog|latency|mailboxes|dashboard|footprint|search …]: prints rates and ratios against a baseline measured in the same run.
import { backlog } from './backlog.ts';
import { dashboard } from './dashboard.ts';
import { footprint } from './footprint.ts';
import { latency } from './latency.ts';
import { mailboxes } from './mailboxes.ts';
import { search } from './search.ts';

const all: Record<string, () => Promise<void>> = {
  backlog: () => backlog(), latency: () => latency(), mailboxes: () => mailboxes(), dashboard: () => dashboard(), footprint: () => footprint(), search: () => search(),
};
const chosen = process.argv.slice(2).filter((a) => a !== '--');
for (const name of chosen.length ? chosen : Object.keys(all)) {
  const bench = all[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; choose from ${Object.keys(all).join(', ')}`);
    process.exit(2);
  }
  await bench();
}
process.exit(0);
