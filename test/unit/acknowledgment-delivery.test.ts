// The outbound side's pure parts: outgoing server input rules, SMTP failure wording, retry schedule.
import { describe, expect, it } from 'vitest';
import { DnsError, TargetRefusedError } from '../../server/src/mail/address-guard.ts';
import { RETRY_DELAYS_MS, nextAttempt } from '../../server/src/mail/outbound/outbound-worker.ts';
import { defaultSmtpPort, describeSmtpFailure, transportOptions } from '../../server/src/mail/outbound/smtp.ts';
import { resolveOutgoingInput } from '../../server/src/modules/outgoing-servers/outgoing-server.rules.ts';

const base = { name: 'Relay', host: 'smtp.example.com', fromAddress: 'support@example.com', password: 'pw' };
const target = { host: 'smtp.example.com', port: 587, security: 'TLS' as const, authType: 'BASIC' as const };

describe('outgoing server input', () => {
  it('fills the port from the security type', () => {
    expect(defaultSmtpPort('NONE')).toBe(25);
    expect(defaultSmtpPort('SSL')).toBe(465);
    expect(defaultSmtpPort('TLS')).toBe(587);
    const ok = (input: object) => {
      const r = resolveOutgoingInput({ ...base, ...input }, null);
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      return r.value;
    };
    expect(ok({}).port).toBe(587);
    expect(ok({ security: 'SSL' }).port).toBe(465);
    expect(ok({ security: 'NONE' }).port).toBe(25);
    expect(ok({ security: 'SSL', port: 2465 }).port).toBe(2465);
  });

  it('requires a password for Basic auth, keeps the stored one on update, and holds none without auth', () => {
    const missing = resolveOutgoingInput({ ...base, password: undefined }, null);
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.errors).toEqual([{ path: ['password'], message: 'Enter the password for Basic authentication' }]);
    const kept = resolveOutgoingInput({ ...base, password: undefined }, { hasPassword: true });
    expect(kept.ok && kept.value.password).toBe(undefined);
    const none = resolveOutgoingInput({ ...base, authType: 'NONE', username: 'x' }, { hasPassword: true });
    expect(none.ok && { password: none.value.password, username: none.value.username }).toEqual({ password: null, username: null });
  });

  it('reports every invalid field at once', () => {
    const r = resolveOutgoingInput({ name: ' ', host: 'bad host!', port: 70000, fromAddress: 'nope', fromName: 'a\nb', password: 'x' }, null);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path[0]).sort()).toEqual(['fromAddress', 'fromName', 'host', 'name', 'port']);
  });
});

describe('transport options', () => {
  it('maps security to nodemailer and checks the certificate against the entered name', () => {
    const smtp = { ...target, username: 'u', password: 'p', allowSelfSignedCertificate: false };
    expect(transportOptions(smtp, '192.0.2.1', { connectMs: 1, greetingMs: 2, socketMs: 3 })).toMatchObject({
      host: '192.0.2.1', port: 587, secure: false, requireTLS: true, ignoreTLS: false, auth: { user: 'u', pass: 'p' },
      tls: { rejectUnauthorized: true, servername: 'smtp.example.com' },
    });
    expect(transportOptions({ ...smtp, security: 'SSL', allowSelfSignedCertificate: true }, '192.0.2.1', { connectMs: 1, greetingMs: 2, socketMs: 3 }))
      .toMatchObject({ secure: true, requireTLS: false, tls: { rejectUnauthorized: false } });
    expect(transportOptions({ ...smtp, security: 'NONE', authType: 'NONE', host: '192.0.2.1' }, '192.0.2.1', { connectMs: 1, greetingMs: 2, socketMs: 3 }))
      .toMatchObject({ ignoreTLS: true, auth: undefined, tls: { servername: undefined } });
  });
});

describe('SMTP failures in our words', () => {
  const err = (props: object) => Object.assign(new Error('server text that must not be shown'), props);

  it('names the stage and never the server text', () => {
    const cases: [object, string, RegExp][] = [
      [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, 'TCP', /port 587 refused the connection/],
      [{ code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT' }, 'TCP', /no answer/],
      [{ code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' }, 'PROTOCOL', /sent no SMTP greeting/],
      [{ code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'TLS', /self-signed and not trusted/],
      [{ code: 'ETLS', message: 'Error initiating TLS - wrong version number' }, 'TLS', /did not start a TLS handshake/],
      [{ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Authentication credentials invalid' }, 'AUTH', /rejected the username or password \(SMTP 535 5\.7\.8\)/],
      [{ code: 'ECONNECTION' }, 'PROTOCOL', /closed the connection/],
    ];
    for (const [props, stage, message] of cases) {
      const f = describeSmtpFailure(err(props), target);
      expect(f.stage, JSON.stringify(props)).toBe(stage);
      expect(f.message).toMatch(message);
      expect(f.message).not.toMatch(/server text/);
      expect(f.causes.length).toBeGreaterThan(0);
      expect(f.permanent).toBe(false);
    }
    expect(describeSmtpFailure(new TargetRefusedError('h', '169.254.169.254', 'a link-local address'), target).stage).toBe('DNS');
    expect(describeSmtpFailure(new DnsError('nowhere.invalid', 'ENOTFOUND'), target).message).toBe('smtp.example.com could not be found in DNS');
  });

  it('tells a permanent refusal from a temporary one', () => {
    const rcpt = describeSmtpFailure(err({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.1.1 no such user', rejected: ['x@y.example'] }), target);
    expect(rcpt).toMatchObject({ stage: 'SEND', permanent: true });
    expect(rcpt.message).toBe('smtp.example.com port 587 refused the recipient x@y.example (SMTP 550 5.1.1)');
    const greylisted = describeSmtpFailure(err({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 451, response: '451 4.7.1 try later' }), target, { to: ['a@b.example'] });
    expect(greylisted).toMatchObject({ permanent: false });
    expect(greylisted.message).toBe('smtp.example.com port 587 refused for now the recipient a@b.example (SMTP 451 4.7.1)');
    expect(describeSmtpFailure(err({ code: 'EMESSAGE', command: 'DATA', responseCode: 554 }), target).permanent).toBe(true);
    expect(describeSmtpFailure(err({ code: 'EMESSAGE', command: 'DATA', responseCode: 503 }), target).permanent).toBe(false);
  });
});

describe('retry schedule', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it('waits 1 min, 5 min, 30 min, 2 h, 6 h, then gives up', () => {
    const waits = [1, 2, 3, 4, 5].map((n) => {
      const next = nextAttempt(n, false, RETRY_DELAYS_MS, now);
      return next.status === 'PENDING' ? (next.at.getTime() - now.getTime()) / 60_000 : null;
    });
    expect(waits).toEqual([1, 5, 30, 120, 360]);
    expect(nextAttempt(6, false, RETRY_DELAYS_MS, now)).toEqual({ status: 'FAILED' });
    expect(nextAttempt(1, true, RETRY_DELAYS_MS, now)).toEqual({ status: 'FAILED' });
  });
});
