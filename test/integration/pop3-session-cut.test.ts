// A POP3 session lost after DELE but before QUIT: the server rolls the DELE back (RFC 1939 §6),
// so the message is still there next time. Mailroom must not lose it (its ticket was committed
// before the DELE) nor take it twice (its UIDL is committed: skip it and delete it again).
//
// Deterministic cut: a TCP relay between Mailroom and Dovecot forwards the first session's DELE
// and its +OK, then drops the QUIT and closes both sides.
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { waitFor } from '../testkit/services/util.ts';
import { mail } from '../testkit/mail.ts';

interface Relay {
  port: number;
  /** What the client sent, per session, as command names ("USER", "UIDL", "RETR", ...). */
  sessions: string[][];
  cuts: number;
  close(): Promise<void>;
}

/** Relays to `target`; the first session that sends DELE is cut once the server has answered it. */
async function startRelay(target: { host: string; port: number }): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const relay: Relay = { port: 0, sessions: [], cuts: 0, close: async () => undefined };
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    sockets.add(client).add(upstream);
    const commands: string[] = [];
    relay.sessions.push(commands);
    let cutting = relay.cuts === 0;
    let deleSent = false;
    let pending = '';
    const cut = () => {
      relay.cuts++;
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (deleSent) return; // the QUIT after DELE never reaches the server
      pending += chunk.toString('latin1');
      let end: number;
      let forward = '';
      while ((end = pending.indexOf('\r\n')) >= 0) {
        const line = pending.slice(0, end + 2);
        pending = pending.slice(end + 2);
        commands.push(line.split(' ')[0]!.trim().toUpperCase());
        forward += line;
        if (cutting && /^DELE /i.test(line)) {
          deleSent = true;
          break;
        }
      }
      if (forward) upstream.write(forward, 'latin1');
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      if (deleSent && cutting) {
        cutting = false;
        // Let the +OK reach Mailroom first, so it goes on to send QUIT into the void.
        setTimeout(cut, 50);
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.port = (server.address() as net.AddressInfo).port;
  relay.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return relay;
}

async function messagesOnServer(user: string, password: string): Promise<number> {
  const dovecot = getDovecot();
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.ports.imap, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false });
  await client.connect();
  try {
    const status = await client.status('INBOX', { messages: true });
    return status ? (status.messages ?? 0) : 0;
  } finally {
    await client.logout();
  }
}

describe('POP3 session cut after DELE, before QUIT', () => {
  let t: TestApp;
  let relay: Relay;

  beforeAll(async () => {
    relay = await startRelay({ host: getDovecot().host, port: getDovecot().ports.pop3 });
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
    await relay?.close();
  });

  it('neither loses nor duplicates the ticket, and the message is deleted in the next session', async () => {
    const user = `cut-${randomUUID().slice(0, 8)}@example.test`;
    const password = `pw-${randomUUID().slice(0, 8)}`;
    const dovecot = getDovecot();
    await dovecot.addUser(user, password);
    await dovecot.deliver(user, mail({ from: 'eve@customer.example', to: user, subject: 'Cut after DELE', body: 'x' }));

    const { id: serverId } = await t.seed.incomingServer({ name: 'Cut', email: user, protocol: 'POP3', host: '127.0.0.1', port: relay.port, security: 'NONE', password, pollIntervalSeconds: 10 });

    await waitFor('the relay cut a session after DELE', () => relay.cuts === 1, 20_000);
    expect(await messagesOnServer(user, password)).toBe(1); // the DELE was rolled back
    await waitFor('deleted by a later session', async () => (await messagesOnServer(user, password)) === 0, 20_000);

    const [first, ...later] = relay.sessions;
    expect(first).toEqual(expect.arrayContaining(['UIDL', 'RETR', 'DELE']));
    expect(first).not.toContain('QUIT');
    const redo = later.find((s) => s.includes('DELE'));
    expect(redo, JSON.stringify(relay.sessions)).toBeDefined();
    expect(redo).not.toContain('RETR'); // its UIDL was committed: skipped, only deleted
    expect(redo).toContain('QUIT');

    expect(await t.ticketSubjects(serverId)).toEqual(['Cut after DELE']);
    const audit = await t.admin.execute(graphql(`query CutAuditLog($id: ID!) { emailAuditLog(serverId: $id) { nodes { outcome } } }`), { id: serverId });
    expect(audit.emailAuditLog.nodes).toEqual([{ outcome: 'TICKET_CREATED' }]);
  });
});
