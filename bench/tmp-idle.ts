import { ImapFlow } from 'imapflow';
import { message, startDovecot, percentile, fmt } from './common.ts';
const dovecot = await startDovecot();
await dovecot.addUser('idle@bench.test', 'pw');
const client = new ImapFlow({ host: '127.0.0.1', port: dovecot.ports.imap, secure: false, doSTARTTLS: false, auth: { user: 'idle@bench.test', pass: 'pw' }, logger: false });
await client.connect();
await client.mailboxOpen('INBOX');
let onExists: (() => void) | null = null;
client.on('exists', () => onExists?.());
for (const mode of ['plain', 'noop-status', 'fetch-store', 'wait200']) {
  const lat: number[] = [];
  for (let i = 0; i < 10; i++) {
    if (mode === 'noop-status') { await client.noop(); await client.status('INBOX', { messages: true, uidNext: true }); }
    if (mode === 'fetch-store') { const n = client.mailbox && client.mailbox.exists; if (n) { for await (const m of client.fetch(`${n}`, { source: true })) void m; await client.messageFlagsAdd(`${n}`, ['\\Seen']); } }
    void client.idle().catch(() => {});
    await new Promise((r) => setTimeout(r, mode === 'wait200' ? 200 : 50));
    const seen = new Promise<void>((r) => (onExists = r));
    await dovecot.deliver('idle@bench.test', message(i, 'idle@bench.test'));
    const t = performance.now();
    await seen;
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  console.log(mode.padEnd(12), 'p50', fmt(percentile(lat, 50)), 'min', fmt(lat[0]!), 'max', fmt(lat[lat.length - 1]!));
}
await client.logout(); await dovecot.dispose();
