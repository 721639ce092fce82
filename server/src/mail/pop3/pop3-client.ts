// A small POP3 client (RFC 1939, CAPA and response codes from RFC 2449/3206, STLS from RFC 2595).
// Written here rather than taken from node-pop3 because that library dials its own socket (no
// proxy tunnel, no pre-vetted address), has no STLS, does not dot-unstuff, and frames replies
// per TCP chunk, so a reply split across chunks is misread.
//
// One command at a time; every reply is read by Pop3Reader. Errors carry our own wording and
// the command name only: the server's text never leaves this file (servers put banners, host
// names and sometimes the submitted user name there).
import net from 'node:net';
import tls from 'node:tls';
import { Pop3CommandError, Pop3ProtocolError } from './pop3-errors.js';
import { parseList, parseUidl, type UidlEntry } from './pop3-listings.js';
import { Pop3Reader } from './pop3-reader.js';

export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** A socket-level failure with a Node-style code (ETIMEDOUT, ECONNRESET) for classification. */
function socketError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}


type Pending =
  | { kind: 'line'; resolve: (line: string) => void; reject: (err: Error) => void }
  | { kind: 'block'; resolve: (block: Buffer) => void; reject: (err: Error) => void };

export interface Pop3SessionOptions {
  /** An idle socket (no byte from the server) fails the pending command after this long. */
  commandTimeoutMs?: number;
}

/**
 * A POP3 dialogue over a connected socket (plain, TLS, or a proxy tunnel). The caller owns
 * connecting; the session owns the socket from then on and destroys it on any failure.
 */
export class Pop3Session {
  private socket: net.Socket;
  private readonly reader = new Pop3Reader();
  private pending: Pending | null = null;
  private failure: Error | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly commandTimeoutMs: number;

  constructor(socket: net.Socket, opts: Pop3SessionOptions = {}) {
    this.commandTimeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.socket = socket;
    this.attach(socket);
  }

  get secure(): boolean {
    return this.socket instanceof tls.TLSSocket;
  }

  /** Reads the greeting; rejects unless it is +OK. */
  async greeting(timeoutMs = this.commandTimeoutMs): Promise<void> {
    const line = await this.enqueue(() => this.nextLine(timeoutMs, 'NO_GREETING'));
    if (line.startsWith('+OK')) return;
    if (line.startsWith('-ERR')) throw new Pop3ProtocolError('the POP3 server is not accepting sessions right now', 'SERVER_UNAVAILABLE');
    const first = line.charCodeAt(0);
    // A TLS record (handshake 0x16, alert 0x15) where text was expected: an SSL-only port.
    if (first === 0x15 || first === 0x16) throw new Pop3ProtocolError('the server expects TLS from the first byte', 'NO_GREETING');
    throw new Pop3ProtocolError('the server did not greet like a POP3 server', 'UNEXPECTED_GREETING');
  }

  /** CAPA; an empty list when the server does not know the command (RFC 1939-only servers). */
  async capabilities(): Promise<string[]> {
    try {
      const block = await this.multi('CAPA');
      return block.toString('latin1').split('\r\n').map((l) => l.trim().toUpperCase()).filter(Boolean);
    } catch (err) {
      if (err instanceof Pop3CommandError) return [];
      throw err;
    }
  }

  /**
   * STLS, then a TLS handshake over the same socket via `upgrade`. Anything the server sent
   * after its +OK is dropped (a man in the middle could inject replies in clear text).
   */
  async startTls(upgrade: (plain: net.Socket) => Promise<tls.TLSSocket>): Promise<void> {
    await this.single('STLS');
    await this.enqueue(async () => {
      const plain = this.socket;
      this.detach(plain);
      this.reader.clear();
      let secure: tls.TLSSocket;
      try {
        secure = await upgrade(plain);
      } catch (err) {
        this.fail(err as Error);
        throw err;
      }
      this.socket = secure;
      this.attach(secure);
    });
  }

  /** USER/PASS. A line break in either would smuggle a second command, so it is refused here. */
  async login(user: string, password: string): Promise<void> {
    if (/[\r\n]/.test(user) || /[\r\n]/.test(password)) throw new Pop3CommandError('USER', 'AUTH');
    await this.single(`USER ${user}`, 'USER');
    await this.single(`PASS ${password}`, 'PASS');
  }

  async stat(): Promise<{ count: number; size: number }> {
    const line = await this.single('STAT');
    const m = /^\+OK\s+(\d+)\s+(\d+)/.exec(line);
    if (!m) throw new Pop3ProtocolError('malformed STAT reply', 'BAD_REPLY');
    return { count: Number(m[1]), size: Number(m[2]) };
  }

  async uidl(): Promise<UidlEntry[]> {
    try {
      return parseUidl(await this.multi('UIDL'));
    } catch (err) {
      if (err instanceof Pop3CommandError) throw new Pop3ProtocolError('the POP3 server does not support UIDL', 'UIDL_UNSUPPORTED');
      throw err;
    }
  }

  /** LIST: each message's size in octets as the server counts them (RFC 1939 §5). */
  async list(): Promise<Map<number, number>> {
    return parseList(await this.multi('LIST'));
  }

  /** TOP n 0: the message's header section only; null when the server has no TOP (it is optional). */
  async top(n: number): Promise<Buffer | null> {
    try {
      return await this.multi(`TOP ${n} 0`, 'TOP');
    } catch (err) {
      if (err instanceof Pop3CommandError) return null;
      throw err;
    }
  }

  /** The message exactly as stored, CRLF line ends, byte-stuffing removed. */
  retr(n: number): Promise<Buffer> {
    return this.multi(`RETR ${n}`, 'RETR');
  }

  async dele(n: number): Promise<void> {
    await this.single(`DELE ${n}`, 'DELE');
  }

  /** Ends the session; only a +OK to QUIT means the deletions were applied (RFC 1939 §6). */
  async quit(): Promise<void> {
    try {
      await this.single('QUIT');
    } finally {
      this.destroy();
    }
  }

  destroy(): void {
    this.fail(socketError('session closed', 'ECONNRESET'));
  }

  private single(line: string, name = line.split(' ')[0]!): Promise<string> {
    return this.enqueue(async () => {
      this.write(line);
      const reply = await this.nextLine(this.commandTimeoutMs, 'TIMEOUT');
      return expectOk(reply, name);
    });
  }

  private multi(line: string, name = line.split(' ')[0]!): Promise<Buffer> {
    return this.enqueue(async () => {
      this.write(line);
      expectOk(await this.nextLine(this.commandTimeoutMs, 'TIMEOUT'), name);
      return this.nextBlock();
    });
  }

  /** Commands run strictly one after another. */
  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(() => {
      if (this.failure) throw this.failure;
      return work();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** UTF-8: servers compare the password's UTF-8 bytes (a Latin-1 write mangles anything beyond U+00FF, such as €). */
  private write(line: string): void {
    this.socket.write(`${line}\r\n`, 'utf8');
  }

  private nextLine(timeoutMs: number, idle: 'NO_GREETING' | 'TIMEOUT'): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = idle === 'NO_GREETING'
          ? new Pop3ProtocolError('no greeting from the server', 'NO_GREETING')
          : socketError('the POP3 server did not answer in time', 'ETIMEDOUT');
        this.fail(err);
      }, timeoutMs);
      this.pending = {
        kind: 'line',
        resolve: (line) => { clearTimeout(timer); resolve(line); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
      this.pump();
    });
  }

  private nextBlock(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      // Idle timeout, not a total one: a large message keeps the socket busy and the timer fresh.
      const onIdle = () => this.fail(socketError('the POP3 server stopped sending', 'ETIMEDOUT'));
      let timer = setTimeout(onIdle, this.commandTimeoutMs);
      const onData = () => {
        clearTimeout(timer);
        timer = setTimeout(onIdle, this.commandTimeoutMs);
      };
      this.socket.on('data', onData);
      const done = () => {
        clearTimeout(timer);
        this.socket.off('data', onData);
      };
      this.pending = {
        kind: 'block',
        resolve: (block) => { done(); resolve(block); },
        reject: (err) => { done(); reject(err); },
      };
      this.pump();
    });
  }

  private readonly onData = (chunk: Buffer) => {
    this.reader.push(chunk);
    this.pump();
  };

  private readonly onError = (err: Error) => this.fail(err);

  private readonly onEnd = () => this.fail(socketError('the POP3 server closed the connection', 'ECONNRESET'));

  private pump(): void {
    const pending = this.pending;
    if (!pending) return;
    try {
      if (pending.kind === 'line') {
        const line = this.reader.readLine();
        if (line === null) return;
        this.pending = null;
        pending.resolve(line);
      } else {
        const block = this.reader.readBlock();
        if (block === null) return;
        this.pending = null;
        pending.resolve(block);
      }
    } catch {
      this.fail(new Pop3ProtocolError('malformed reply from the POP3 server', 'BAD_REPLY'));
    }
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onEnd);
    socket.on('end', this.onEnd);
  }

  private detach(socket: net.Socket): void {
    socket.off('data', this.onData);
    socket.off('close', this.onEnd);
    socket.off('end', this.onEnd);
    // Keep a listener: an error on a socket nobody listens to would crash the process.
    socket.off('error', this.onError);
    socket.on('error', () => undefined);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(err);
    this.socket.on('error', () => undefined);
    this.socket.destroy();
  }
}

function expectOk(reply: string, command: string): string {
  if (reply.startsWith('+OK')) return reply;
  if (reply.startsWith('-ERR')) throw new Pop3CommandError(command, responseCode(reply));
  throw new Pop3ProtocolError('malformed reply from the POP3 server', 'BAD_REPLY');
}

/** "-ERR [SYS/TEMP] ..." → "SYS/TEMP" (RFC 2449 §8); only the bracketed code, never the text. */
export function responseCode(reply: string): string | null {
  const m = /^-ERR \[([A-Z0-9/-]{1,40})\]/i.exec(reply);
  return m ? m[1]!.toUpperCase() : null;
}
