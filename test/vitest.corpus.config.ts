// The optional corpus suite: measures the parser, the auto-reply/bounce detector and the quote
// trimmer against other projects' real mail and expected results (../shared/corpus, or
// MAILROOM_CORPUS_DIR), and prints the rates. Skips cleanly when the corpus is absent.
//   test/node_modules/.bin/vitest run --config test/vitest.corpus.config.ts
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: repoRoot,
  test: {
    name: 'corpus',
    include: ['test/corpus/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 300_000,
  },
});
