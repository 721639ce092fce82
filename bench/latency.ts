// Delivery → subscription latency with real-time scanning (IDLE). Baseline = a bare imapflow IDLE
// client in the same run: time from the end of LMTP delivery to its EXISTS notification.
import { ImapFlow } from 'imapflow';
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
      const sub = subscribe(ws, 'subscription { ticketCreated { id } }');
      await new Promise((r) => setTimeout(r, 300));
      const ours: number[] = [];
      for (let i = 0; i < n; i++) {
        await dovecot.deliver('mailroom@bench.test', message(i, 'mailroom@bench.test'));
        const t = performance.now();
        await sub.next(30_000);
        ours.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 50));
      }
      sub.dispose();
      await ws.dispose();
      baseline.sort((a, b) => a - b);
      ours.sort((a, b) => a - b);
      console.log(`\nLMTP delivery → notification, ${n} deliveries (${app.app.services.database.kind})`);
      console.log(`  baseline  bare IDLE client, EXISTS       p50 ${fmt(percentile(baseline, 50))} ms  p99 ${fmt(percentile(baseline, 99))} ms`);
      console.log(`  mailroom  ticketCreated subscription     p50 ${fmt(percentile(ours, 50))} ms  p99 ${fmt(percentile(ours, 99))} ms`);
      console.log(`  ratio     p50 ${fmt(percentile(ours, 50) / percentile(baseline, 50), 2)}  p99 ${fmt(percentile(ours, 99) / percentile(baseline, 99), 2)}`);
    } finally {
      await app.stop();
    }
  } finally {
    await dovecot.dispose();
  }
}
