// Shared by the benchmarks: a private Dovecot, a Mailroom app, and bulk mailbox seeding.
import { randomUUID } from 'node:crypto';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp, type App } from '../server/src/app.ts';
import { loadConfig } from '../server/src/config.ts';
import { createLogger } from '../server/src/lib/logger.ts';
import { startDovecot, type Dovecot } from '../test/testkit/services/dovecot.ts';
import { createDatabase, startPostgres, type Postgres } from '../test/testkit/services/postgres.ts';
import { lookupUser } from '../test/testkit/services/util.ts';
import { processTree } from '../test/testkit/proc.ts';
import { GraphQLClient, ADMIN } from '../test/testkit/app.ts';
import { seeder } from '../test/testkit/seed.ts';

export { startDovecot, type Dovecot };

/**
 * `node` arguments that run the compiled server exactly as `pnpm start` does (its V8 flags
 * included), read from the root package.json's start script so they are written in one place.
 */
export function serverArgv(): string[] {
  const start = (JSON.parse(readFileSync(path.join(import.meta.dirname, '../package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const command = /exec node ((?:--[\w-]+(?:=\S+)? )*)server\/dist\/main\.js/.exec(start);
  if (!command) throw new Error(`cannot read the server command from the start script: ${start}`);
  // BENCH_SERVER_NODE_ARGS: more flags for the server's node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  return [...command[1]!.trim().split(/\s+/).filter(Boolean), ...extra, 'server/dist/main.js'];
}

export function message(i: number, to: string): string {
  return [
    `From: Customer ${i} <customer${i % 500}@customer.example>`,
    `To: ${to}`,
    `Subject: Backlog request number ${i}`,
    `Message-ID: <bench-${i}-${randomUUID()}@customer.example>`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello,\n\nthis is request ${i}. ${'The quick brown fox jumps over the lazy dog. '.repeat(20)}\n\nThanks`,
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<p>Hello,</p><p>this is request <b>${i}</b>. ${'The quick brown fox jumps over the lazy dog. '.repeat(20)}</p><p>Thanks</p>`,
    '--b1--',
    '',
  ].join('\r\n');
}

/** Writes messages straight into the user's Maildir (much faster than LMTP for a 10k backlog). */
export async function seedMaildir(dovecot: Dovecot, user: string, count: number): Promise<void> {
  const root = path.join(dovecot.tmpDir, 'mail', user);
  const owner = await lookupUser('dovecot');
  for (const sub of ['', 'cur', 'new', 'tmp']) {
    await fs.mkdir(path.join(root, sub), { recursive: true });
    if (owner) await fs.chown(path.join(root, sub), owner.uid, owner.gid);
  }
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < count; i++) {
    const file = path.join(root, 'new', `${now}.M${i}P${process.pid}.bench`);
    await fs.writeFile(file, message(i, user).replace(/\r\n/g, '\n'));
    if (owner) await fs.chown(file, owner.uid, owner.gid);
  }
}

export interface BenchApp { app: App; url: string; admin: GraphQLClient; stop(): Promise<void> }

export async function startApp(): Promise<BenchApp & { pg?: Postgres }> {
  const dataDir = await fs.mkdtemp(path.join(tmpdir(), 'mailroom-bench-'));
  let pg: Postgres | undefined;
  let databaseUrl: string | undefined;
  if (process.env.BENCH_DATABASE === 'postgres') {
    pg = await startPostgres();
    databaseUrl = await createDatabase(pg.url);
  }
  const config = loadConfig({
    PORT: '0', HOST: '127.0.0.1', MAILROOM_DATA_DIR: dataDir, MAILROOM_ADMIN_EMAIL: ADMIN.email, MAILROOM_ADMIN_PASSWORD: ADMIN.password,
    MAILROOM_ALLOW_LOOPBACK_MAIL_SERVERS: '1', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const app = await buildApp(config, createLogger(config.logLevel));
  const { url } = await app.start();
  const admin = new GraphQLClient(url);
  await admin.signIn();
  return {
    app, url, admin, pg,
    async stop() {
      await app.stop();
      await pg?.dispose();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function addImapServer(admin: GraphQLClient, dovecot: Dovecot, user: string, password: string, realTime = true): Promise<string> {
  const server = await seeder(admin).incomingServer({ name: user, email: user, protocol: 'IMAP', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE', password, realTimeScanning: realTime });
  return server.id;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** CPU seconds (user + system) a process has used so far, all its threads, from /proc; 0 when it is gone. */
/** utime, stime, cutime, cstime of `pid` in seconds (clock ticks, USER_HZ = 100); zeros once it is gone. */
function cpuTimes(pid: number): number[] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(11, 15).map((ticks) => Number(ticks) / 100);
  } catch {
    return [0, 0, 0, 0];
  }
}

/** CPU seconds of each thread of `pid` by thread name (MainThread, WorkerThread: the parsers, V8Worker: the garbage collector's helpers…). */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [user, system] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(11, 13).map((ticks) => Number(ticks) / 100);
      byName.set(name, (byName.get(name) ?? 0) + user! + system!);
    } catch {
      // the thread ended
    }
  }
  return byName;
}

export function cpuSeconds(pid: number): number {
  const [user, system] = cpuTimes(pid);
  return user! + system!;
}

/**
 * CPU seconds of `pid` and every process below it (the server and its PostgreSQL), with what
 * their children that already ended used (a backend closed for being idle, reaped by the
 * postmaster): summing the living ones alone went down when one ended.
 */
export function treeCpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + cpuTimes(p).reduce((a, b) => a + b, 0), 0);
}
