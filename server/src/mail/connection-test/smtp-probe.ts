// SMTP's TLS and AUTH steps, so an outgoing server's test shows the same stages as a mailbox's:
// DNS → TCP → TLS → AUTH. nodemailer's SMTPConnection does greeting, EHLO, STARTTLS and TLS in
// one connect(), which would leave a failure without its stage; like the IMAP probe, TLS is
// therefore probed on our own throw-away socket (implicit TLS, or STARTTLS after the greeting),
// and AUTH signs in with SMTPConnection on a fresh connection to the same vetted address.
import net from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { describeSmtpFailure, type SmtpTarget } from '../outbound/smtp.js';
import { dnsStep, greetingWaitMs, LineReader, networkContext, tcpStep, throwAwayTlsStep, type NetworkContext } from './network-steps.js';
import { StageFailure, runProbe, type Probe, type ProbeStep, type ProgressListener } from './probe-runner.js';
import type { ConnectionTestResult } from './types.js';

export interface SmtpContext extends NetworkContext {
  target: SmtpTarget;
}

/** Our EHLO name on the probe socket; nothing about this host is worth telling a stranger. */
const EHLO_NAME = 'localhost';
const MAX_REPLY_LINES = 100;

export function testSmtpConnection(
  target: SmtpTarget,
  opts: { timeoutMs: number; allowLoopback: boolean; onProgress?: ProgressListener },
): Promise<ConnectionTestResult> {
  const context: SmtpContext = { ...networkContext(target, opts), target };
  const probe: Probe<SmtpContext> = {
    protocol: 'SMTP',
    context,
    steps: [dnsStep, tcpStep, smtpTlsStep, smtpAuthStep],
    facts: { host: context.host, port: target.port, authMethod: 'PASSWORD' },
  };
  return runProbe(probe, opts.onProgress);
}

const smtpTlsStep = throwAwayTlsStep<SmtpContext>(negotiateStartTls, (ctx, err) => {
  const failure = describeSmtpFailure(err, ctx.target);
  throw new StageFailure('TLS_HANDSHAKE', { message: failure.message, causes: failure.causes });
});

/** One SMTP reply: its lines until the one whose code is followed by a space (or nothing). */
async function readReply(reader: LineReader, ms: number): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  for (let i = 0; i < MAX_REPLY_LINES; i++) {
    const line = await reader.next(ms, 'NO_GREETING');
    lines.push(line);
    const m = /^(\d{3})([ -]|$)/.exec(line);
    if (!m) throw new StageFailure('UNEXPECTED_GREETING');
    if (m[2] !== '-') return { code: Number(m[1]), lines };
  }
  throw new StageFailure('UNEXPECTED_GREETING');
}

async function negotiateStartTls(ctx: SmtpContext, socket: net.Socket): Promise<void> {
  const reader = new LineReader(socket);
  const where = `${ctx.host}:${ctx.port}`;
  try {
    const greeting = await readReply(reader, greetingWaitMs(ctx.deadline)).catch((err: unknown) => {
      if (err instanceof StageFailure && err.code === 'NO_GREETING') {
        throw new StageFailure('NO_GREETING', {
          message: `${where} accepted the connection but did not greet us as an SMTP server`,
          causes: ['The port expects SSL from the first byte (usually port 465): choose SSL', 'It is not an SMTP port'],
        });
      }
      throw err;
    });
    if (greeting.code !== 220) throw new StageFailure('SERVER_UNAVAILABLE', { message: `${where} refused the session (SMTP ${greeting.code})`, causes: ['The server is busy or does not accept connections from this network'] });
    socket.write(`EHLO ${EHLO_NAME}\r\n`);
    const ehlo = await readReply(reader, ctx.deadline.remainingMs());
    if (ehlo.code !== 250 || !ehlo.lines.some((l) => /^250[ -]STARTTLS\b/i.test(l))) throw noStartTls(where);
    socket.write('STARTTLS\r\n');
    const ready = await readReply(reader, ctx.deadline.remainingMs());
    if (ready.code !== 220) throw noStartTls(where);
  } finally {
    reader.detach();
  }
}

function noStartTls(where: string): StageFailure {
  return new StageFailure('STARTTLS_UNSUPPORTED', {
    message: `${where} does not offer STARTTLS`,
    causes: ['Choose SSL if the port expects TLS right away (465), or None if the server has no encryption'],
  });
}

const smtpAuthStep: ProbeStep<SmtpContext> = {
  stage: 'AUTH',
  async run(ctx) {
    const { target } = ctx;
    if (!ctx.address) throw new StageFailure('UNKNOWN');
    if (target.authType === 'BASIC' && !target.password) {
      throw new StageFailure('NO_CREDENTIALS', { message: 'No password is saved for this outgoing server', causes: ['Enter the password (or app password), or choose auth type None for a relay that needs none'] });
    }
    const remaining = Math.max(1, Math.round(ctx.deadline.remainingMs()));
    const name = target.host.trim().replace(/^\[(.*)\]$/, '$1');
    const connection = new SMTPConnection({
      // The address TCP reached, never the name again (the address guard vetted this one).
      host: ctx.address,
      port: target.port,
      secure: target.security === 'SSL',
      requireTLS: target.security === 'TLS',
      ignoreTLS: target.security === 'NONE',
      name: EHLO_NAME,
      tls: { rejectUnauthorized: !target.allowSelfSignedCertificate, servername: net.isIP(name) ? undefined : name, minVersion: 'TLSv1.2' },
      connectionTimeout: remaining,
      greetingTimeout: greetingWaitMs(ctx.deadline),
      socketTimeout: remaining,
      logger: false,
    });
    connection.on('error', () => undefined);
    ctx.resources.add(() => connection.close());
    try {
      await new Promise<void>((resolve, reject) => connection.connect((err) => (err ? reject(err) : resolve())));
      if (target.authType === 'NONE') {
        connection.quit();
        return { skipped: true, note: 'Auth type None: no sign-in; the server answered as SMTP' };
      }
      await new Promise<void>((resolve, reject) =>
        connection.login({ user: target.username ?? '', pass: target.password ?? '' }, (err) => (err ? reject(err) : resolve())));
      connection.quit();
      return {};
    } catch (err) {
      const failure = describeSmtpFailure(err, target, { timeoutMs: ctx.deadline.budgetMs });
      throw new StageFailure('AUTH_REJECTED', { message: failure.message, causes: failure.causes });
    }
  },
};
