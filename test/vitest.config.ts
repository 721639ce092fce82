// Vitest config for the whole suite; run through test/run.mjs (`pnpm test`) or directly:
//   npx vitest run --config test/vitest.config.ts [filters]
//
// Projects:
//   unit                  test/unit/**         no services
//   integration-postgres  test/integration/**  on the shared throw-away PostgreSQL cluster
//   security              test/security/**     hostile input and clients (PostgreSQL, Dovecot)
//   e2e                   test/e2e/**          built SPA + server + Chromium
// Integration, security and e2e share one globalSetup that starts Dovecot and PostgreSQL and
// builds the server once per run, however many of these projects run (see
// testkit/global-setup.ts). Run directly, generate the typed documents first:
// `pnpm --filter @mailroom/test codegen` (run.mjs does it).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
// Vite would resolve `graphql` in our sources to its .mjs build while Node loads the .js build for
// Pothos and Yoga: two graphql instances break instanceof checks. Point every import at Node's choice.
const graphqlEntry = createRequire(new URL('../server/package.json', import.meta.url)).resolve('graphql');
const globalSetup = ['test/testkit/global-setup.ts'];
const serviceEnv = { MAILROOM_ALLOW_LOOPBACK_MAIL_SERVERS: '1' };

export default defineConfig({
  root: repoRoot,
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
  test: {
    pool: 'forks',
    // 2 cores: two test files at a time, across all projects.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        // The SPA's pure logic (form rules, field errors, diffs); no services, no browser.
        resolve: { alias: [{ find: /^@\//, replacement: fileURLToPath(new URL('../web/src/', import.meta.url)) }] },
        test: { name: 'web', include: ['web/src/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration-postgres',
          include: ['test/integration/**/*.test.ts'],
          globalSetup,
          env: { ...serviceEnv },
        },
      },
      {
        extends: true,
        // Regression tests of issue 8 (hostile input and hostile clients), against real services.
        test: {
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          globalSetup,
          env: { ...serviceEnv },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup,
          env: { ...serviceEnv },
          testTimeout: 60_000,
        },
      },
    ],
  },
});
