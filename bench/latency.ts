// Delivery → subscription latency with real-time scanning (IDLE). Baseline = a bare imapflow IDLE
// client in the same run: time from the end of LMTP delivery to its EXISTS notification.
import { parse } from 'graphql';
import { ImapFlow } from 'imapflow';
import type { BatchTimings } from '../server/src/ingest/outcomes.ts';
import { fmt, message, percentile, startApp, startDovecot, addImapServer } from './common.ts';
import { subscribe } from '../test/testkit/app.ts';

export async function latency(n = Number(process.env.BENCH_DELIVERIES ?? 50)): Promise<void> {
  const dovecot = await startDovecot();
  try {
    await dovecot.addUser('idle@bench.test', 'pw');
    await dovecot.addUser('mailroom@bench.test', 'pw');

    const client = new ImapFlow({ host: '127.0.0.1', port: dovecot.ports.imap, secure: false, doSTARTTLS: false, auth: { user: 'idle@bench.test', pass: 'pw' }, logger: false });
    await client.connect();
    await client.mailboxOpen('INBOX');
    let onExists: (() => void) | null = null;
    client.on('exists', () => onExists?.());
    const baseline: number[] = [];
    for (let i = 0; i < n; i++) {
      void client.idle().catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
      const seen = new Promise<void>((r) => (onExists = r));
      await dovecot.deliver('idle@bench.test', message(i, 'idle@bench.test'));
      const t = performance.now();
      await seen;
      baseline.push(performance.now() - t);
    }
    await client.logout();

    const app = await startApp();
    try {
      await addImapServer(app.admin, dovecot, 'mailroom@bench.test', 'pw', true);
      await new Promise((r) => setTimeout(r, 1500));
      const ws = app.admin.ws();
      const sub = subscribe(ws, parse('subscription { ticketCreated { id } }'));
      await new Promise((r) => setTimeout(r, 300));
      const ours: number[] = [];
      // Where the time goes, per delivery: the batch's timestamps (one message each here).
      const stages: Record<string, number[]> = { 'EXISTS + fetch': [], parse: [], 'read + decide': [], 'write + commit': [], 'publish → client': [] };
      let batch: BatchTimings | null = null;
      const unobserve = app.app.services.ingest.observe((b) => (batch = b));
      for (let i = 0; i < n; i++) {
        batch = null;
        await dovecot.deliver('mailroom@bench.test', message(i, 'mailroom@bench.test'));
        const t = performance.now();
        await sub.next(30_000);
        const received = performance.now();
        ours.push(received - t);
        const b = batch as BatchTimings | null;
        if (b && b.messages === 1) {
          stages['EXISTS + fetch']!.push(b.submittedAt - t);
          stages.parse!.push(b.parsedAt - b.submittedAt);
          stages['read + decide']!.push(b.decidedAt - b.parsedAt);
          stages['write + commit']!.push(b.committedAt - b.decidedAt);
          stages['publish → client']!.push(received - b.committedAt);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      unobserve();
      sub.dispose();
      await ws.dispose();
      baseline.sort((a, b) => a - b);
      ours.sort((a, b) => a - b);
      console.log(`\nLMTP delivery → notification, ${n} deliveries (${app.app.services.database.kind})`);
      console.log(`  baseline  bare IDLE client, EXISTS       p50 ${fmt(percentile(baseline, 50))} ms  p99 ${fmt(percentile(baseline, 99))} ms`);
      console.log(`  mailroom  ticketCreated subscription     p50 ${fmt(percentile(ours, 50))} ms  p99 ${fmt(percentile(ours, 99))} ms`);
      console.log(`  ratio     p50 ${fmt(percentile(ours, 50) / percentile(baseline, 50), 2)}  p99 ${fmt(percentile(ours, 99) / percentile(baseline, 99), 2)}   p50 over bare IDLE +${fmt(percentile(ours, 50) - percentile(baseline, 50))} ms`);
      console.log(`  breakdown (from the end of the LMTP delivery; ${stages.parse!.length} single-message batches):`);
      for (const [stage, values] of Object.entries(stages)) {
        const sorted = [...values].sort((a, b) => a - b);
        console.log(`    ${stage.padEnd(17)} p50 ${fmt(percentile(sorted, 50), 1).padStart(6)} ms  p99 ${fmt(percentile(sorted, 99), 1).padStart(6)} ms`);
      }
    } finally {
      await app.stop();
    }
  } finally {
    await dovecot.dispose();
  }
}
