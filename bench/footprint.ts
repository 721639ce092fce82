// Memory of Mailroom as `pnpm start` runs it (the compiled server, `node server/dist/main.js`), idle
// on an empty installation: the whole process tree with the embedded PostgreSQL, and the server
// alone with DATABASE_URL. Read from /proc after BENCH_IDLE_SECONDS (25). Baseline: a bare Node
// process idling in the same run.
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processInfo, processTree, type ProcessInfo } from '../test/testkit/proc.ts';
import { createDatabase, startPostgres } from '../test/testkit/services/postgres.ts';
import { fmt, serverArgv } from './common.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 25);

interface Sample { tree: ProcessInfo[]; rssMb: number; pssMb: number }

async function idleSample(argv: string[], env: Record<string, string>, ready: RegExp): Promise<Sample> {
  const child = spawn(process.execPath, argv, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within 120 s:\n${out}`)), 120_000);
      const check = () => ready.test(out) && (clearTimeout(timer), resolve());
      child.stdout.on('data', check);
      check();
      void exited.then((code) => reject(new Error(`exited (${code}) before it was ready:\n${out}`)));
    });
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const tree = processTree(child.pid!).map(processInfo).filter((p): p is ProcessInfo => p !== undefined);
    return { tree, rssMb: tree.reduce((s, p) => s + p.rssMb, 0), pssMb: tree.reduce((s, p) => s + p.pssMb, 0) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

function print(label: string, s: Sample, baseline: Sample): void {
  console.log(`  ${label.padEnd(34)} RSS ${fmt(s.rssMb, 1).padStart(6)} MB   PSS ${fmt(s.pssMb, 1).padStart(6)} MB   ${fmt(s.rssMb / baseline.rssMb, 2)}× bare Node`);
  if (s.tree.length > 1) for (const p of s.tree) console.log(`      ${fmt(p.rssMb, 1).padStart(6)} MB  ${p.command.slice(0, 70)}`);
}

export async function footprint(): Promise<void> {
  const build = spawnSync('pnpm', ['--filter', '@mailroom/server', 'build'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('server build failed');
  const server = serverArgv();
  const base = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', MAILROOM_ADMIN_EMAIL: 'admin@bench.test', MAILROOM_ADMIN_PASSWORD: 'bench-password' };
  const ready = /Mailroom is running at/;

  const baseline = await idleSample(['-e', 'console.log("ready"); setInterval(() => {}, 1 << 30)'], {}, /ready/);

  const embeddedDir = await fs.mkdtemp(path.join(tmpdir(), 'mailroom-footprint-'));
  let embedded: Sample;
  try {
    embedded = await idleSample(server, { ...base, MAILROOM_DATA_DIR: embeddedDir }, ready);
  } finally {
    await fs.rm(embeddedDir, { recursive: true, force: true });
  }

  const pg = await startPostgres();
  const urlDir = await fs.mkdtemp(path.join(tmpdir(), 'mailroom-footprint-'));
  let external: Sample;
  try {
    external = await idleSample(server, { ...base, MAILROOM_DATA_DIR: urlDir, DATABASE_URL: await createDatabase(pg.url) }, ready);
  } finally {
    await pg.dispose();
    await fs.rm(urlDir, { recursive: true, force: true });
  }

  console.log(`\nidle footprint after ${idleSeconds} s, empty installation (Node ${process.versions.node})`);
  print('baseline  bare Node', baseline, baseline);
  print('mailroom  embedded PostgreSQL, tree', embedded, baseline);
  print('mailroom  DATABASE_URL, server', external, baseline);
  console.log('  (`pnpm start` adds its pnpm process to the tree)');
}
