// Delivery → subscription latency with real-time scanning (IDLE). Baseline = a bare imapflow IDLE
// client in the same run that reads each new message: time from the end of LMTP delivery until
// it has fetched the message (and, printed beside it, a client that only waits for EXISTS).
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

    // Two baselines, one bare imapflow client each. Dovecot tells an IDLE client of new mail
    // ~0.5 s after the delivery, on a timer whose phase depends on what the session did before
    // IDLE: right after a command (as every client that reads its mail has just done) it is a
    // full 0.5 s; idling 50 ms before the delivery with nothing in between, ~0.45 s.
    //  - "EXISTS only": IDLE, deliver, time to the EXISTS notification;
    //  - "reads the mail": what a client that takes each message does (and Mailroom too): on
    //    EXISTS fetch the new message and flag it \Seen, then IDLE again; time to the message
    //    fetched. Mailroom's figure is compared with this one.
    const bare = async (reads: boolean): Promise<number[]> => {
      const client = new ImapFlow({ host: '127.0.0.1', port: dovecot.ports.imap, secure: false, doSTARTTLS: false, auth: { user: 'idle@bench.test', pass: 'pw' }, logger: false });
      await client.connect();
      await client.mailboxOpen('INBOX');
      let onExists: (() => void) | null = null;
      client.on('exists', () => onExists?.());
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        void client.idle().catch(() => {});
        await new Promise((r) => setTimeout(r, 50));
        const seen = new Promise<void>((r) => (onExists = r));
        await dovecot.deliver('idle@bench.test', message(i, 'idle@bench.test'));
        const t = performance.now();
        await seen;
        if (reads) {
          const last = client.mailbox ? client.mailbox.exists : 0;
          for await (const msg of client.fetch(`${last}`, { uid: true, source: true })) void msg.source;
          times.push(performance.now() - t);
          await client.messageFlagsAdd(`${last}`, ['\\Seen']);
        } else {
          times.push(performance.now() - t);
        }
      }
      await client.logout();
      return times.sort((a, b) => a - b);
    };
    const existsOnly = await bare(false);
    const baseline = await bare(true);

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
      ours.sort((a, b) => a - b);
      console.log(`\nLMTP delivery → notification, ${n} deliveries (${app.app.services.database.kind})`);
      console.log(`            bare IDLE client, EXISTS only  p50 ${fmt(percentile(existsOnly, 50))} ms  p99 ${fmt(percentile(existsOnly, 99))} ms`);
      console.log(`  baseline  bare client reading its mail   p50 ${fmt(percentile(baseline, 50))} ms  p99 ${fmt(percentile(baseline, 99))} ms  (EXISTS, then the message fetched)`);
      console.log(`  mailroom  ticketCreated subscription     p50 ${fmt(percentile(ours, 50))} ms  p99 ${fmt(percentile(ours, 99))} ms`);
      console.log(`  ratio     p50 ${fmt(percentile(ours, 50) / percentile(baseline, 50), 2)}  p99 ${fmt(percentile(ours, 99) / percentile(baseline, 99), 2)}   p50 over the bare client reading its mail +${fmt(percentile(ours, 50) - percentile(baseline, 50))} ms`);
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
