import { describe, expect, it } from 'vitest';
import { responseCode } from '../../server/src/mail/pop3/pop3-client.ts';
import { classifyPop3Error, Pop3CommandError, Pop3ProtocolError } from '../../server/src/mail/pop3/pop3-errors.ts';
import { Pop3FramingError, Pop3Reader, unstuff } from '../../server/src/mail/pop3/pop3-reader.ts';
import { ProxyError } from '../../server/src/mail/proxy.ts';

const bytes = (s: string) => Buffer.from(s, 'latin1');

/** Feeds `wire` in pieces of `size` bytes and collects one status line and one block. */
function readReply(wire: Buffer, size: number): { line: string | null; block: Buffer | null } {
  const reader = new Pop3Reader();
  let line: string | null = null;
  let block: Buffer | null = null;
  for (let i = 0; i < wire.length; i += size) {
    reader.push(wire.subarray(i, i + size));
    if (line === null) line = reader.readLine();
    if (line !== null && block === null) block = reader.readBlock();
  }
  return { line, block };
}

describe('POP3 reply framing', () => {
  // 8-bit bytes, a stuffed dot line, a line that is only "..", an empty line, a line with a dot inside.
  const message = bytes('Subject: caf\xe9\r\n\r\n.hidden\r\n.\r\n\r\nend. of.\r\n');
  const stuffed = bytes('Subject: caf\xe9\r\n\r\n..hidden\r\n..\r\n\r\nend. of.\r\n');
  const wire = Buffer.concat([bytes('+OK 52 octets\r\n'), stuffed, bytes('.\r\n'), bytes('+OK next\r\n')]);

  it('reads a multi-line reply byte-exact however the TCP stream is cut', () => {
    for (const size of [1, 2, 3, 4, 5, 7, 16, wire.length]) {
      const { line, block } = readReply(wire, size);
      expect(line, `chunk size ${size}`).toBe('+OK 52 octets');
      expect(block?.equals(message), `chunk size ${size}`).toBe(true);
    }
  });

  it('leaves what follows the terminator for the next reply', () => {
    const reader = new Pop3Reader();
    reader.push(wire);
    reader.readLine();
    reader.readBlock();
    expect(reader.readLine()).toBe('+OK next');
    expect(reader.buffered).toBe(0);
  });

  it('an empty listing is just the terminator', () => {
    const reader = new Pop3Reader();
    reader.push(bytes('+OK\r\n.\r\n'));
    expect(reader.readLine()).toBe('+OK');
    expect(reader.readBlock()?.length).toBe(0);
  });

  it('waits for the terminator when a block ends in the middle of it', () => {
    const reader = new Pop3Reader();
    reader.push(bytes('1 a\r\n2 b\r\n.'));
    expect(reader.readBlock()).toBeNull();
    reader.push(bytes('\r'));
    expect(reader.readBlock()).toBeNull();
    reader.push(bytes('\n'));
    expect(reader.readBlock()?.toString()).toBe('1 a\r\n2 b\r\n');
  });

  it('keeps a large message intact across many chunks', () => {
    const line = `${'x'.repeat(75)}\r\n`;
    const body = bytes(line.repeat(40_000));
    const reader = new Pop3Reader();
    for (let i = 0; i < body.length; i += 65_536) {
      reader.push(body.subarray(i, i + 65_536));
      expect(reader.readBlock()).toBeNull();
    }
    reader.push(bytes('.\r\n'));
    expect(reader.readBlock()?.equals(body)).toBe(true);
  });

  it('refuses an endless status line and an oversized block', () => {
    const reader = new Pop3Reader({ maxLineBytes: 16, maxBlockBytes: 32 });
    reader.push(bytes('+OK '.padEnd(40, 'x')));
    expect(() => reader.readLine()).toThrow(Pop3FramingError);
    const blockReader = new Pop3Reader({ maxLineBytes: 16, maxBlockBytes: 32 });
    blockReader.push(bytes('y'.repeat(40)));
    expect(() => blockReader.readBlock()).toThrow(Pop3FramingError);
  });

  it('unstuffs only dots at the start of a line', () => {
    expect(unstuff(bytes('..a\r\nb..c\r\n...\r\n')).toString()).toBe('.a\r\nb..c\r\n..\r\n');
  });
});

describe('POP3 error wording', () => {
  it('takes only the RFC 2449 response code from an -ERR line', () => {
    expect(responseCode('-ERR [IN-USE] Mailbox locked by user bob on mail.internal')).toBe('IN-USE');
    expect(responseCode('-ERR [SYS/TEMP] try later')).toBe('SYS/TEMP');
    expect(responseCode('-ERR Authentication failed.')).toBeNull();
  });

  it('maps failures to connection states without echoing the server', () => {
    expect(classifyPop3Error(new Pop3CommandError('PASS', null))).toMatchObject({ kind: 'AUTH' });
    expect(classifyPop3Error(new Pop3CommandError('PASS', 'AUTH'))).toMatchObject({ kind: 'AUTH' });
    expect(classifyPop3Error(new Pop3CommandError('PASS', 'IN-USE'))).toMatchObject({ kind: 'PROTOCOL', message: expect.stringMatching(/another POP3 client \(or Mailroom's own poller\) holds it/) });
    expect(classifyPop3Error(new Pop3CommandError('PASS', 'LOGIN-DELAY'))).toMatchObject({ kind: 'THROTTLED', retryAfterMs: 300_000 });
    expect(classifyPop3Error(new Pop3CommandError('STLS', null)).kind).toBe('TLS');
    expect(classifyPop3Error(new Pop3ProtocolError('x', 'NO_GREETING')).message).toMatch(/security type/);
    expect(classifyPop3Error(Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })).kind).toBe('TLS');
    expect(classifyPop3Error(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).kind).toBe('NETWORK');
    expect(classifyPop3Error(new ProxyError('Office proxy', 'connection refused by the proxy', 'ECONNREFUSED')))
      .toMatchObject({ kind: 'NETWORK', message: 'Could not connect through the proxy "Office proxy": connection refused by the proxy' });
  });
});
