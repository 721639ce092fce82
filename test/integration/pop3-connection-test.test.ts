// POP3 Test Connection (SPEC §5) against the run's real Dovecot: POP3 (STLS offered) and POP3S,
// self-signed certificate for 127.0.0.1/localhost.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { closedPort, expectFailedAt } from '../testkit/connection-test.ts';
import {
  CONNECTION_STAGES, testConnection, type ConnectionTestResult, type Pop3TestTarget,
} from '../../server/src/mail/connection-test/connection-test.ts';
import { getDovecot } from '../testkit/env.ts';

const dovecot = getDovecot();
const user = `p3ct-${randomUUID().slice(0, 8)}`;
const password = `pw-${randomUUID()}`;
const allowLoopback = { allowLoopback: true };

beforeAll(async () => {
  await dovecot.addUser(user, password);
  await dovecot.deliver(user, 'From: a@customer.example\r\nSubject: one\r\n\r\nbody\r\n');
});

function target(over: Partial<Pop3TestTarget>): Pop3TestTarget {
  return {
    protocol: 'POP3', host: dovecot.host, port: dovecot.ports.pop3s, security: 'SSL',
    allowSelfSignedCertificate: true, username: user, password, ...over,
  };
}

function expectSafe(result: ConnectionTestResult) {
  expect(result.stages.map((s) => s.stage)).toEqual(CONNECTION_STAGES);
  const text = JSON.stringify(result);
  expect(text).not.toContain(password);
  expect(text).not.toMatch(/dovecot/i);
}

describe('POP3 Test Connection against Dovecot', () => {
  it('SSL (995-style): every stage ok, STAT counts the waiting mail', async () => {
    const result = await testConnection(target({}), allowLoopback);
    expectSafe(result);
    expect(result).toMatchObject({ ok: true, failedStage: null, message: null, causes: [] });
    expect(result.stages.every((s) => s.ok && !s.skipped)).toBe(true);
    expect(result.stages[2]!.message).toMatch(/^TLSv1\.[23], certificate not verified/);
    expect(result.stages[4]!.message).toBe('1 message waiting');
  });

  it('STLS on the plain port: ok', async () => {
    const result = await testConnection(target({ port: dovecot.ports.pop3, security: 'TLS', host: 'localhost' }), allowLoopback);
    expectSafe(result);
    expect(result.ok).toBe(true);
    expect(result.stages[2]!.message).toMatch(/^STLS, TLSv1/);
  });

  it('None on the plain port: ok with TLS skipped', async () => {
    const result = await testConnection(target({ port: dovecot.ports.pop3, security: 'NONE' }), allowLoopback);
    expectSafe(result);
    expect(result.stages.map((s) => [s.stage, s.ok, s.skipped])).toEqual([
      ['DNS', true, false], ['TCP', true, false], ['TLS', true, true], ['AUTH', true, false], ['PROTOCOL', true, false],
    ]);
  });

  it('wrong password: AUTH fails with our wording', async () => {
    const result = await testConnection(target({ password: `${password}-wrong` }), allowLoopback);
    expectSafe(result);
    expect(JSON.stringify(result)).not.toContain(`${password}-wrong`);
    expectFailedAt(result, 'AUTH');
    expect(result.message).toBe('The server rejected the username or password');
  });

  it('no password saved: AUTH fails before anything is sent', async () => {
    const result = await testConnection(target({ password: null }), allowLoopback);
    expectFailedAt(result, 'AUTH');
    expect(result.message).toMatch(/No password/);
  });

  it('self-signed certificate not allowed: TLS fails naming the certificate, for SSL and STLS', async () => {
    for (const over of [{}, { port: dovecot.ports.pop3, security: 'TLS' as const }]) {
      const result = await testConnection(target({ ...over, allowSelfSignedCertificate: false }), allowLoopback);
      expectFailedAt(result, 'TLS');
      expect(result.message).toBe("The server's certificate is self-signed and not trusted");
    }
  });

  it('wrong security type for the port fails at TLS with the security-type causes', async () => {
    const sslOnPlain = await testConnection(target({ port: dovecot.ports.pop3, security: 'SSL' }), allowLoopback);
    expectFailedAt(sslOnPlain, 'TLS');
    expect(sslOnPlain.causes[0]).toMatch(/Wrong security type/);

    const plainOnSsl = await testConnection(target({ port: dovecot.ports.pop3s, security: 'NONE' }), { ...allowLoopback, timeoutMs: 2500 });
    expectFailedAt(plainOnSsl, 'TLS');
    expect(plainOnSsl.message).toMatch(/no POP3 greeting/);
    expect(plainOnSsl.causes[0]).toMatch(/choose SSL/);
  });

  it('an IMAP port is not a POP3 server', async () => {
    const result = await testConnection(target({ port: dovecot.ports.imap, security: 'NONE' }), allowLoopback);
    expectFailedAt(result, 'TLS');
    expect(result.message).toMatch(/did not answer like a POP3 server/);
  });

  it('closed port: TCP fails', async () => {
    const result = await testConnection(target({ port: await closedPort() }), allowLoopback);
    expectFailedAt(result, 'TCP');
  });

  it('a metadata address is refused at DNS without a packet sent', async () => {
    const result = await testConnection(target({ host: '169.254.169.254' }), allowLoopback);
    expectFailedAt(result, 'DNS');
  });
});
