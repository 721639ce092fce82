// Small process/network helpers shared by the service launchers.
import { execFile, spawn, type ExecFileOptions } from 'node:child_process';
import { closeSync, promises as fs, openSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a command, resolves with stdout; rejects with stdout/stderr in the message. */
export function run(cmd: string, args: string[], opts: ExecFileOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${String(stdout)}${String(stderr)}`));
      } else {
        resolve(String(stdout));
      }
    });
  });
}

/**
 * Runs a command that daemonizes (dovecot, pg_ctl start). Output goes to `outFile`, not to
 * pipes: the daemon inherits our stdout/stderr, so waiting for pipes to close (as execFile
 * does) would hang until the daemon exits. Resolves on the command's own exit.
 */
export async function runDaemonizing(cmd: string, args: string[], outFile: string, opts: { cwd?: string } = {}): Promise<void> {
  const fd = openSync(outFile, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], cwd: opts.cwd });
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0) {
      throw new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${readFileSync(outFile, 'utf8')}`);
    }
  } finally {
    closeSync(fd);
  }
}

/** `n` distinct free loopback TCP ports (bind port 0, read it, release it). */
export async function freePorts(n: number): Promise<number[]> {
  // All sockets stay open until every port is chosen, so there are no duplicates.
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const srv = net.createServer();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => resolve(srv));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/** Resolves true if something accepts a TCP connection on host:port. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` elapses. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * True if the pid exists and is not a zombie. Daemonized services get re-parented to
 * PID 1, which on some sandboxes never reaps, so `kill(pid, 0)` alone would report
 * a dead master as alive forever.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** First line of a pid file as a number, or undefined. */
export async function readPidFile(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await fs.readFile(file, 'utf8')).split('\n')[0] ?? '', 10);
    return Number.isFinite(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Direct children of `pid`, from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      /* raced with exit */
    }
  }
  return out;
}

/**
 * Signals `pid` and waits for it to die. After `graceMs` it SIGKILLs the process and its
 * direct children (a Dovecot master that is told to stop right after starting waits ~5 s
 * for its anvil child; killing the children too makes that instant).
 */
export async function killAndWait(pid: number, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      for (const p of [...childPids(pid), pid]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await waitFor(`pid ${pid} to die after SIGKILL`, () => !isAlive(pid), 5000);
      return;
    }
    await sleep(25);
  }
}

/** Base for temp dirs: short, because Dovecot and Postgres put unix sockets there (sun_path ~107 bytes). */
export function tempBase(): string {
  return process.env.MAILROOM_TEST_TMPDIR ?? (os.tmpdir().length <= 20 ? os.tmpdir() : '/tmp');
}

/**
 * A fresh temp dir for one service instance. Inside the run dir ($MAILROOM_TEST_RUN_DIR,
 * created by test/run.mjs or the global setup) when there is one, so that deleting the run
 * dir removes everything even after a hard kill; else /tmp/mr-<name>-XXXXXX.
 */
export async function makeTempDir(name: string): Promise<string> {
  const runDir = process.env.MAILROOM_TEST_RUN_DIR;
  return runDir ? fs.mkdtemp(path.join(runDir, `${name}-`)) : fs.mkdtemp(path.join(tempBase(), `mr-${name}-`));
}

/** Resolves a user name to uid/gid via getent (no native deps). */
export async function lookupUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const line = (await run('getent', ['passwd', name])).trim();
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Leak registry. Every started service writes a small JSON file into
// $MAILROOM_TEST_RUN_DIR/services naming its pid files and temp dir; a clean dispose()
// removes it. test/run.mjs (and the global setup's teardown) sweep whatever is left, so a
// crashed or Ctrl-C'd run never leaves daemons behind: Dovecot and pg_ctl both setsid(), so
// killing vitest's process group does not reach them.
// ---------------------------------------------------------------------------
export interface RegistryEntry {
  /** pid files whose first line is the pid of a daemon to stop, with the signal to use. */
  pidFiles: { file: string; signal: NodeJS.Signals }[];
  /** directories to delete after the daemons are gone. */
  dirs: string[];
}

function registryFile(id: string): string | undefined {
  const dir = process.env.MAILROOM_TEST_RUN_DIR;
  return dir ? path.join(dir, 'services', `${id}.json`) : undefined;
}

export async function register(id: string, entry: RegistryEntry): Promise<void> {
  const file = registryFile(id);
  if (!file) return;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(entry));
}

export async function unregister(id: string): Promise<void> {
  const file = registryFile(id);
  if (file) await fs.rm(file, { force: true });
}

/** Stops and deletes everything registered under `runDir` (the JS twin lives in test/run.mjs). */
export async function sweepRegistry(runDir: string): Promise<void> {
  const dir = path.join(runDir, 'services');
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      const entry = JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as RegistryEntry;
      for (const { file, signal } of entry.pidFiles) {
        const pid = await readPidFile(file);
        if (pid !== undefined && isAlive(pid)) await killAndWait(pid, signal, 5000);
      }
      for (const d of entry.dirs) await fs.rm(d, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
    await fs.rm(path.join(dir, name), { force: true });
  }
}
