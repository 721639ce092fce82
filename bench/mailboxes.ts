// Many mailboxes in one process: N IMAP mailboxes with real-time scanning (IDLE). Baseline = N bare
// imapflow connections idling in the same process. Reports time to all connected, memory per
// mailbox, and how long one mail to every mailbox takes to become N tickets.
import { ImapFlow } from 'imapflow';
import { expectNoGraphQLErrors } from '../test/testkit/client.ts';
import { addImapServer, fmt, message, startApp, startDovecot } from './common.ts';

const rssMb = () => process.memoryUsage().rss / 1024 / 1024;
async function settle(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 300));
  }
  return rssMb();
}

export async function mailboxes(n = Number(process.env.BENCH_MAILBOXES ?? 200)): Promise<void> {
  const dovecot = await startDovecot();
  try {
    const users = Array.from({ length: n }, (_, i) => `box${i}@bench.test`);
    for (const u of users) await dovecot.addUser(u, 'pw');

    // Baseline: bare imapflow clients in IDLE.
    const before = await settle();
    const t0 = performance.now();
    const clients = await Promise.all(users.map(async (u) => {
      const c = new ImapFlow({ host: '127.0.0.1', port: dovecot.ports.imap, secure: false, doSTARTTLS: false, auth: { user: u, pass: 'pw' }, logger: false });
      await c.connect();
      await c.mailboxOpen('INBOX');
      void c.idle().catch(() => {});
      return c;
    }));
    const baselineConnectMs = performance.now() - t0;
    const baselineMb = (await settle()) - before;
    await Promise.all(clients.map((c) => c.logout().catch(() => c.close())));

    const app = await startApp();
    try {
      const beforeApp = await settle();
      const t1 = performance.now();
      for (const u of users) await addImapServer(app.admin, dovecot, u, 'pw', true);
      while (expectNoGraphQLErrors(await app.admin.raw('{ incomingEmailServers { health { connectionState } } }')).incomingEmailServers
        .filter((s: { health: { connectionState: string } }) => s.health.connectionState === 'connected').length < n) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const connectMs = performance.now() - t1;
      const mailroomMb = (await settle()) - beforeApp;

      const t2 = performance.now();
      await Promise.all(users.map((u, i) => dovecot.deliver(u, message(i, u))));
      const delivered = performance.now() - t2;
      while ((await app.app.services.tickets.count()) < n) await new Promise((r) => setTimeout(r, 100));
      const ingestMs = performance.now() - t2;

      console.log(`\n${fmt(n)} mailboxes with IDLE in one process (${app.app.services.database.kind})`);
      console.log(`  baseline  bare imapflow IDLE   connect all ${fmt(baselineConnectMs)} ms   RSS +${fmt(baselineMb, 1)} MB (${fmt((baselineMb * 1024) / n)} KB/mailbox)`);
      console.log(`  mailroom  connectors           connect all ${fmt(connectMs)} ms   RSS +${fmt(mailroomMb, 1)} MB (${fmt((mailroomMb * 1024) / n)} KB/mailbox)`);
      console.log(`  ratio     memory per mailbox ${fmt(mailroomMb / baselineMb, 2)}`);
      console.log(`  one mail to each: delivered in ${fmt(delivered)} ms, all ${fmt(n)} tickets after ${fmt(ingestMs)} ms`);
    } finally {
      await app.stop();
    }
  } finally {
    await dovecot.dispose();
  }
}
