// Byte-level framing of POP3 replies (RFC 1939 §3): CRLF-terminated status lines, and
// multi-line blocks ended by a line holding a single "." with every other line that starts
// with "." byte-stuffed. Pure and incremental, so a reply split anywhere across TCP chunks
// parses the same, and a 25 MB RETR costs linear time.

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const TERMINATOR = Buffer.from('\r\n.\r\n', 'latin1');
const LINE_THEN_DOT = Buffer.from('\n.', 'latin1');

export class Pop3FramingError extends Error {
  override readonly name = 'Pop3FramingError';
}

export interface ReaderLimits {
  /** A status line longer than this is not POP3 (RFC 2449 allows 512 octets). */
  maxLineBytes: number;
  /** Upper bound for one multi-line block (a message in RETR, a UIDL listing). */
  maxBlockBytes: number;
}

export const DEFAULT_READER_LIMITS: ReaderLimits = { maxLineBytes: 8 * 1024, maxBlockBytes: 512 * 1024 * 1024 };

export class Pop3Reader {
  private buf = Buffer.alloc(16 * 1024);
  private start = 0;
  private end = 0;
  /** Where the next terminator search starts, so a growing block is scanned once. */
  private scanFrom = 0;

  constructor(private readonly limits: ReaderLimits = DEFAULT_READER_LIMITS) {}

  get buffered(): number {
    return this.end - this.start;
  }

  push(chunk: Buffer): void {
    if (chunk.length > this.buf.length - this.end) this.makeRoom(chunk.length);
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  /** Forgets everything buffered (after STLS: bytes sent before the handshake must not count). */
  clear(): void {
    this.start = this.end = this.scanFrom = 0;
  }

  /** The next status line without its CRLF, or null while it is incomplete. */
  readLine(): string | null {
    const at = this.buf.indexOf(LF, this.start);
    if (at === -1 || at >= this.end) {
      if (this.buffered > this.limits.maxLineBytes) throw new Pop3FramingError('reply line too long');
      return null;
    }
    const lineEnd = at > this.start && this.buf[at - 1] === CR ? at - 1 : at;
    if (lineEnd - this.start > this.limits.maxLineBytes) throw new Pop3FramingError('reply line too long');
    const line = this.buf.toString('latin1', this.start, lineEnd);
    this.consume(at + 1);
    return line;
  }

  /**
   * The body of a multi-line reply (the status line already read), dot-unstuffed, each line
   * still ending in CRLF; or null while the terminating "." line has not arrived.
   */
  readBlock(): Buffer | null {
    const begin = this.start;
    if (this.end - begin >= 3 && this.buf[begin] === DOT && this.buf[begin + 1] === CR && this.buf[begin + 2] === LF) {
      this.consume(begin + 3);
      return Buffer.alloc(0);
    }
    const from = Math.max(begin, this.scanFrom);
    const at = this.buf.subarray(0, this.end).indexOf(TERMINATOR, from);
    if (at === -1) {
      if (this.buffered > this.limits.maxBlockBytes) throw new Pop3FramingError('multi-line reply too large');
      // The terminator may straddle the next chunk: rescan its first bytes then.
      this.scanFrom = Math.max(begin, this.end - (TERMINATOR.length - 1));
      return null;
    }
    const block = unstuff(this.buf.subarray(begin, at + 2));
    this.consume(at + TERMINATOR.length);
    return block;
  }

  private consume(to: number): void {
    this.start = to;
    this.scanFrom = to;
    if (this.start === this.end) this.start = this.end = this.scanFrom = 0;
  }

  private makeRoom(incoming: number): void {
    const used = this.end - this.start;
    const needed = used + incoming;
    if (needed <= this.buf.length && this.start >= this.buf.length / 2) {
      this.buf.copy(this.buf, 0, this.start, this.end);
    } else {
      let size = this.buf.length;
      while (size < needed) size *= 2;
      const next = Buffer.alloc(size);
      this.buf.copy(next, 0, this.start, this.end);
      this.buf = next;
    }
    this.scanFrom = Math.max(0, this.scanFrom - this.start);
    this.start = 0;
    this.end = used;
  }
}

/** Removes the stuffed "." at the start of every line (RFC 1939 §3); a fresh copy. */
export function unstuff(block: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = block[0] === DOT ? 1 : 0;
  for (let at = block.indexOf(LINE_THEN_DOT, from); at !== -1; at = block.indexOf(LINE_THEN_DOT, from)) {
    parts.push(block.subarray(from, at + 1));
    from = at + 2;
  }
  parts.push(block.subarray(from));
  return Buffer.concat(parts);
}
