// Test Connection (SPEC §5) against the run's real Dovecot: IMAP on a plain port (STARTTLS
// offered) and an SSL port, both with a self-signed certificate for localhost/127.0.0.1.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { closedPort, expectFailedAt } from '../testkit/connection-test.ts';
import {
  CONNECTION_STAGES, testConnection, type ConnectionTestResult, type ImapTestTarget,
} from '../../server/src/mail/connection-test/connection-test.ts';
import { getDovecot } from '../testkit/env.ts';

const dovecot = getDovecot();
const user = `ct-${randomUUID().slice(0, 8)}`;
const password = `pw-${randomUUID()}`;
const allowLoopback = { allowLoopback: true };

beforeAll(async () => {
  await dovecot.addUser(user, password);
});

function target(over: Partial<ImapTestTarget>): ImapTestTarget {
  return {
    protocol: 'IMAP', host: dovecot.host, port: dovecot.ports.imaps, security: 'SSL',
    allowSelfSignedCertificate: true, username: user, password, ...over,
  };
}

function expectSafeAndTimed(result: ConnectionTestResult) {
  expect(result.stages.map((s) => s.stage)).toEqual(CONNECTION_STAGES);
  expect(typeof result.durationMs).toBe('number');
  expect(result.durationMs).toBeGreaterThanOrEqual(0);
  for (const stage of result.stages) {
    expect(typeof stage.durationMs).toBe('number');
    expect(stage.durationMs).toBeGreaterThanOrEqual(0);
  }
  const text = JSON.stringify(result);
  expect(text).not.toContain(password);
  expect(text).not.toMatch(/dovecot/i);
}

describe('Test Connection against Dovecot', () => {
  it('SSL with the self-signed certificate allowed: every stage ok', async () => {
    const result = await testConnection(target({}), allowLoopback);
    expectSafeAndTimed(result);
    expect(result).toMatchObject({ ok: true, failedStage: null, message: null, causes: [] });
    expect(result.stages.every((s) => s.ok && !s.skipped)).toBe(true);
    expect(result.stages[2]!.message).toMatch(/^TLSv1\.[23], certificate not verified/);
  });

  it('SSL by host name (localhost): ok', async () => {
    const result = await testConnection(target({ host: 'localhost' }), allowLoopback);
    expectSafeAndTimed(result);
    expect(result.ok).toBe(true);
  });

  it('SSL without allowing self-signed: TLS fails naming the certificate', async () => {
    const result = await testConnection(target({ allowSelfSignedCertificate: false }), allowLoopback);
    expectSafeAndTimed(result);
    expectFailedAt(result, 'TLS');
    expect(result.message).toBe("The server's certificate is self-signed and not trusted");
    expect(result.causes[0]).toMatch(/"Allow self-signed certificate"/);
  });

  it('STARTTLS on the plain port: ok', async () => {
    const result = await testConnection(target({ port: dovecot.ports.imap, security: 'TLS' }), allowLoopback);
    expectSafeAndTimed(result);
    expect(result.ok).toBe(true);
    expect(result.stages.every((s) => s.ok && !s.skipped)).toBe(true);
    expect(result.stages[2]!.message).toMatch(/^STARTTLS, TLSv1/);
  });

  it('STARTTLS without allowing self-signed: TLS fails naming the certificate', async () => {
    const result = await testConnection(
      target({ port: dovecot.ports.imap, security: 'TLS', allowSelfSignedCertificate: false }), allowLoopback,
    );
    expectSafeAndTimed(result);
    expectFailedAt(result, 'TLS');
    expect(result.message).toMatch(/certificate is self-signed/);
  });

  it('None on the plain port: ok with TLS skipped', async () => {
    const result = await testConnection(target({ port: dovecot.ports.imap, security: 'NONE' }), allowLoopback);
    expectSafeAndTimed(result);
    expect(result.ok).toBe(true);
    expect(result.stages.map((s) => [s.stage, s.ok, s.skipped])).toEqual([
      ['DNS', true, false], ['TCP', true, false], ['TLS', true, true], ['AUTH', true, false], ['PROTOCOL', true, false],
    ]);
  });

  it('wrong password: AUTH fails', async () => {
    const result = await testConnection(target({ password: `${password}-wrong` }), allowLoopback);
    expectSafeAndTimed(result);
    expect(JSON.stringify(result)).not.toContain(`${password}-wrong`);
    expectFailedAt(result, 'AUTH');
    expect(result.message).toBe('The server rejected the username or password');
    expect(result.causes[0]).toBe('Wrong username or password');
  });

  it('OAuth token: AUTH fails naming OAuth, and the token is never echoed', async () => {
    const accessToken = `tok-${randomUUID()}`;
    const result = await testConnection(target({ password: null, accessToken }), allowLoopback);
    expectSafeAndTimed(result);
    expect(JSON.stringify(result)).not.toContain(accessToken);
    expectFailedAt(result, 'AUTH');
    // Whether this Dovecot offers XOAUTH2 (and rejects the token) or not at all, the wording is about OAuth.
    expect(result.message).toMatch(/OAuth/);
    expect(result.causes[0]).toMatch(/OAuth/);
  });

  it('closed port: TCP fails', async () => {
    const port = await closedPort();
    const result = await testConnection(target({ port }), allowLoopback);
    expectSafeAndTimed(result);
    expectFailedAt(result, 'TCP');
    expect(result.causes[0]).toBe(`Nothing listens on port ${port} at 127.0.0.1 — wrong port, or the service is stopped`);
  });

  it('SSL on the plain port: TLS fails with the wrong-security message', async () => {
    const result = await testConnection(target({ port: dovecot.ports.imap }), allowLoopback);
    expectSafeAndTimed(result);
    expectFailedAt(result, 'TLS');
    expect(result.message).toMatch(/the server did not start a TLS handshake — wrong security type or port\?/i);
  });

  it('STARTTLS on the SSL port: TLS fails, no greeting', async () => {
    const result = await testConnection(target({ security: 'TLS' }), { allowLoopback: true, timeoutMs: 1500 });
    expectSafeAndTimed(result);
    expectFailedAt(result, 'TLS');
    expect(result.message).toBe('The server sent no IMAP greeting — wrong security type or port?');
  });

  it('loopback refused: DNS fails with the guard message', async () => {
    const result = await testConnection(target({}), { allowLoopback: false });
    expectSafeAndTimed(result);
    expectFailedAt(result, 'DNS');
    expect(result.message).toBe('127.0.0.1 is a loopback address (this server itself); mail servers are not allowed there');
  });

  it('leaves no socket open behind it', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sockets = process.getActiveResourcesInfo().filter((r) => /TCP|TLS/.test(r));
    expect(sockets).toEqual([]);
  });
});
