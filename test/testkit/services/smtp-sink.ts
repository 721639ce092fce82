// An SMTP server for tests (nodemailer's smtp-server): records what it receives, and can be told to
// require a login, to speak TLS from the first byte or via STARTTLS, to answer 4xx a number of
// times (retries), or to refuse recipients with 5xx (permanent failures).
//
//   const sink = await startSmtpSink({ auth: { user: 'relay', pass: 'secret' } });
//   sink.failNext(2);                        // the next two messages get 451
//   const [mail] = await sink.waitFor(1);    // envelope, raw, parsed (mailparser)
//   await sink.close();
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { generateSelfSignedCert } from './tls.ts';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
  /** The user that authenticated, if any. */
  user: string | null;
  secure: boolean;
}

export interface SmtpSinkOptions {
  auth?: { user: string; pass: string };
  /** 'SSL': TLS from the first byte; 'STARTTLS': plain with STARTTLS offered; 'NONE': plain, STARTTLS hidden. */
  security?: 'SSL' | 'STARTTLS' | 'NONE';
}

export interface SmtpSink {
  host: string;
  port: number;
  received: ReceivedMail[];
  /** Answer the next `n` messages (at DATA) with a temporary failure. */
  failNext(n: number, code?: number): void;
  /** Refuse these recipients with 550 5.1.1. */
  rejectRecipient(address: string): void;
  /** Resolves once at least `n` messages arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Connection attempts that reached the server, including failed ones. */
  attempts: number;
  close(): Promise<void>;
}

export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const security = opts.security ?? 'NONE';
  let tlsDir: string | null = null;
  let tlsOptions: Partial<SMTPServerOptions> = {};
  if (security !== 'NONE') {
    tlsDir = await mkdtemp(path.join(tmpdir(), 'mr-smtp-'));
    const { certPath, keyPath } = await generateSelfSignedCert(tlsDir);
    tlsOptions = { key: await readFile(keyPath), cert: await readFile(certPath) };
  }
  const received: ReceivedMail[] = [];
  const rejected = new Set<string>();
  let failures: { left: number; code: number } = { left: 0, code: 451 };
  const waiters: { n: number; resolve: () => void }[] = [];
  const sink = { attempts: 0 };

  const server = new SMTPServer({
    ...tlsOptions,
    secure: security === 'SSL',
    hideSTARTTLS: security === 'NONE',
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    disabledCommands: opts.auth ? [] : ['AUTH'],
    logger: false,
    onConnect(_session, callback) {
      sink.attempts++;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return callback(null, { user: auth.username });
      const err = Object.assign(new Error('Invalid username or password'), { responseCode: 535 });
      callback(err);
    },
    onRcptTo(address, _session, callback) {
      if (rejected.has(address.address.toLowerCase())) {
        return callback(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failures.left > 0) {
          failures.left--;
          return callback(Object.assign(new Error('4.3.0 Try again later'), { responseCode: failures.code }));
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then((parsed) => {
          received.push({
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
            },
            raw,
            parsed,
            user: (session.user as string | undefined) ?? null,
            secure: session.secure,
          });
          for (const w of [...waiters]) {
            if (received.length >= w.n) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve();
            }
          }
          callback();
        }, (err: Error) => callback(err));
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.listen(0, '127.0.0.1', () => resolve());
    server.server.once('error', reject);
  });
  const { port } = server.server.address() as { port: number };

  return {
    host: '127.0.0.1',
    port,
    received,
    get attempts() {
      return sink.attempts;
    },
    failNext(n, code = 451) {
      failures = { left: n, code };
    },
    rejectRecipient(address) {
      rejected.add(address.toLowerCase());
    },
    async waitFor(n, timeoutMs = 10_000) {
      if (received.length >= n) return received;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`smtp sink: ${received.length} of ${n} messages after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: () => { clearTimeout(timer); resolve(); } });
      });
      return received;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (tlsDir) await rm(tlsDir, { recursive: true, force: true });
    },
  };
}
