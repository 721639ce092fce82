import { startImapFaultProxy } from '../test/testkit/services/imap-fault-proxy.ts';
import { seeder } from '../test/testkit/seed.ts';
import { message, startApp, startDovecot } from './common.ts';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dovecot = await startDovecot();
await dovecot.addUser('p@bench.test', 'pw');
const proxy = await startImapFaultProxy({ host: '127.0.0.1', port: dovecot.ports.imap });
const app = await startApp();
const stmts = () => app.app.services.database.statementCount();
process.env.PROBE_SQL = "1";
const s0 = stmts();
await seeder(app.admin).incomingServer({ name: 'p', email: 'p@bench.test', protocol: 'IMAP', host: '127.0.0.1', port: proxy.port, security: 'NONE', password: 'pw', realTimeScanning: true });
await sleep(3000);
console.log('connect: commands', JSON.stringify(proxy.commands), 'statements', stmts() - s0);
process.env.PROBE_SQL = "";

for (let i = 0; i < 3; i++) {
  const c0 = proxy.commands.length; const st = stmts();
  await dovecot.deliver('p@bench.test', message(i, 'p@bench.test'));
  await sleep(2500);
  console.log(`mail ${i}: commands`, JSON.stringify(proxy.commands.slice(c0)), 'statements', stmts() - st);
}
const c0 = proxy.commands.length; const st = stmts();
await sleep(31000);
console.log('idle 31 s: commands', JSON.stringify(proxy.commands.slice(c0)), 'statements', stmts() - st);
await app.stop(); await proxy.close(); await dovecot.dispose();
