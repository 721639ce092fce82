// Minimal LMTP client (RFC 2033): LHLO, MAIL FROM, RCPT TO, DATA with dot-stuffing and one
// reply per accepted recipient. Hand-written so tests see exact per-recipient status codes.
import net from 'node:net';

export interface LmtpReply {
  code: number;
  text: string;
}

export interface LmtpResult {
  /** Per-recipient final status (RCPT rejection or post-DATA reply). */
  recipients: { rcpt: string; code: number; text: string }[];
}

export class LmtpError extends Error {
  constructor(message: string, readonly result?: LmtpResult) {
    super(message);
  }
}

/** Normalizes to CRLF, dot-stuffs, and terminates with CRLF.CRLF. */
export function encodeData(raw: string | Buffer): Buffer {
  const text = Buffer.isBuffer(raw) ? raw.toString('latin1') : Buffer.from(raw, 'utf8').toString('latin1');
  let body = text.replace(/\r?\n/g, '\r\n').replace(/(^|\r\n)\./g, '$1..');
  if (!body.endsWith('\r\n')) body += '\r\n';
  return Buffer.from(`${body}.\r\n`, 'latin1');
}

export async function lmtpDeliver(opts: {
  host: string;
  port: number;
  from?: string;
  to: string[];
  raw: string | Buffer;
  timeoutMs?: number;
}): Promise<LmtpResult> {
  const sock = net.connect({ host: opts.host, port: opts.port });
  sock.setTimeout(opts.timeoutMs ?? 15_000);
  let buf = '';
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  sock.setEncoding('latin1');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 2);
    }
    wake?.();
  });
  const fail = (err: Error) => {
    failure ??= err;
    wake?.();
  };
  sock.on('error', fail);
  sock.on('timeout', () => fail(new Error('LMTP timeout')));
  sock.on('close', () => fail(new Error('LMTP connection closed')));

  const reply = async (): Promise<LmtpReply> => {
    const text: string[] = [];
    for (;;) {
      while (lines.length === 0) {
        if (failure) throw failure;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
      const line = lines.shift()!;
      text.push(line.slice(4));
      // "250-..." continues a multi-line reply, "250 ..." ends it.
      if (line[3] !== '-') return { code: Number.parseInt(line.slice(0, 3), 10), text: text.join('\n') };
    }
  };
  const command = async (cmd: string): Promise<LmtpReply> => {
    sock.write(`${cmd}\r\n`);
    return reply();
  };
  const expect = (r: LmtpReply, ok: number, what: string) => {
    if (r.code !== ok) throw new LmtpError(`LMTP ${what} failed: ${r.code} ${r.text}`);
  };

  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    expect(await reply(), 220, 'greeting');
    expect(await command('LHLO localhost'), 250, 'LHLO');
    expect(await command(`MAIL FROM:<${opts.from ?? ''}>`), 250, 'MAIL FROM');
    const result: LmtpResult = { recipients: [] };
    const accepted: string[] = [];
    for (const rcpt of opts.to) {
      const r = await command(`RCPT TO:<${rcpt}>`);
      if (r.code === 250) accepted.push(rcpt);
      else result.recipients.push({ rcpt, ...r });
    }
    if (accepted.length > 0) {
      expect(await command('DATA'), 354, 'DATA');
      sock.write(encodeData(opts.raw));
      // LMTP: one reply per accepted recipient, in RCPT order.
      for (const rcpt of accepted) result.recipients.push({ rcpt, ...(await reply()) });
    }
    sock.write('QUIT\r\n');
    return result;
  } finally {
    sock.end();
    sock.destroy();
  }
}
