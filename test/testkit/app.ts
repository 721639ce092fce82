// Mailroom under test: in-process (buildApp) or as a child process (for kill -9 and restarts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { buildApp, type App } from '../../server/src/app.ts';
import { loadConfig } from '../../server/src/config.ts';
import { createLogger } from '../../server/src/lib/logger.ts';
import { testDatabaseUrl } from './env.ts';

export const ADMIN = { email: 'admin@mailroom.test', password: 'correct horse battery' };
const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface GqlResponse<T = any> { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }

export class GraphQLClient {
  constructor(readonly url: string, public token: string | null = null) {}

  async raw<T = any>(query: string, variables?: Record<string, unknown>, token = this.token): Promise<GqlResponse<T>> {
    const res = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GqlResponse<T>;
  }

  /** Runs an operation and fails loudly on GraphQL errors. */
  async execute<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const res = await this.raw<T>(query, variables);
    if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
    return res.data!;
  }

  async signIn(email = ADMIN.email, password = ADMIN.password): Promise<string> {
    const data = await this.execute(
      'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { __typename ... on SignInSuccess { token } ... on Error { message } } }',
      { e: email, p: password },
    );
    if (data.signIn.__typename !== 'SignInSuccess') throw new Error(`sign-in failed: ${data.signIn.message}`);
    this.token = data.signIn.token;
    return this.token!;
  }

  /** graphql-ws client authenticated with this client's token. */
  ws(token = this.token): Client {
    return createClient({
      url: `${this.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
      lazy: true,
    });
  }
}

/** Collects a subscription's events; `next()` waits for the next one. */
export function subscribe<T = any>(client: Client, query: string) {
  const queue: T[] = [];
  const waiters: ((v: T) => void)[] = [];
  let failure: unknown = null;
  let onError: ((e: unknown) => void) | null = null;
  const dispose = client.subscribe<T>({ query }, {
    next: (v) => {
      if (v.errors?.length) {
        failure = new Error(`subscription error: ${JSON.stringify(v.errors)}`);
        onError?.(failure);
        return;
      }
      const value = v.data as T;
      const w = waiters.shift();
      if (w) w(value);
      else queue.push(value);
    },
    error: (e) => {
      failure = e;
      onError?.(e);
    },
    complete: () => {},
  });
  return {
    next(timeoutMs = 15_000): Promise<T> {
      if (queue.length) return Promise.resolve(queue.shift()!);
      if (failure) return Promise.reject(failure);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no subscription event within ${timeoutMs} ms`)), timeoutMs);
        onError = (e) => { clearTimeout(timer); reject(e); };
        waiters.push((v) => { clearTimeout(timer); resolve(v); });
      });
    },
    dispose,
  };
}

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
  admin: GraphQLClient;
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
  const { url } = await app.start();
  const admin = new GraphQLClient(url);
  await admin.signIn();
  return {
    app, url, dataDir, databaseUrl, admin,
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
