// Backlog ingest: N messages already waiting in a mailbox. Baseline = a naive loop that fetches
// every message with imapflow and parses it with mailparser (no database, no tickets).
import { count } from 'drizzle-orm';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { tickets } from '../server/src/db/schema.ts';
import type { BatchTimings } from '../server/src/ingest/outcomes.ts';
import { processInfo, processesIn } from '../test/testkit/proc.ts';
import { addImapServer, cpuSeconds, fmt, percentile, seedMaildir, startApp, startDovecot, threadCpuSeconds, treeCpuSeconds } from './common.ts';

const rssMb = (pid: number) => processInfo(pid)?.rssMb ?? NaN;

/**
 * Per batch: parse = first message handed to the parser pool → last one parsed (overlaps the
 * fetch and the previous batch's commit); wait = how long the batch's transaction waited for that
 * parse after the previous commit; decide = the transaction's reads and the pipeline's steps;
 * write = inserts, checkpoint and commit.
 */
function printBatches(batches: BatchTimings[]): void {
  if (!batches.length) return;
  const stat = (label: string, values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const total = values.reduce((a, b) => a + b, 0);
    console.log(`  ${label.padEnd(8)} per batch p50 ${fmt(percentile(sorted, 50)).padStart(5)} ms  p99 ${fmt(percentile(sorted, 99)).padStart(5)} ms  total ${fmt(total / 1000, 1)} s`);
  };
  const sizes = batches.map((b) => b.messages);
  console.log(`  batches  ${batches.length} of ${fmt(Math.min(...sizes))}–${fmt(Math.max(...sizes))} messages`);
  stat('parse', batches.map((b) => b.parsedAt - b.submittedAt));
  stat('wait', batches.map((b, i) => Math.max(0, b.parsedAt - Math.max(i ? batches[i - 1]!.committedAt : b.submittedAt, b.submittedAt))));
  stat('decide', batches.map((b) => b.decidedAt - b.beganAt));
  stat('write', batches.map((b) => b.committedAt - b.decidedAt));
}

export async function backlog(n = Number(process.env.BENCH_MESSAGES ?? 10_000)): Promise<void> {
  const dovecot = await startDovecot();
  try {
    await dovecot.addUser('baseline@bench.test', 'pw');
    await dovecot.addUser('mailroom@bench.test', 'pw');
    console.log(`seeding ${fmt(n)} messages into two mailboxes…`);
    await seedMaildir(dovecot, 'baseline@bench.test', n);
    await seedMaildir(dovecot, 'mailroom@bench.test', n);

    // Baseline: naive imapflow + mailparser loop.
    const client = new ImapFlow({ host: '127.0.0.1', port: dovecot.ports.imap, secure: false, doSTARTTLS: false, auth: { user: 'baseline@bench.test', pass: 'pw' }, logger: false });
    await client.connect();
    const lock = await client.getMailboxLock('INBOX');
    let parsed = 0;
    const cpu0 = cpuSeconds(process.pid);
    const t0 = performance.now();
    for await (const msg of client.fetch('1:*', { uid: true, source: true })) {
      await simpleParser(msg.source!);
      parsed++;
    }
    const baselineMs = performance.now() - t0;
    const baselineCpu = cpuSeconds(process.pid) - cpu0;
    lock.release();
    await client.logout();

    // Mailroom: the real connector, pipeline and database, until every ticket is committed.
    const app = await startApp();
    const batches: BatchTimings[] = [];
    const unobserve = app.app.services.ingest.observe((t) => batches.push(t));
    // The server's PostgreSQL: the embedded one runs below this process, a BENCH_DATABASE one in its own directory.
    const pgCpu = () => (app.pg ? processesIn(app.pg.dataDir).reduce((s, p) => s + cpuSeconds(p), 0) : treeCpuSeconds(process.pid) - cpuSeconds(process.pid));
    try {
      const cpu1 = cpuSeconds(process.pid);
      const pg1 = pgCpu();
      const threads1 = threadCpuSeconds(process.pid);
      const t1 = performance.now();
      await addImapServer(app.admin, dovecot, 'mailroom@bench.test', 'pw');
      let done = 0;
      while (done < n) {
        await new Promise((r) => setTimeout(r, 100));
        done = (await app.app.services.db.select({ n: count() }).from(tickets))[0]!.n;
        if (performance.now() - t1 > 30 * 60_000) throw new Error(`only ${done} tickets after 30 min`);
      }
      const mailroomMs = performance.now() - t1;
      const mailroomCpu = cpuSeconds(process.pid) - cpu1;
      const databaseCpu = pgCpu() - pg1;
      // Threads that ended during the run (a parser thread let go) are missing: a lower bound each.
      const byThread = [...threadCpuSeconds(process.pid)].map(([name, s]) => [name, ((s - (threads1.get(name) ?? 0)) * 1e6) / n] as const).filter(([, ms]) => ms >= 5);
      const baselineRate = (parsed / baselineMs) * 1000;
      const mailroomRate = (n / mailroomMs) * 1000;
      console.log(`\nbacklog ingest of ${fmt(n)} messages (${app.app.services.database.kind})`);
      console.log(`  baseline  imapflow fetch + mailparser     ${fmt(baselineRate)} msgs/s  (${fmt(baselineMs / 1000, 1)} s)`);
      console.log(`  mailroom  fetch + parse + tickets + \\Seen ${fmt(mailroomRate)} msgs/s  (${fmt(mailroomMs / 1000, 1)} s)`);
      console.log(`  ratio     mailroom / baseline             ${fmt(mailroomRate / baselineRate, 2)}`);
      const perK = (s: number, count: number) => `${fmt((s / count) * 1e6)} ms`;
      console.log(`  CPU       per 1,000 messages: baseline ${perK(baselineCpu, parsed)}; mailroom ${perK(mailroomCpu, n)} in the server (all threads) + ${perK(databaseCpu, n)} in PostgreSQL`);
      console.log(`  by thread per 1,000 messages: ${byThread.map(([name, ms]) => `${name} ${fmt(ms)} ms`).join(', ')}`);
      printBatches(batches);
      console.log(`  server    RSS ${fmt(rssMb(process.pid), 1)} MB after the backlog (this process runs the server; its parser threads included)`);
    } finally {
      unobserve();
      await app.stop();
    }
  } finally {
    await dovecot.dispose();
  }
}
