// The IMAP connector's login budget against a server that greets and then never answers LOGIN
// (as a Dovecot shutting down does once its auth process is gone).
import net from 'node:net';
import { ImapFlow } from 'imapflow';
import { afterEach, describe, expect, it } from 'vitest';
import { MailError } from '../../server/src/mail/connector.ts';
import { loginWithin } from '../../server/src/mail/imap/imap-login.ts';

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function silentAfterGreeting(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.resume(); // reads (and ignores) everything, so it sees the client's close
    socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port };
}

const connections = (server: net.Server) => new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n)));

describe('IMAP login budget', () => {
  it('gives up on a login that never ends, as a network failure, and closes the connection', async () => {
    const { server, port } = await silentAfterGreeting();
    const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, auth: { user: 'u', pass: 'p' }, logger: false } as ConstructorParameters<typeof ImapFlow>[0]);
    client.on('error', () => undefined);
    const started = Date.now();
    const err = await loginWithin(client, 400).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(MailError);
    expect(err).toMatchObject({ kind: 'NETWORK', message: 'The mail server accepted the connection but did not finish the login within 0.4 s' });
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect.poll(() => connections(server), { timeout: 5_000 }).toBe(0);
  });
});
