// Throw-away PostgreSQL cluster in a temp dir, for tests.
//
// Postgres refuses to run as root, so as root every server binary runs as the `postgres`
// system user (via runuser). The postmaster is started by pg_ctl, which detaches it, so
// handles control it through files only (data dir + postmaster.pid) and work the same in the
// process that started it and in test workers (connectPostgres(info)).
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import {
  canConnect, freePorts, isAlive, isRoot, killAndWait, lookupUser, makeTempDir, register, run,
  runDaemonizing, unregister, waitFor,
} from './util.ts';

export interface PostgresInfo {
  host: '127.0.0.1';
  port: number;
  /** Superuser URL of the `postgres` database: postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  tmpDir: string;
  dataDir: string;
  logPath: string;
  /** Directory holding the unix socket (same as tmpDir). */
  socketDir: string;
}

export interface Postgres extends PostgresInfo {
  readonly info: PostgresInfo;
  /** True while the postmaster is not running (checked live via postmaster.pid). */
  readonly stopped: boolean;
  /** Fast shutdown (disconnects clients); waits until the port is closed. Data is kept. */
  stop(): Promise<void>;
  /** Starts the existing cluster again (same port and data); waits until it accepts queries. */
  start(): Promise<void>;
  /** stop() + start(): a "database restart" for fault tests. */
  restart(): Promise<void>;
  /** Stops and deletes the temp dir. */
  dispose(): Promise<void>;
}

/** Directory with initdb/pg_ctl/postgres: $MAILROOM_PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
export function pgBinDir(): string {
  if (process.env.MAILROOM_PG_BIN) return process.env.MAILROOM_PG_BIN;
  const preferred = '/usr/lib/postgresql/15/bin';
  if (existsSync(path.join(preferred, 'postgres'))) return preferred;
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(path.join(dir, 'postgres'))) return dir;
  }
  throw new Error('PostgreSQL server binaries not found (apt-get install postgresql-15, or set MAILROOM_PG_BIN)');
}

const PG_USER = 'postgres';

/** argv that runs a PostgreSQL binary as the `postgres` user when we are root. */
function asPgUser(bin: string, args: string[]): [string, string[]] {
  const exe = path.join(pgBinDir(), bin);
  return isRoot ? ['runuser', ['-u', PG_USER, '--', exe, ...args]] : [exe, args];
}

async function ensurePgUser(): Promise<{ uid: number; gid: number }> {
  if (!isRoot) return { uid: os.userInfo().uid, gid: os.userInfo().gid };
  let user = await lookupUser(PG_USER);
  if (!user) {
    // Normally created by the postgresql-common package.
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_USER]);
    user = await lookupUser(PG_USER);
  }
  if (!user) throw new Error(`could not create system user ${PG_USER}`);
  return user;
}

/** initdb + start on a free loopback port. */
export async function startPostgres(): Promise<Postgres> {
  const dir = await makeTempDir('pg');
  try {
    const owner = await ensurePgUser();
    await fs.chown(dir, owner.uid, owner.gid);
    const dataDir = path.join(dir, 'data');
    const [cmd, args] = asPgUser('initdb', [
      '-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C',
      '--no-sync', '--no-instructions',
    ]);
    await run(cmd, args, { cwd: dir });
    // Settings go into postgresql.conf (not the postgres command line) so that a plain
    // `pg_ctl start` from any process brings the same server back.
    await fs.appendFile(
      path.join(dataDir, 'postgresql.conf'),
      [
        '',
        '# test/testkit/services/postgres.ts',
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        'max_connections = 200',
        // Durability is irrelevant for a throw-away cluster; speed is not.
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        "log_min_messages = 'warning'",
        '',
      ].join('\n'),
    );
    // A released free port can be taken by someone else before we bind it: retry on
    // "could not bind". A later `port =` line overrides an earlier one.
    for (let attempt = 1; ; attempt++) {
      const [port] = (await freePorts(1)) as [number];
      await fs.appendFile(path.join(dataDir, 'postgresql.conf'), `port = ${port}\n`);
      const info: PostgresInfo = {
        host: '127.0.0.1',
        port,
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        tmpDir: dir,
        dataDir,
        logPath: path.join(dir, 'postgres.log'),
        socketDir: dir,
      };
      const pg = connectPostgres(info);
      try {
        await pg.start();
        return pg;
      } catch (err) {
        if (attempt >= 3 || !/could not bind|Address already in use/.test(String(err))) throw err;
      }
    }
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A handle on a cluster described by `info` (e.g. started by the global setup in another process). */
export function connectPostgres(info: PostgresInfo): Postgres {
  const pidFile = path.join(info.dataDir, 'postmaster.pid');
  const registryId = `postgres-${path.basename(info.tmpDir)}`;
  const postmasterPid = (): number | undefined => {
    try {
      const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
      return Number.isFinite(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const logTail = async () => (await fs.readFile(info.logPath, 'utf8').catch(() => '')).split('\n').slice(-30).join('\n');

  const handle: Postgres = {
    ...info,
    info,
    get stopped() {
      return postmasterPid() === undefined;
    },
    async stop() {
      const pid = postmasterPid();
      // SIGINT = "fast" shutdown: abort transactions, disconnect clients, checkpoint, exit.
      if (pid !== undefined) await killAndWait(pid, 'SIGINT', 15_000);
      // Only left behind if we had to SIGKILL; a stale one would block the next start.
      await fs.rm(pidFile, { force: true });
      await waitFor('PostgreSQL port to close', async () => !(await canConnect(info.host, info.port, 200)), 10_000);
    },
    async start() {
      if (postmasterPid() !== undefined) return;
      await register(registryId, { pidFiles: [{ file: pidFile, signal: 'SIGINT' }], dirs: [info.tmpDir] });
      const [cmd, args] = asPgUser('pg_ctl', ['-D', info.dataDir, '-l', info.logPath, '-w', '-t', '60', 'start']);
      try {
        await runDaemonizing(cmd, args, path.join(info.tmpDir, 'pg_ctl.out'), { cwd: info.tmpDir });
        await waitFor('PostgreSQL to accept queries', async () => {
          const sql = postgres(info.url, { max: 1, connect_timeout: 2, onnotice: () => {} });
          try {
            await sql`select 1`;
            return true;
          } catch {
            return false;
          } finally {
            await sql.end({ timeout: 1 });
          }
        }, 30_000, 100);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- ${info.logPath} ---\n${await logTail()}`);
      }
    },
    async restart() {
      await handle.stop();
      await handle.start();
    },
    async dispose() {
      await handle.stop();
      await fs.rm(info.tmpDir, { recursive: true, force: true });
      await unregister(registryId);
    },
  };
  return handle;
}

let dbCounter = 0;

/** Creates a fresh, empty database on the cluster behind `adminUrl` and returns its URL. */
export async function createDatabase(adminUrl: string, prefix = 'test'): Promise<string> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${dbCounter++}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
