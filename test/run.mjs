#!/usr/bin/env node
// Whole-suite entry point (`pnpm test`, `node test/run.mjs [vitest args]`).
//
//  0. Mailroom needs Node.js 24: on an older Node (Node 20 is the system Node of CI), installs
//     Node 24 from the registry package node-<platform>-<arch> into a cache dir once and re-runs
//     itself with that Node first on PATH, so that everything the suite starts uses it.
//  1. As root, installs missing system packages (Dovecot, PostgreSQL 15, Chromium, Dante,
//     tinyproxy) with apt-get; not root and missing -> message and exit 1.
//  2. Builds the SPA (`pnpm --filter @mailroom/web build`) when the e2e tests may run.
//     Skipped when web/package.json has no build script, SKIP_WEB_BUILD=1, or the CLI filters
//     name only non-e2e paths (e.g. `pnpm test -- test/unit`). Then generates the suites' typed
//     GraphQL documents (`pnpm --filter @mailroom/test codegen`).
//  3. Runs `vitest run --config test/vitest.config.ts <args>` in its own process group, with a
//     JSON reporter next to the default one, then prints `tests: N passed, N failed, N skipped`
//     and exits with vitest's exit code.
//  4. Whatever happens (failure, Ctrl-C, SIGTERM), kills the process group and stops every
//     service the test kit registered in $MAILROOM_TEST_RUN_DIR (Dovecot and pg_ctl detach
//     from the group, so they are stopped through their pid files).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const testDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(testDir);
const log = (msg) => process.stderr.write(`[test/run] ${msg}\n`);

// ---------------------------------------------------------------------------------------
// 0. Node 24
// ---------------------------------------------------------------------------------------
const NODE_MAJOR = 24;

/** Path of a Node `major` binary in the cache dir, installed with npm if missing. */
function cachedNode(major) {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const dir = path.join(cacheHome, 'mailroom', `node${major}`);
  const pkg = `node-${process.platform}-${process.arch}`;
  const bin = path.join(dir, 'node_modules', pkg, 'bin', 'node');
  const works = () => spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.startsWith(`v${major}.`);
  if (existsSync(bin) && works()) return bin;
  log(`Node ${process.versions.node} is older than ${major}: installing ${pkg}@${major} into ${dir}`);
  // Installed beside the final dir and renamed into place, so that a run interrupted halfway or a
  // second run at the same time never sees half a Node.
  const staging = `${dir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const r = spawnSync('npm', ['install', '--prefix', staging, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${pkg}@${major}`], { stdio: 'inherit' });
  if (r.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    log(`npm install ${pkg}@${major} failed (exit ${r.status ?? r.signal}); install Node.js ${major} and run again`);
    process.exit(1);
  }
  if (existsSync(bin) && works()) {
    rmSync(staging, { recursive: true, force: true }); // another run got there first
    return bin;
  }
  rmSync(dir, { recursive: true, force: true }); // a broken install
  renameSync(staging, dir);
  if (!works()) {
    log(`${bin} does not run`);
    process.exit(1);
  }
  return bin;
}

if (Number(process.versions.node.split('.')[0]) < NODE_MAJOR) {
  const node = cachedNode(NODE_MAJOR);
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}` };
  const again = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env });
  // The re-run handles Ctrl-C / SIGTERM itself (cleanup of services); we only pass them on.
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => again.kill(s));
  again.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
  await new Promise(() => {}); // the exit handler above ends this process
}

let args = process.argv.slice(2);
if (args[0] === '--') args = args.slice(1); // `pnpm test -- x` may pass the separator through

// Positional args are vitest file filters; `--project X` / `--project=X` select projects.
function selection() {
  const filters = [];
  const projects = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--project') projects.push(args[++i] ?? '');
    else if (a.startsWith('--project=')) projects.push(a.slice('--project='.length));
    else if (a.startsWith('-')) {
      // options with a separate value we know of; others are flags or --opt=value
      if (['-t', '--testNamePattern', '--reporter', '--shard', '--maxWorkers'].includes(a)) i++;
    } else filters.push(a);
  }
  return { filters, projects };
}
const { filters, projects } = selection();
const mayRun = (kind) =>
  (projects.length === 0 || projects.some((p) => p.includes(kind))) &&
  (filters.length === 0 || filters.some((f) => f.includes(kind)));
const unitOnly =
  (projects.length > 0 && projects.every((p) => p === 'unit')) ||
  (filters.length > 0 && filters.every((f) => /(^|\/)unit(\/|$)/.test(f.replace(/^\.\//, ''))));

// ---------------------------------------------------------------------------------------
// 1. System packages
// ---------------------------------------------------------------------------------------
const SYSTEM_DEPS = [
  ['/usr/sbin/dovecot', 'dovecot-imapd'], // dovecot-core comes with it
  ['/usr/lib/dovecot/imap', 'dovecot-imapd'],
  ['/usr/lib/dovecot/pop3', 'dovecot-pop3d'],
  ['/usr/lib/dovecot/lmtp', 'dovecot-lmtpd'],
  ['/usr/bin/chromium', 'chromium'],
  ['/usr/sbin/danted', 'dante-server'],
  ['/usr/bin/tinyproxy', 'tinyproxy'],
  ['/usr/lib/postgresql/15/bin/postgres', 'postgresql-15'],
  ['/usr/bin/openssl', 'openssl'],
];

function ensureSystemPackages() {
  const missing = [...new Set(SYSTEM_DEPS.filter(([bin]) => !existsSync(bin)).map(([, pkg]) => pkg))];
  if (missing.length === 0) return;
  const cmd = `apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    log(`missing system packages: ${missing.join(', ')}`);
    log(`install them as root: apt-get update && DEBIAN_FRONTEND=noninteractive ${cmd}`);
    process.exit(1);
  }
  log(`installing missing system packages: ${missing.join(' ')}`);
  // policy-rc.d exit 101 = "don't start services from maintainer scripts": the packages
  // would otherwise start a system Dovecot on 143/110/993/995 and a PostgreSQL on 5432.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const argv of [['update'], ['install', '-y', ...missing]]) {
      const r = spawnSync('apt-get', argv, { stdio: 'inherit', env });
      if (r.status !== 0) {
        log(`apt-get ${argv.join(' ')} failed (exit ${r.status ?? r.signal})`);
        process.exit(1);
      }
    }
  } finally {
    if (ownPolicy) unlinkSync(policy);
  }
}

if (process.env.MAILROOM_SKIP_SYSTEM_DEPS !== '1' && !unitOnly) ensureSystemPackages();

// A fresh clone: `pnpm test` alone must work, so install the workspace when it isn't yet.
if (!existsSync(path.join(testDir, 'node_modules', 'vitest')) || !existsSync(path.join(repoRoot, 'server', 'node_modules', 'graphql-yoga'))) {
  log('installing the workspace (pnpm install --frozen-lockfile)');
  const r = spawnSync('pnpm', ['install', '--frozen-lockfile'], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) {
    log(`pnpm install failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

// ---------------------------------------------------------------------------------------
// 2. Web build (the e2e tests serve the built SPA)
// ---------------------------------------------------------------------------------------
function buildWeb() {
  const pkgPath = path.join(repoRoot, 'web', 'package.json');
  if (process.env.SKIP_WEB_BUILD === '1' || !existsSync(pkgPath) || !mayRun('e2e')) return;
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  } catch {
    return;
  }
  if (!pkg.scripts?.build) return;
  log(`building the web app (${pkg.name ?? 'web'}); SKIP_WEB_BUILD=1 skips this`);
  const r = spawnSync('pnpm', ['--filter', pkg.name ?? '@mailroom/web', 'build'], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) {
    log(`web build failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}
buildWeb();

// The suites' typed GraphQL documents (test/testkit/gql/), generated from schema/schema.graphql.
function generateTestDocuments() {
  const r = spawnSync('pnpm', ['--filter', '@mailroom/test', 'codegen'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    log(`generating the typed test documents failed (exit ${r.status ?? r.signal}): pnpm --filter @mailroom/test codegen`);
    process.exit(1);
  }
}
generateTestDocuments();

// ---------------------------------------------------------------------------------------
// 3. Vitest
// ---------------------------------------------------------------------------------------
const vitestEntry = path.join(path.dirname(createRequire(path.join(testDir, 'package.json')).resolve('vitest/package.json')), 'vitest.mjs');
// Run dir: every service's temp dir, the leak registry (services/) and vitest's JSON report.
// Short path: Dovecot and Postgres put unix sockets inside it.
const runDir = mkdtempSync(path.join(os.tmpdir().length <= 20 ? os.tmpdir() : '/tmp', 'mr-run-'));
chmodSync(runDir, 0o711); // service users (dovecot, postgres) must traverse it
const resultsFile = path.join(runDir, 'vitest-results.json');

const userReporter = args.some((a) => a === '--reporter' || a.startsWith('--reporter='));
const vitestArgs = [
  vitestEntry, 'run', '--config', path.join('test', 'vitest.config.ts'),
  ...(userReporter ? [] : ['--reporter=default']),
  '--reporter=json', `--outputFile.json=${resultsFile}`,
  ...args,
];

const started = Date.now();
// detached: own process group, so that workers, servers and browsers the tests start can be
// killed as one group afterwards.
const child = spawn(process.execPath, vitestArgs, {
  cwd: repoRoot,
  stdio: ['ignore', 'inherit', 'inherit'],
  detached: true,
  env: { ...process.env, MAILROOM_TEST_RUN_DIR: runDir },
});

let interrupted;
let killTimer;
function onSignal(signal) {
  if (interrupted) {
    // second Ctrl-C: no more waiting
    killGroup('SIGKILL');
    return;
  }
  interrupted = signal;
  log(`${signal}: stopping vitest`);
  try {
    process.kill(child.pid, signal);
  } catch {
    /* already gone */
  }
  killTimer = setTimeout(() => killGroup('SIGKILL'), 10_000);
}
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, onSignal);

function killGroup(signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* group empty */
  }
}

const { code, signal } = await new Promise((resolve) => {
  child.on('exit', (c, s) => resolve({ code: c, signal: s }));
  child.on('error', (err) => {
    log(`could not start vitest: ${err.message}`);
    resolve({ code: 1, signal: null });
  });
});
clearTimeout(killTimer);

// ---------------------------------------------------------------------------------------
// 4. Cleanup: leftover processes in the group, then registered services, then temp files.
// ---------------------------------------------------------------------------------------
killGroup('SIGTERM');
await sleep(200);
killGroup('SIGKILL');
await sweepServices(path.join(runDir, 'services'));

const counts = readCounts(resultsFile);
rmSync(runDir, { recursive: true, force: true });

let exitCode = code ?? (signal === 'SIGINT' || interrupted === 'SIGINT' ? 130 : 1);
if (interrupted && exitCode === 0) exitCode = 130;
let { passed, failed, skipped } = counts;
if (exitCode !== 0 && failed === 0) {
  // Errors outside tests (unhandled rejections, setup failures, no test files, Ctrl-C).
  failed = 1;
  log(`vitest exited with ${exitCode} without a failing test: counted as 1 failure`);
}
log(`finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(exitCode);

// ---------------------------------------------------------------------------------------

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function readCounts(file) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { passed: 0, failed: 0, skipped: 0 };
  }
  let failed = report.numFailedTests ?? 0;
  // A file that failed to load or whose hooks threw has no failing test of its own.
  for (const file of report.testResults ?? []) {
    if (file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed')) failed++;
  }
  return {
    passed: report.numPassedTests ?? 0,
    failed,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

function isAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function childPids(pid) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** JS twin of sweepRegistry() in testkit/services/util.ts (this file runs without TS support). */
async function sweepServices(dir) {
  let names = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return;
  }
  for (const name of names) {
    try {
      const entry = JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
      for (const { file, signal } of entry.pidFiles ?? []) {
        let pid;
        try {
          pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
        } catch {
          continue;
        }
        if (!(pid > 0) || !isAlive(pid)) continue;
        log(`stopping leftover service pid ${pid} (${name})`);
        try {
          process.kill(pid, signal);
        } catch {
          continue;
        }
        const deadline = Date.now() + 5000;
        while (isAlive(pid) && Date.now() < deadline) await sleep(50);
        if (isAlive(pid)) {
          for (const p of [...childPids(pid), pid]) {
            try {
              process.kill(p, 'SIGKILL');
            } catch {
              /* gone */
            }
          }
        }
      }
      for (const d of entry.dirs ?? []) rmSync(d, { recursive: true, force: true });
    } catch (err) {
      log(`cleanup of ${name} failed: ${err.message}`);
    }
  }
}
