// Backlog ingest: N messages already waiting in a mailbox. Baseline = a naive loop that fetches
// every message with imapflow and parses it with mailparser (no database, no tickets).
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { addImapServer, fmt, seedMaildir, startApp, startDovecot } from './common.ts';

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
    const t0 = performance.now();
    for await (const msg of client.fetch('1:*', { uid: true, source: true })) {
      await simpleParser(msg.source!);
      parsed++;
    }
    const baselineMs = performance.now() - t0;
    lock.release();
    await client.logout();

    // Mailroom: the real connector, pipeline and database, until every ticket is committed.
    const app = await startApp();
    try {
      const t1 = performance.now();
      await addImapServer(app.admin, dovecot, 'mailroom@bench.test', 'pw');
      let done = 0;
      while (done < n) {
        await new Promise((r) => setTimeout(r, 100));
        done = await app.app.services.tickets.count();
        if (performance.now() - t1 > 30 * 60_000) throw new Error(`only ${done} tickets after 30 min`);
      }
      const mailroomMs = performance.now() - t1;
      const baselineRate = (parsed / baselineMs) * 1000;
      const mailroomRate = (n / mailroomMs) * 1000;
      console.log(`\nbacklog ingest of ${fmt(n)} messages (${app.app.services.database.kind})`);
      console.log(`  baseline  imapflow fetch + mailparser     ${fmt(baselineRate)} msgs/s  (${fmt(baselineMs / 1000, 1)} s)`);
      console.log(`  mailroom  fetch + parse + tickets + \\Seen ${fmt(mailroomRate)} msgs/s  (${fmt(mailroomMs / 1000, 1)} s)`);
      console.log(`  ratio     mailroom / baseline             ${fmt(mailroomRate / baselineRate, 2)}`);
    } finally {
      await app.stop();
    }
  } finally {
    await dovecot.dispose();
  }
}
