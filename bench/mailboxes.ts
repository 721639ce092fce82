// Many mailboxes in one process: N IMAP mailboxes with real-time scanning (IDLE). Mailroom runs as
// its own process, the compiled server as `pnpm start` runs it, and its RSS and CPU are read from
// /proc once every mailbox is connected and it has idled BENCH_IDLE_SECONDS (30), idle CPU over that
// window and over the next one. Baseline = N
// bare imapflow connections idling in this process, in the same run. Reports time to all
// connected, memory, idle CPU, and how long one mail to every mailbox takes to become N tickets
// (baseline: N EXISTS notifications and N fetches).
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { parse } from 'graphql';
import { ADMIN, GraphQLClient, expectNoGraphQLErrors, subscribe } from '../test/testkit/client.ts';
import { processInfo, processTree } from '../test/testkit/proc.ts';
import { addImapServer, cpuSeconds, fmt, message, serverArgv, startDovecot, threadCpuSeconds, treeCpuSeconds, type Dovecot } from './common.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function settledRssMb(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await sleep(300);
  }
  return process.memoryUsage().rss / 1024 / 1024;
}

/** One mail to each mailbox, 16 LMTP sessions at a time (Dovecot runs one lmtp process per session). */
/** `offset` numbers the mails (their subjects and senders) apart from those of an earlier round. */
async function deliverToEach(dovecot: Dovecot, users: string[], offset = 0): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < users.length) {
      const i = next++;
      await dovecot.deliver(users[i]!, message(offset + i, users[i]!));
    }
  }));
}

/** CPU % of one core `pid` used over the next `idleSeconds`. */
async function idleCpu(pid: number): Promise<number> {
  const cpu0 = cpuSeconds(pid);
  await sleep(idleSeconds * 1000);
  return ((cpuSeconds(pid) - cpu0) / idleSeconds) * 100;
}

async function baseline(dovecot: Dovecot, users: string[]): Promise<{ connectMs: number; rssMb: number; idleCpuPct: number; settledCpuPct: number; allMailMs: number; mailCpuMs: number }> {
  const before = await settledRssMb();
  const t0 = performance.now();
  const clients = await Promise.all(users.map(async (u) => {
    const c = new ImapFlow({ host: '127.0.0.1', port: dovecot.ports.imap, secure: false, doSTARTTLS: false, auth: { user: u, pass: 'pw' }, logger: false });
    await c.connect();
    await c.mailboxOpen('INBOX');
    return c;
  }));
  const connectMs = performance.now() - t0;
  const idleCpuPct = await idleCpu(process.pid);
  const settledCpuPct = await idleCpu(process.pid);
  const rssMb = (await settledRssMb()) - before;

  let fetched = 0;
  const all = new Promise<void>((resolve) => {
    for (const c of clients) {
      c.once('exists', () => {
        void c.fetchOne('*', { source: true }).then(() => ++fetched === clients.length && resolve());
      });
    }
  });
  const cpu1 = cpuSeconds(process.pid);
  const t1 = performance.now();
  await deliverToEach(dovecot, users);
  await all;
  const allMailMs = performance.now() - t1;
  // The deliveries run from this process too (LMTP): an upper bound of what the bare clients cost.
  const mailCpuMs = (cpuSeconds(process.pid) - cpu1) * 1000;
  // Read, as a reading client leaves it (the fetch peeked): Mailroom takes unread mail it finds in a
  // new mailbox, and the mail phase below must count only the mails it delivers.
  await Promise.all(clients.map(async (c) => {
    await c.messageFlagsAdd('1:*', ['\\Seen']);
    await c.logout();
  }).map((p) => p.catch(() => {})));
  return { connectMs, rssMb, idleCpuPct, settledCpuPct, allMailMs, mailCpuMs };
}

type StateRow = { id: string; health: { connectionState: string; updatedAt: string } };

/**
 * Waits until all `n` mailboxes say connected, watched as the servers page watches them: one
 * list, then the batched live updates (incomingEmailServersUpdated); per server the newer state
 * wins. Asking for the list of a thousand servers five times a second, as this bench did before,
 * cost the server more CPU than connecting them.
 */
async function allConnected(admin: GraphQLClient, n: number): Promise<void> {
  const fields = '{ id health { connectionState updatedAt } }';
  const states = new Map<string, StateRow['health']>();
  const take = (rows: StateRow[]) => {
    for (const row of rows) {
      const known = states.get(row.id);
      if (!known || Date.parse(row.health.updatedAt) >= Date.parse(known.updatedAt)) states.set(row.id, row.health);
    }
  };
  const ws = admin.ws();
  const live = subscribe(ws, parse(`subscription { incomingEmailServersUpdated ${fields} }`));
  const list = async () => take(expectNoGraphQLErrors(await admin.raw(`{ incomingEmailServers ${fields} }`)).incomingEmailServers as StateRow[]);
  let pending: Promise<unknown> | null = null;
  try {
    await sleep(300);
    await list();
    const connected = () => [...states.values()].filter((health) => health.connectionState === 'connected').length;
    while (connected() < n) {
      pending ??= live.next(120_000);
      const event = await Promise.race([pending, sleep(2_000).then(() => null)]);
      if (event) {
        pending = null;
        take((event as { incomingEmailServersUpdated: StateRow[] }).incomingEmailServersUpdated);
      } else {
        // Nothing for 2 s: the list again. Under load the subscription may be registered after
        // the first list was read, and an update in between is then never seen (a run once
        // waited two minutes for the next one); a mailbox really still connecting stays so here.
        await list();
      }
    }
  } finally {
    pending?.catch(() => {});
    live.dispose();
    await ws.dispose();
  }
}

async function spawnMailroom(dataDir: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const env = {
    ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', MAILROOM_DATA_DIR: dataDir,
    MAILROOM_ADMIN_EMAIL: ADMIN.email, MAILROOM_ADMIN_PASSWORD: ADMIN.password, MAILROOM_ALLOW_LOOPBACK_MAIL_SERVERS: '1',
  };
  const child = spawn(process.execPath, serverArgv(), { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // BENCH_SERVER_LOG: a file that gets the server's output (its log at BENCH_LOG_LEVEL) as well.
  if (process.env.BENCH_SERVER_LOG) {
    const log = createWriteStream(process.env.BENCH_SERVER_LOG, { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not running within 120 s:\n${out}`)), 120_000);
    const check = () => {
      const m = /Mailroom is running at (\S+)/.exec(out);
      if (m) (clearTimeout(timer), resolve(m[1]!));
    };
    child.stdout.on('data', check);
    void exited.then(() => reject(new Error(`exited before it was running:\n${out}`)));
  });
  return {
    url, pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function mailboxes(n = Number(process.env.BENCH_MAILBOXES ?? 200)): Promise<void> {
  const build = spawnSync('pnpm', ['--filter', '@mailroom/server', 'build'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('server build failed');
  const dovecot = await startDovecot({ connections: n * 2 });
  const dataDir = await fs.mkdtemp(path.join(tmpdir(), 'mailroom-bench-'));
  try {
    const users = Array.from({ length: n }, (_, i) => `box${i}@bench.test`);
    for (const u of users) await dovecot.addUser(u, 'pw');

    const bare = await baseline(dovecot, users);

    // The mailboxes are added through the API (timed on its own, 8 requests at a time); "connect
    // all" is then measured as bare imapflow's is: from Mailroom's start (the process spawned on
    // the installation that has them) until every one reports connected.
    const setup = await spawnMailroom(dataDir);
    let createMs: number;
    try {
      const admin = new GraphQLClient(setup.url);
      await admin.signIn();
      const t = performance.now();
      let nextUser = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (nextUser < users.length) await addImapServer(admin, dovecot, users[nextUser++]!, 'pw', true);
      }));
      createMs = performance.now() - t;
    } finally {
      await setup.stop();
    }
    const t0 = performance.now();
    const server = await spawnMailroom(dataDir);
    try {
      const admin = new GraphQLClient(server.url);
      await admin.signIn();
      await allConnected(admin, n);
      const connectMs = performance.now() - t0;

      const treeCpu0 = treeCpuSeconds(server.pid);
      const idleCpuPct = await idleCpu(server.pid);
      const treeIdleCpuPct = ((treeCpuSeconds(server.pid) - treeCpu0) / idleSeconds) * 100;
      const serverRss = processInfo(server.pid)?.rssMb ?? NaN;
      const treeRss = processTree(server.pid).reduce((sum, pid) => sum + (processInfo(pid)?.rssMb ?? 0), 0);
      // The next window as well: the first still holds what follows a burst (the collector giving
      // back what connecting a thousand mailboxes took; the bare clients' heap settles too).
      const settledCpuPct = await idleCpu(server.pid);

      const tickets = async () => expectNoGraphQLErrors(await admin.raw('{ tickets(first: 1) { totalCount } }')).tickets.totalCount as number;
      const mailCpu0 = cpuSeconds(server.pid);
      const threads0 = threadCpuSeconds(server.pid);
      const mailTreeCpu0 = treeCpuSeconds(server.pid);
      const before = await tickets();
      if (before) console.warn(`${before} tickets before the mail phase: the installation took mail that was already there`);
      const t1 = performance.now();
      await deliverToEach(dovecot, users, n);
      while ((await tickets()) < before + n) await sleep(100);
      const allMailMs = performance.now() - t1;
      const mailCpuMs = (cpuSeconds(server.pid) - mailCpu0) * 1000;
      const mailPgCpuMs = (treeCpuSeconds(server.pid) - mailTreeCpu0) * 1000 - mailCpuMs;
      // Threads that ended during the phase (a parser thread let go) are missing: a lower bound each.
      const byThread = [...threadCpuSeconds(server.pid)].map(([name, s]) => [name, ((s - (threads0.get(name) ?? 0)) * 1000) / n] as const).filter(([, ms]) => ms >= 0.05);

      console.log(`\n${fmt(n)} mailboxes with IDLE (Mailroom as its own process, embedded PostgreSQL; idle ${idleSeconds} s)`);
      console.log(`  baseline  bare imapflow IDLE   connect all ${fmt(bare.connectMs)} ms   RSS +${fmt(bare.rssMb, 1)} MB in the bench process   idle CPU ${fmt(bare.idleCpuPct, 2)} %, the next ${idleSeconds} s ${fmt(bare.settledCpuPct, 2)} %   one mail to each: all fetched after ${fmt(bare.allMailMs)} ms`);
      console.log(`  mailroom  server process       connect all ${fmt(connectMs)} ms   RSS ${fmt(serverRss, 1)} MB (tree with PostgreSQL ${fmt(treeRss, 1)} MB)   idle CPU ${fmt(idleCpuPct, 2)} % (tree ${fmt(treeIdleCpuPct, 2)} %), the next ${idleSeconds} s ${fmt(settledCpuPct, 2)} %   one mail to each: all tickets after ${fmt(allMailMs)} ms`);
      console.log(`  (adding the ${fmt(n)} mailboxes through the API before: ${fmt(createMs)} ms)`);
      console.log(`  ratio     connect all ${fmt(connectMs / bare.connectMs, 2)}   all mail → tickets ${fmt(allMailMs / bare.allMailMs, 2)}`);
      console.log(`  CPU       per mail while the ${fmt(n)} mails became tickets: server ${fmt(mailCpuMs / n, 2)} ms (all threads), its PostgreSQL ${fmt(mailPgCpuMs / n, 2)} ms; bare imapflow and the LMTP deliveries ${fmt(bare.mailCpuMs / n, 2)} ms`);
      console.log(`            the server's threads: ${byThread.map(([name, ms]) => `${name} ${fmt(ms, 2)} ms`).join(', ')}`);
    } finally {
      await server.stop();
    }
  } finally {
    await dovecot.dispose();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}
