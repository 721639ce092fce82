// Debian packages unpacked into a cache dir, for mail servers whose packages conflict with
// Dovecot's (Courier, Cyrus): installing them would remove dovecot-imapd/-pop3d. They are
// `apt-get download`ed once into $MAILROOM_TEST_CACHE_DIR (default ~/.cache/mailroom-test) and
// `dpkg -x`ed into a root tree that a private mount namespace lays over /usr and /etc
// (see namespace.ts). Nothing is installed; nothing outside the cache dir changes.
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isRoot, lookupUser, makeTempDir, run } from './util.ts';

export function testCacheDir(): string {
  return process.env.MAILROOM_TEST_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'mailroom-test');
}

/** Why a server set up from Debian packages cannot run here, or null when it can. */
export function debianServersUnavailable(): string | null {
  if (!isRoot) return 'needs root (a private mount namespace lays the unpacked packages over /usr and /etc)';
  for (const bin of ['/usr/bin/apt-get', '/usr/bin/dpkg', '/usr/bin/unshare']) {
    if (!existsSync(bin)) return `needs ${bin}`;
  }
  return null;
}

async function downloaded(debDir: string, pkg: string): Promise<string | undefined> {
  const names = await fs.readdir(debDir).catch(() => [] as string[]);
  return names.find((n) => n.startsWith(`${pkg}_`) && n.endsWith('.deb'));
}

/**
 * Downloads what is missing (one apt-get call for all of them; `apt-get update` once if apt has
 * no lists yet). Concurrent callers each download into their own temp dir and rename the files
 * into place, so a half-written .deb is never seen.
 */
async function download(packages: string[]): Promise<string> {
  const debDir = path.join(testCacheDir(), 'debs');
  await fs.mkdir(debDir, { recursive: true });
  const missing: string[] = [];
  for (const pkg of packages) if (!(await downloaded(debDir, pkg))) missing.push(pkg);
  if (!missing.length) return debDir;
  const tmp = await fs.mkdtemp(path.join(debDir, '.dl-'));
  try {
    // apt drops to the _apt user for downloads: let it write here, or it warns and runs as root.
    await fs.chmod(tmp, 0o777);
    const fetch = () => run('apt-get', ['download', '-q', ...missing], { cwd: tmp, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    try {
      await fetch();
    } catch {
      await run('apt-get', ['update', '-q']);
      await fetch();
    }
    for (const name of await fs.readdir(tmp)) if (name.endsWith('.deb')) await fs.rename(path.join(tmp, name), path.join(debDir, name));
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  return debDir;
}

/**
 * The packages unpacked into one root tree (usr/, etc/), cached by the exact .deb files. Files
 * Debian still ships under /lib are moved to usr/lib: on a merged-/usr system /lib is a link into
 * /usr, so only the /usr overlay is seen.
 */
export async function unpackedRoot(name: string, packages: string[]): Promise<string> {
  const debDir = await download(packages);
  const debs = await Promise.all(packages.map(async (p) => {
    const file = await downloaded(debDir, p);
    if (!file) throw new Error(`apt-get download did not fetch ${p}`);
    return file;
  }));
  const key = createHash('sha256').update(debs.sort().join('\n')).digest('hex').slice(0, 12);
  const root = path.join(testCacheDir(), 'roots', `${name}-${key}`);
  if (existsSync(path.join(root, '.complete'))) return root;
  await fs.mkdir(path.dirname(root), { recursive: true });
  const tmp = await fs.mkdtemp(`${root}.tmp-`);
  try {
    for (const deb of debs) await run('dpkg', ['-x', path.join(debDir, deb), tmp]);
    for (const dir of ['lib', 'lib64', 'bin', 'sbin']) {
      const from = path.join(tmp, dir);
      if (!existsSync(from)) continue;
      await fs.mkdir(path.join(tmp, 'usr', dir), { recursive: true });
      await run('cp', ['-a', `${from}/.`, path.join(tmp, 'usr', dir)]);
      await fs.rm(from, { recursive: true, force: true });
    }
    await fs.mkdir(path.join(tmp, 'etc'), { recursive: true });
    await fs.writeFile(path.join(tmp, '.complete'), `${debs.join('\n')}\n`);
    await fs.rename(tmp, root).catch(async (err: NodeJS.ErrnoException) => {
      // Another worker finished the same tree first.
      if (!existsSync(path.join(root, '.complete'))) throw err;
    });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  return root;
}

/** The unpacked tree, a fresh temp dir every daemon can traverse, and `nobody`, who owns the mail. */
export async function debianInstance(name: string, packages: string[]): Promise<{ root: string; dir: string; nobody: { uid: number; gid: number } }> {
  const root = await unpackedRoot(name, packages);
  const dir = await makeTempDir(name);
  await fs.chmod(dir, 0o755);
  return { root, dir, nobody: (await lookupUser('nobody')) ?? { uid: 65534, gid: 65534 } };
}
