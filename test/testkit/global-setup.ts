// Vitest globalSetup shared by the integration-postgres and e2e projects.
//
// Starts ONE Dovecot and ONE PostgreSQL per vitest run, and builds the server once (spawnServer
// runs the compiled `server/dist/main.js`, as `pnpm start` does), however many projects use this file:
// globalSetup runs in the main vitest process, once per project that has test files in the
// run, so the first call starts the services and stores a promise on globalThis (a module
// registry may load this file once per project, globalThis is shared), later calls reuse it,
// and a reference count makes the last project's teardown stop them. Each call provide()s the
// connection info to its own project; test files read it with the helpers in env.ts.
// Nothing is started when only the unit project runs.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import type { ServicesInfo } from './services-info.ts';
import { startDovecot, type Dovecot } from './services/dovecot.ts';
import { startPostgres, type Postgres } from './services/postgres.ts';
import { run, sweepRegistry, tempBase, type RegistryEntry } from './services/util.ts';

interface Shared {
  refs: number;
  ready: Promise<{ info: ServicesInfo; dovecot: Dovecot; postgres: Postgres }>;
  /** Set when we (not test/run.mjs) created the run dir and must delete it. */
  ownRunDir?: string;
}

const KEY = Symbol.for('mailroom.test.services');
const g = globalThis as typeof globalThis & { [KEY]?: Shared };

/** `pnpm --filter @mailroom/server build`: esbuild, well under a second. */
async function buildServer(): Promise<void> {
  const repoRoot = path.resolve(import.meta.dirname, '../..');
  await run('pnpm', ['--filter', '@mailroom/server', 'build'], { cwd: repoRoot });
}

async function startAll(runDir: string) {
  const t0 = Date.now();
  const [dc, pg, build] = await Promise.allSettled([startDovecot(), startPostgres(), buildServer()]);
  if (dc.status === 'rejected' || pg.status === 'rejected' || build.status === 'rejected') {
    if (dc.status === 'fulfilled') await dc.value.dispose();
    if (pg.status === 'fulfilled') await pg.value.dispose();
    throw [dc, pg, build].find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason;
  }
  if (process.env.MAILROOM_TEST_VERBOSE) console.log(`[testkit] services started in ${Date.now() - t0} ms`);
  return { info: { dovecot: dc.value.info, postgres: pg.value.info, runDir }, dovecot: dc.value, postgres: pg.value };
}

/**
 * Last resort if the main process exits without running teardown (vitest exits at once on
 * SIGINT/SIGTERM): signal whatever is still registered (synchronously; the daemons then shut
 * down on their own). Dirs are deleted only when no test/run.mjs is around to sweep them
 * properly (it waits for the daemons, which needs their pid files).
 */
function emergencyCleanup(runDir: string, deleteDirs: boolean) {
  let names: string[] = [];
  try {
    names = readdirSync(path.join(runDir, 'services')).filter((n) => n.endsWith('.json'));
  } catch {
    return;
  }
  for (const name of names) {
    try {
      const entry = JSON.parse(readFileSync(path.join(runDir, 'services', name), 'utf8')) as RegistryEntry;
      for (const { file, signal } of entry.pidFiles) {
        try {
          process.kill(Number.parseInt(readFileSync(file, 'utf8'), 10), signal);
        } catch {
          /* not running */
        }
      }
      if (deleteDirs) for (const dir of entry.dirs) rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let shared = g[KEY];
  if (!shared) {
    // The run dir holds every service's temp dir and the leak registry. test/run.mjs creates
    // it and sweeps it even if this process is killed; when vitest is run directly we create
    // it. Set in process.env so that test workers inherit it.
    let ownRunDir: string | undefined;
    if (!process.env.MAILROOM_TEST_RUN_DIR) {
      ownRunDir = mkdtempSync(path.join(tempBase(), 'mr-run-'));
      chmodSync(ownRunDir, 0o711); // service users (dovecot, postgres) must traverse it
      process.env.MAILROOM_TEST_RUN_DIR = ownRunDir;
    }
    const runDir = process.env.MAILROOM_TEST_RUN_DIR;
    process.once('exit', () => {
      emergencyCleanup(runDir, ownRunDir !== undefined);
      if (ownRunDir) rmSync(ownRunDir, { recursive: true, force: true });
    });
    shared = g[KEY] = { refs: 0, ready: startAll(runDir), ownRunDir };
  }
  shared.refs++;
  const { info } = await shared.ready;
  project.provide('mailroomServices', info);

  return async () => {
    if (process.env.MAILROOM_TEST_VERBOSE) console.log(`[testkit] teardown ${project.name}`);
    const s = g[KEY];
    if (!s || --s.refs > 0) return;
    delete g[KEY];
    const { dovecot, postgres } = await s.ready;
    await Promise.allSettled([dovecot.dispose(), postgres.dispose()]);
    // Private instances that test files started and did not dispose.
    await sweepRegistry(info.runDir);
    if (process.env.MAILROOM_TEST_VERBOSE) console.log('[testkit] services stopped');
    if (s.ownRunDir) {
      rmSync(s.ownRunDir, { recursive: true, force: true });
      delete process.env.MAILROOM_TEST_RUN_DIR;
    }
  };
}
