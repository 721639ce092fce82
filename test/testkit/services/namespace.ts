// Daemons from unpacked Debian packages (debian-packages.ts), run inside a private mount
// namespace: read-only overlays lay the unpacked files over the real /usr and /etc, so the
// daemons find their fixed paths (/etc/courier, /usr/lib/cyrus, ...), and the instance's own
// config is bind-mounted where they look for it. Nothing outside the namespace changes.
//
// One "holder" shell per instance sets up the mounts, starts each daemon in the background
// (pid file per daemon), and waits. Stopping signals every process whose mount namespace is the
// holder's — sessions the daemons forked included — then whatever is left with SIGKILL.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, promises as fs, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { canConnect, isAlive, readPidFile, register, run, sleep, unregister, waitFor } from './util.ts';

export interface NamespaceSpec {
  /** The instance's temp dir: the holder script, pid files and daemon logs go here. */
  dir: string;
  /** Unpacked package tree (usr/, etc/). */
  root: string;
  /** Shell lines run after the overlays: bind mounts, a tmpfs on /run, one-time setup. */
  setup: string[];
  /** Daemons started in order, each as `sh -c <command>` with its output in `<name>.log`. */
  daemons: { name: string; command: string }[];
  /** Ports that accept connections once every daemon is ready. */
  ports: number[];
  /** Extra environment for the holder (inherited by every daemon). */
  env?: Record<string, string>;
}

export interface NamespaceHandle {
  readonly running: boolean;
  holderPid(): number | undefined;
  /** Runs a command inside the namespace (sees the overlays and bind mounts). */
  exec(cmd: string, args: string[], opts?: { input?: string }): Promise<string>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Log tails, for assertion messages. */
  logs(): Promise<string>;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function mountNamespace(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

/** Every live process in the mount namespace of `pid` (the holder, its daemons and their sessions). */
function namespacePids(ns: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (mountNamespace(Number(name)) === ns && isAlive(Number(name))) pids.push(Number(name));
  }
  return pids;
}

export function namespaceDaemons(spec: NamespaceSpec, registryId: string): NamespaceHandle {
  const holderPidFile = path.join(spec.dir, 'holder.pid');
  const script = path.join(spec.dir, 'holder.sh');
  const pidFiles = [...spec.daemons.map((d) => path.join(spec.dir, `${d.name}.pid`)), holderPidFile];
  let ns: string | undefined;

  const holderPid = () => {
    try {
      const pid = Number.parseInt(readFileSync(holderPidFile, 'utf8'), 10);
      return pid > 0 && isAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  };

  const logs = async () => {
    const out: string[] = [];
    for (const name of ['holder', ...spec.daemons.map((d) => d.name)]) {
      const text = await fs.readFile(path.join(spec.dir, `${name}.log`), 'utf8').catch(() => '');
      if (text.trim()) out.push(`--- ${name}.log ---\n${text.split('\n').slice(-20).join('\n')}`);
    }
    return out.join('\n');
  };

  const handle: NamespaceHandle = {
    get running() {
      return holderPid() !== undefined;
    },
    holderPid,
    async exec(cmd, args, opts = {}) {
      const pid = holderPid();
      if (!pid) throw new Error(`${registryId} is not running`);
      if (opts.input === undefined) return run('nsenter', ['-t', String(pid), '-m', '--', cmd, ...args]);
      return new Promise((resolve, reject) => {
        const child = spawn('nsenter', ['-t', String(pid), '-m', '--', cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.once('error', reject);
        // 'close', not 'exit': output may still be in the pipes when the process exits.
        child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${out}`))));
        child.stdin.end(opts.input);
      });
    },
    async start() {
      if (holderPid()) return;
      await fs.rm(path.join(spec.dir, 'ready'), { force: true });
      const lines = [
        'set -e',
        `mount -t overlay overlay -o ${quote(`lowerdir=${spec.root}/usr:/usr`)} /usr`,
        `mount -t overlay overlay -o ${quote(`lowerdir=${spec.root}/etc:/etc`)} /etc`,
        ...spec.setup,
        ...spec.daemons.map((d) => `sh -c ${quote(d.command)} > ${quote(path.join(spec.dir, `${d.name}.log`))} 2>&1 &\necho $! > ${quote(path.join(spec.dir, `${d.name}.pid`))}`),
        `touch ${quote(path.join(spec.dir, 'ready'))}`,
        'wait',
      ];
      await fs.writeFile(script, `${lines.join('\n')}\n`, { mode: 0o755 });
      await register(registryId, { pidFiles: pidFiles.map((file) => ({ file, signal: 'SIGTERM' as const })), dirs: [spec.dir] });
      const out = openSync(path.join(spec.dir, 'holder.log'), 'w');
      try {
        // `unshare` execs the shell in place: its pid is the holder's. Detached, in a process group
        // of its own: Courier's daemons signal their whole group when told to stop, and that must
        // not be the test runner's. A killed run leaves it to test/run.mjs, which sweeps the pid files.
        const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', script], { stdio: ['ignore', out, out], env: { ...process.env, ...spec.env }, detached: true });
        child.unref();
        await fs.writeFile(holderPidFile, `${child.pid}\n`);
        const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
        await Promise.race([
          waitFor(`${registryId} to accept connections`, async () =>
            existsSync(path.join(spec.dir, 'ready')) && (await Promise.all(spec.ports.map((p) => canConnect('127.0.0.1', p, 300)))).every(Boolean), 15_000),
          exited.then((code) => { throw new Error(`the namespace holder exited with ${code}`); }),
        ]);
        ns = mountNamespace(child.pid!);
      } catch (err) {
        await handle.stop();
        throw new Error(`${registryId} did not start: ${(err as Error).message}\n${await logs()}`);
      } finally {
        closeSync(out);
      }
    },
    async stop() {
      const pid = holderPid();
      const space = ns ?? (pid ? mountNamespace(pid) : undefined);
      // Only a namespace of our own: never the host's (the holder may have died before unshare).
      if (space && space !== mountNamespace(process.pid)) {
        for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
          const pids = namespacePids(space);
          if (!pids.length) break;
          for (const p of pids) {
            try {
              process.kill(p, signal);
            } catch {
              /* already gone */
            }
          }
          const deadline = Date.now() + 3000;
          while (namespacePids(space).length && Date.now() < deadline) await sleep(25);
        }
      }
      for (const file of pidFiles) {
        const p = await readPidFile(file);
        if (p !== undefined && isAlive(p) && mountNamespace(p) === space) process.kill(p, 'SIGKILL');
        await fs.rm(file, { force: true });
      }
      await waitFor(`${registryId} ports to close`, async () => !(await Promise.all(spec.ports.map((p) => canConnect('127.0.0.1', p, 200)))).some(Boolean), 10_000);
      await unregister(registryId);
      ns = undefined;
    },
    logs,
  };
  return handle;
}

/** stop / start / dispose / logs of a server instance whose daemons and files live in `dir`. */
export function instanceLifecycle(daemons: NamespaceHandle, dir: string) {
  return {
    stop: () => daemons.stop(),
    start: () => daemons.start(),
    async dispose() {
      await daemons.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
    logs: () => daemons.logs(),
  };
}
