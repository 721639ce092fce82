// Mailroom under test: in-process (buildApp) or as a child process (for kill -9 and restarts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp, type App } from '../../server/src/app.ts';
import { loadConfig } from '../../server/src/config.ts';
import { createLogger } from '../../server/src/lib/logger.ts';
import { ADMIN, GraphQLClient } from './client.ts';
import { testDatabaseUrl } from './env.ts';
import { health, seeder, testConnection, ticketSubjects, tickets, type Seeder } from './seed.ts';

export { ADMIN, GraphQLClient, expectNoGraphQLErrors, graphql, ok, subscribe } from './client.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface TestAppOptions {
  /** Extra environment for loadConfig (MAILROOM_* etc.). */
  env?: Record<string, string>;
  pollers?: boolean;
  /** Reuse a data dir / database (restart scenarios). */
  dataDir?: string;
  databaseUrl?: string;
}

export interface TestApp {
  app: App;
  url: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Signed in as the Super Admin. */
  admin: GraphQLClient;
  /** Seeding as the Super Admin: `t.seed.incomingServer({ … })`. */
  seed: Seeder;
  /** A server's health as the API shows it. */
  health(serverId: string): ReturnType<typeof health>;
  /** Test Connection with the server's saved settings. */
  testConnection(serverId: string): ReturnType<typeof testConnection>;
  /** The newest tickets, as the API lists them. */
  tickets(first?: number): ReturnType<typeof tickets>;
  /** The subjects of a server's tickets (all tickets without an id), sorted. */
  ticketSubjects(serverId?: string): Promise<string[]>;
  stop(): Promise<void>;
}

function testEnv(opts: TestAppOptions, dataDir: string, databaseUrl: string | undefined): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    MAILROOM_DATA_DIR: dataDir,
    MAILROOM_ADMIN_EMAIL: ADMIN.email,
    MAILROOM_ADMIN_PASSWORD: ADMIN.password,
    MAILROOM_ALLOW_LOOPBACK_MAIL_SERVERS: '1',
    MAILROOM_DISABLE_POLLERS: opts.pollers === false ? '1' : '0',
    MAILROOM_LEASE_TTL_SECONDS: '3',
    LOG_LEVEL: process.env.MAILROOM_TEST_LOG_LEVEL ?? 'silent',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...opts.env,
  };
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'mailroom-app-'));
  const databaseUrl = opts.databaseUrl ?? (opts.dataDir ? undefined : await testDatabaseUrl());
  const config = loadConfig(testEnv(opts, dataDir, databaseUrl));
  const app = await buildApp(config, createLogger(config.logLevel));
  // The bound address, not PUBLIC_URL (a test may set one that doesn't resolve here).
  const { port } = await app.start();
  const url = `http://127.0.0.1:${port}`;
  const admin = new GraphQLClient(url);
  await admin.signIn();
  return {
    app, url, dataDir, databaseUrl, admin,
    seed: seeder(admin),
    health: (serverId) => health(admin, serverId),
    tickets: (first) => tickets(admin, first),
    testConnection: (serverId) => testConnection(admin, serverId),
    ticketSubjects: (serverId) => ticketSubjects(admin, serverId),
    async stop() {
      await app.stop();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the compiled server (`server/dist/main.js`, built by the global setup) in its own process,
 * as `pnpm start` does. Without `databaseUrl` it runs on the embedded PostgreSQL in `dataDir`.
 */
export async function spawnServer(opts: TestAppOptions & { dataDir: string }): Promise<ServerProcess> {
  const env = { ...process.env, ...testEnv(opts, opts.dataDir, opts.databaseUrl), LOG_LEVEL: process.env.MAILROOM_TEST_LOG_LEVEL ?? 'warn' };
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: path.join(repoRoot, 'server'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    const check = () => {
      const m = /Mailroom is running at (\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`server exited (${code}) before starting:\n${out}`)); });
  });
  return {
    url, child, exited,
    output: () => out,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
