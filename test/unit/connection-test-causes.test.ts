import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort } from '../testkit/connection-test.ts';
import {
  CONNECTION_STAGES, likelyCauses, testConnection, type ConnectionTestResult, type ImapTestTarget,
} from '../../server/src/mail/connection-test/connection-test.ts';
import { FAILURE_CODES, failureMessage, normalizeCode } from '../../server/src/mail/connection-test/diagnosis.ts';
import { describeSmtpFailure } from '../../server/src/mail/outbound/smtp.ts';

describe('likelyCauses', () => {
  it('has causes for every stage, even without detail', () => {
    for (const stage of CONNECTION_STAGES) expect(likelyCauses(stage, 'IMAP').length).toBeGreaterThan(0);
  });

  it('DNS: wrong address, DNS failure, firewall (the seed table row)', () => {
    const causes = likelyCauses('DNS', 'IMAP', { host: 'imap.exmaple.com' }).join('\n');
    expect(causes).toMatch(/Wrong server address: check the spelling of imap\.exmaple\.com/);
    expect(causes).toMatch(/DNS resolution failure/);
    expect(causes).toMatch(/firewall/i);
  });

  it('DNS: a resolver outage points at this server, not the address', () => {
    expect(likelyCauses('DNS', 'IMAP', { code: 'EAI_AGAIN' })[0]).toMatch(/DNS resolver/);
  });

  it('DNS: a refused address says where it points', () => {
    expect(likelyCauses('DNS', 'IMAP', { code: 'REFUSED_ADDRESS' })[0]).toMatch(/metadata/);
  });

  it('TCP: connection refused means nothing listens on that port', () => {
    const causes = likelyCauses('TCP', 'IMAP', { code: 'ECONNREFUSED', host: 'mail.example.com', port: 994 });
    expect(causes[0]).toBe('Nothing listens on port 994 at mail.example.com — wrong port, or the service is stopped');
    expect(causes.join('\n')).toMatch(/993 with SSL and 143 with STARTTLS/);
  });

  it('TCP: a timeout is most likely a firewall', () => {
    for (const code of ['ETIMEDOUT', 'TIMEOUT', undefined]) {
      expect(likelyCauses('TCP', 'IMAP', { code, port: 993 })[0]).toMatch(/firewall/i);
    }
  });

  it('TCP: unreachable hosts suggest a wrong address or no route', () => {
    expect(likelyCauses('TCP', 'IMAP', { code: 'EHOSTUNREACH', host: 'mail.example.com' })[0]).toMatch(/Wrong server address/);
  });

  it('TLS: plain text where TLS was expected is the wrong security type', () => {
    const causes = likelyCauses('TLS', 'IMAP', { code: 'ERR_SSL_WRONG_VERSION_NUMBER', port: 143 });
    expect(causes[0]).toMatch(/Wrong security type: port 143 speaks plain IMAP/);
  });

  it('TLS: certificate problems name the certificate problem', () => {
    expect(likelyCauses('TLS', 'IMAP', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })[0]).toMatch(/self-signed.*"Allow self-signed certificate"/);
    expect(likelyCauses('TLS', 'IMAP', { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })[0]).toMatch(/Allow self-signed/);
    expect(likelyCauses('TLS', 'IMAP', { code: 'ERR_TLS_CERT_ALTNAME_INVALID', host: 'mail.example.com' })[0])
      .toMatch(/issued for a different name.*mail\.example\.com/);
    expect(likelyCauses('TLS', 'IMAP', { code: 'CERT_HAS_EXPIRED' }).join('\n')).toMatch(/renewed[\s\S]*clock/);
  });

  it('TLS: without a specific code, certificate issue or wrong security type (the seed table row)', () => {
    const causes = likelyCauses('TLS', 'IMAP').join('\n');
    expect(causes).toMatch(/certificate issue/);
    expect(causes).toMatch(/Wrong security type/);
  });

  it('AUTH: wrong credentials, expired app password, OAuth token (the seed table row)', () => {
    const causes = likelyCauses('AUTH', 'IMAP', { code: 'AUTHENTICATIONFAILED' });
    expect(causes[0]).toBe('Wrong username or password');
    expect(causes.join('\n')).toMatch(/App Password/);
    expect(causes.join('\n')).toMatch(/OAuth token/);
  });

  it('AUTH: a refused password names password problems only, never OAuth tokens', () => {
    for (const protocol of ['IMAP', 'POP3', 'EWS']) {
      const causes = likelyCauses('AUTH', protocol, { code: 'AUTHENTICATIONFAILED', authMethod: 'PASSWORD' });
      expect(causes[0]).toBe('Wrong username or password');
      expect(causes.join('\n')).toMatch(/App Password/);
      expect(causes.join('\n')).not.toMatch(/OAuth token|token/i);
    }
    expect(likelyCauses('AUTH', 'IMAP', { code: 'NO_CREDENTIALS', authMethod: 'PASSWORD' }).join('\n')).not.toMatch(/OAuth/);
  });

  it('AUTH: a refused token names token problems only, never passwords', () => {
    const causes = likelyCauses('AUTH', 'IMAP', { code: 'AUTHENTICATIONFAILED', authMethod: 'OAUTH' });
    expect(causes.join('\n')).not.toMatch(/password/i);
    expect(likelyCauses('AUTH', 'Microsoft Graph', { code: 'NO_CREDENTIALS', authMethod: 'OAUTH' })[0]).toMatch(/Sign in/);
  });

  it('AUTH: with OAuth the token comes first', () => {
    expect(likelyCauses('AUTH', 'IMAP', { code: 'AUTHENTICATIONFAILED', authMethod: 'OAUTH' })[0]).toMatch(/OAuth token/);
  });

  it('AUTH: plaintext login refused suggests encryption', () => {
    expect(likelyCauses('AUTH', 'IMAP', { code: 'PRIVACYREQUIRED' })[0]).toMatch(/choose SSL or STARTTLS/);
  });

  it('AUTH: a server without OAuth suggests Basic Auth', () => {
    expect(likelyCauses('AUTH', 'IMAP', { code: 'AUTH_METHOD_UNSUPPORTED', authMethod: 'OAUTH' })[0]).toMatch(/does not support OAuth/);
  });

  it('AUTH: a POP3 mailbox in use ([IN-USE]) names the other client or our own poller, not the password', () => {
    const causes = likelyCauses('AUTH', 'POP3', { code: 'MAILBOX_IN_USE' });
    expect(causes[0]).toMatch(/Mailroom's own poller/);
    expect(causes.join('\n')).toMatch(/Another mail client/);
    expect(causes.join('\n')).not.toMatch(/password|rate|limiting/i);
    expect(failureMessage('AUTH', 'POP3', { code: 'MAILBOX_IN_USE' })).toBe("The mailbox is in use: another POP3 client (or Mailroom's own poller) holds it");
  });

  it('PROTOCOL: the protocol is not enabled on the account', () => {
    expect(likelyCauses('PROTOCOL', 'IMAP')[0]).toMatch(/IMAP is not enabled on the email account/);
  });
});

// Local sockets only: each test gets its own listener, closed afterwards.
const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(onConnection: (socket: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    // Reading (even into the void) is what lets the server see the probe hang up.
    socket.resume();
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Answers each tagged command with `reply(tag, command)`; lines only, enough for a probe. */
function lineServer(greeting: string, reply: (tag: string, command: string) => string | null) {
  return listen((socket) => {
    socket.write(greeting);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const [tag = '', command = ''] = line.split(' ');
        const answer = reply(tag, command.toUpperCase());
        if (answer) socket.write(answer);
        if (command.toUpperCase() === 'LOGOUT') socket.end();
      }
    });
  });
}

function target(port: number, over: Partial<ImapTestTarget> = {}): ImapTestTarget {
  return {
    protocol: 'IMAP', host: '127.0.0.1', port, security: 'SSL',
    allowSelfSignedCertificate: false, username: 'agent@example.com', password: 'Sw0rdfish!', ...over,
  };
}

function expectWellFormed(result: ConnectionTestResult) {
  expect(result.stages.map((s) => s.stage)).toEqual(CONNECTION_STAGES);
  expect(result.durationMs).toBeGreaterThanOrEqual(0);
  for (const stage of result.stages) expect(stage.durationMs).toBeGreaterThanOrEqual(0);
  const failed = result.stages.findIndex((s) => !s.ok && !s.skipped);
  if (failed >= 0) {
    expect(result.failedStage).toBe(result.stages[failed]!.stage);
    expect(result.message).toBe(result.stages[failed]!.message);
    expect(result.causes.length).toBeGreaterThan(0);
    for (const later of result.stages.slice(failed + 1)) expect(later).toMatchObject({ ok: false, skipped: true, message: null });
  }
  expect(JSON.stringify(result)).not.toContain('Sw0rdfish!');
}

async function waitForNoConnections(server: net.Server) {
  for (let i = 0; i < 50; i++) {
    const count = await new Promise<number>((resolve) => server.getConnections((_err, n) => resolve(n)));
    if (count === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the probe left a connection open');
}

describe('testConnection against local sockets', () => {
  it('fails TCP on a closed port, naming the port', async () => {
    const port = await closedPort();
    const result = await testConnection(target(port), { allowLoopback: true });
    expectWellFormed(result);
    expect(result).toMatchObject({ ok: false, failedStage: 'TCP', message: `127.0.0.1 port ${port} refused the connection` });
    expect(result.causes[0]).toBe(`Nothing listens on port ${port} at 127.0.0.1 — wrong port, or the service is stopped`);
    expect(result.stages[0]).toMatchObject({ stage: 'DNS', ok: true });
  });

  it('fails TLS when SSL is chosen but the port speaks plain IMAP', async () => {
    const { server, port } = await listen((socket) => socket.write('* OK IMAP ready\r\n'));
    const result = await testConnection(target(port), { allowLoopback: true });
    expectWellFormed(result);
    expect(result.failedStage).toBe('TLS');
    expect(result.message).toMatch(/the server did not start a TLS handshake — wrong security type or port\?/i);
    expect(result.stages.slice(0, 2).every((s) => s.ok)).toBe(true);
    await waitForNoConnections(server);
  });

  it('fails DNS for a name that does not exist', async () => {
    const result = await testConnection(target(993, { host: 'nonexistent.invalid' }), { allowLoopback: false });
    expectWellFormed(result);
    expect(result).toMatchObject({ failedStage: 'DNS', message: 'nonexistent.invalid could not be found in DNS' });
  });

  it('refuses loopback in the DNS stage unless allowed', async () => {
    const result = await testConnection(target(993), { allowLoopback: false });
    expectWellFormed(result);
    expect(result.failedStage).toBe('DNS');
    expect(result.message).toBe('127.0.0.1 is a loopback address (this server itself); mail servers are not allowed there');
  });

  it('fails the running stage after the budget and closes its socket', async () => {
    const { server, port } = await listen(() => undefined);
    const result = await testConnection(target(port), { allowLoopback: true, timeoutMs: 400 });
    expectWellFormed(result);
    expect(result.failedStage).toBe('TLS');
    expect(result.message).toBe(`127.0.0.1 port ${port}: no answer within 0.4 s`);
    expect(result.durationMs).toBeLessThan(2000);
    await waitForNoConnections(server);
  });

  it('reports a silent STARTTLS port as "no greeting" (an SSL port, most likely)', async () => {
    const { server, port } = await listen(() => undefined);
    const result = await testConnection(target(port, { security: 'TLS' }), { allowLoopback: true, timeoutMs: 500 });
    expectWellFormed(result);
    expect(result.failedStage).toBe('TLS');
    expect(result.message).toBe('The server sent no IMAP greeting — wrong security type or port?');
    expect(result.causes[0]).toMatch(/expect SSL from the first byte/);
    await waitForNoConnections(server);
  });

  it('fails TLS when the server refuses STARTTLS, without echoing its text', async () => {
    const { port } = await lineServer('* OK SecretBanner ready\r\n', (tag) => `${tag} BAD SecretRefusal\r\n`);
    const result = await testConnection(target(port, { security: 'TLS' }), { allowLoopback: true });
    expectWellFormed(result);
    expect(result).toMatchObject({ failedStage: 'TLS', message: 'The server does not offer STARTTLS on this port' });
    expect(JSON.stringify(result)).not.toMatch(/Secret/);
  });

  it('skips TLS for security None and fails AUTH when no secret is saved', async () => {
    const { port } = await lineServer('* OK ready\r\n', () => null);
    const result = await testConnection(target(port, { security: 'NONE', password: null }), { allowLoopback: true });
    expectWellFormed(result);
    expect(result.stages[2]).toMatchObject({ stage: 'TLS', ok: true, skipped: true });
    expect(result).toMatchObject({ failedStage: 'AUTH', message: 'No password or access token is saved for this server' });
  });

  it('fails AUTH after the budget when the server never answers the login, and closes everything', async () => {
    const { server, port } = await lineServer('* OK [CAPABILITY IMAP4rev1] ready\r\n', (tag, command) =>
      command === 'LOGIN' ? null : `${tag} OK done\r\n`);
    const result = await testConnection(target(port, { security: 'NONE' }), { allowLoopback: true, timeoutMs: 600 });
    expectWellFormed(result);
    expect(result).toMatchObject({ failedStage: 'AUTH', message: `127.0.0.1 port ${port}: no answer within 0.6 s` });
    await waitForNoConnections(server);
  });

  it('fails PROTOCOL when INBOX cannot be opened, without echoing the server', async () => {
    const { server, port } = await lineServer('* OK [CAPABILITY IMAP4rev1] SecretBanner\r\n', (tag, command) => {
      if (command === 'EXAMINE' || command === 'SELECT') return `${tag} NO [NONEXISTENT] SecretMailboxText\r\n`;
      if (command === 'LOGOUT') return `* BYE SecretBye\r\n${tag} OK bye\r\n`;
      return `${tag} OK done\r\n`;
    });
    const result = await testConnection(target(port, { security: 'NONE' }), { allowLoopback: true });
    expectWellFormed(result);
    expect(result.stages.map((s) => s.ok)).toEqual([true, true, true, true, false]);
    expect(result).toMatchObject({ failedStage: 'PROTOCOL', message: 'IMAP is reachable but INBOX could not be opened' });
    expect(result.causes[0]).toMatch(/IMAP is not enabled/);
    expect(JSON.stringify(result)).not.toMatch(/Secret/);
    await waitForNoConnections(server);
  });
});

describe('one vocabulary for incoming and outgoing Test Connection', () => {
  it('derives every failure code from one list, and words each of them for every stage', () => {
    expect(new Set(FAILURE_CODES).size).toBe(FAILURE_CODES.length);
    for (const code of FAILURE_CODES) {
      expect(normalizeCode(code)).toBe(code);
      for (const stage of CONNECTION_STAGES) expect(failureMessage(stage, 'IMAP', { code, host: 'mail.example.com', port: 993 })).toBeTruthy();
    }
  });

  it('words an SMTP failure as the incoming test words the same failure', () => {
    const refused = Object.assign(new Error('server text'), { code: 'ESOCKET', originalCode: 'ECONNREFUSED' });
    const smtp = describeSmtpFailure(refused, { host: 'mail.example.com', port: 587, security: 'TLS', authType: 'BASIC' });
    const facts = { code: 'CONNECTION_REFUSED', host: 'mail.example.com', port: 587 };
    expect(smtp).toMatchObject({ stage: 'TCP', message: failureMessage('TCP', 'SMTP', facts), causes: likelyCauses('TCP', 'SMTP', facts) });
    expect(smtp.message).toBe(failureMessage('TCP', 'IMAP', facts));
    expect(smtp.causes[1]).toMatch(/SMTP normally uses 465 with SSL and 587 with STARTTLS/);
  });
});
