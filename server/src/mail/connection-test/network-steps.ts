// Protocol-independent probe steps (DNS, TCP) and the socket helpers protocol steps share.
import net from 'node:net';
import tls from 'node:tls';
import { hostWithoutBrackets, resolveTarget, type ResolvedAddress } from '../address-guard.js';
import { connectViaProxy, ProxyError, type ProxyConfig } from '../proxy.js';
import { type ProbeContext, type ProbeStep, Deadline, OpenResources, StageFailure } from './probe-runner.js';
import { proxyConnectFailure, proxyDnsFailure } from './proxy-diagnosis.js';

// Servers greet at once. A greeting that has not come within most of the budget is reported as
// "no greeting" (e.g. STARTTLS or None chosen on an SSL port) rather than as a generic timeout.
const GREETING_WAIT_MS = 5000;
const GREETING_SHARE_OF_BUDGET = 0.8;

export function greetingWaitMs(deadline: Deadline): number {
  return Math.max(1, Math.round(Math.min(GREETING_WAIT_MS, deadline.remainingMs() * GREETING_SHARE_OF_BUDGET)));
}

/** The shared part of every socket-based probe's context, before DNS runs. */
export function networkContext(target: { host: string; port: number; proxy?: ProxyConfig | null }, opts: { timeoutMs: number; allowLoopback: boolean }): NetworkContext {
  return {
    deadline: new Deadline(opts.timeoutMs),
    resources: new OpenResources(),
    host: hostWithoutBrackets(target.host),
    port: target.port,
    allowLoopback: opts.allowLoopback,
    addresses: [],
    address: null,
    socket: null,
    proxy: target.proxy ?? null,
  };
}

export interface NetworkContext extends ProbeContext {
  host: string;
  port: number;
  allowLoopback: boolean;
  addresses: ResolvedAddress[];
  /** The address TCP reached; later stages connect here again and never re-resolve. */
  address: string | null;
  /** Open after TCP; the TLS step takes it over. */
  socket: net.Socket | null;
  /** The server's proxy, as configured; TCP then connects through it. */
  proxy?: ProxyConfig | null;
  /** The proxy with its address vetted by the DNS step; later steps connect to this one. */
  proxyRoute?: ProxyConfig | null;
}

export const dnsStep: ProbeStep<NetworkContext> = {
  stage: 'DNS',
  async run(ctx) {
    ctx.addresses = await resolveTarget(ctx.host, { allowLoopback: ctx.allowLoopback });
    const note = ctx.addresses.map((a) => a.address).join(', ');
    const proxy = ctx.proxy;
    if (!proxy) return { note };
    // The proxy host passes the same guard: a proxy at the metadata address is the same probe.
    const proxyAddresses = await resolveTarget(proxy.host, { allowLoopback: ctx.allowLoopback }).catch((err: unknown) => {
      throw proxyDnsFailure(proxy, err);
    });
    ctx.proxyRoute = { ...proxy, host: proxyAddresses[0]!.address };
    return { note: `${note}; proxy "${proxy.name}": ${ctx.proxyRoute.host}` };
  },
};

// Errors that come back at once, so trying the next address costs nothing (e.g. "localhost"
// resolving to ::1 first while the server only listens on 127.0.0.1).
const TRY_NEXT_ADDRESS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT']);

export const tcpStep: ProbeStep<NetworkContext> = {
  stage: 'TCP',
  async run(ctx) {
    if (ctx.proxyRoute) return tcpThroughProxy(ctx, ctx.proxyRoute);
    const errors: NodeJS.ErrnoException[] = [];
    for (const { address, family } of ctx.addresses) {
      try {
        ctx.socket = await connectTcp(address, family, ctx.port, ctx.resources);
        ctx.address = address;
        return { note: `${formatAddress(address)}:${ctx.port}` };
      } catch (err) {
        const error = err as NodeJS.ErrnoException;
        errors.push(error);
        if (!TRY_NEXT_ADDRESS.has(error.code ?? '')) throw error;
      }
    }
    throw errors.find((e) => e.code === 'ECONNREFUSED') ?? errors[0] ?? new StageFailure('UNREACHABLE');
  },
};

async function tcpThroughProxy(ctx: NetworkContext, proxy: ProxyConfig): Promise<{ note: string }> {
  const shown = (ctx.proxy ?? proxy).host;
  let failure: ProxyError | null = null;
  for (const { address } of ctx.addresses) {
    const target = { host: address, port: ctx.port };
    try {
      const socket = await connectViaProxy(proxy, target, ctx.deadline.remainingMs());
      socket.on('error', () => undefined);
      ctx.resources.add(() => socket.destroy());
      ctx.socket = socket;
      ctx.address = address;
      return { note: `${formatAddress(address)}:${ctx.port} through proxy "${proxy.name}" (${shown}:${proxy.port})` };
    } catch (err) {
      if (!(err instanceof ProxyError)) throw err;
      failure = err;
      // The proxy itself failing won't change with another mail server address.
      if (['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'PROXY_AUTH', 'HTTP_407'].includes(err.code ?? '')) break;
    }
  }
  if (!failure) throw new StageFailure('UNREACHABLE');
  throw proxyConnectFailure({ ...proxy, host: shown }, ctx.host, { host: ctx.address ?? ctx.host, port: ctx.port }, failure);
}

function connectTcp(address: string, family: 4 | 6, port: number, resources: OpenResources): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port, family });
    // A later reset must not become an uncaught 'error'; readers watch 'close' instead.
    socket.on('error', () => undefined);
    const forget = resources.add(() => socket.destroy());
    socket.once('connect', () => {
      socket.off('error', onConnectError);
      resolve(socket);
    });
    const onConnectError = (err: Error) => {
      forget();
      socket.destroy();
      reject(err);
    };
    socket.once('error', onConnectError);
  });
}

/**
 * The TLS stage on the probe socket, for protocols whose AUTH stage opens a connection of its
 * own (IMAP with ImapFlow, SMTP with nodemailer): None is skipped, SSL is a handshake from the
 * first byte, STARTTLS is `startTls` on the plain socket and then the handshake. The probe socket
 * has served its purpose once the stage is decided, and is closed.
 */
export function throwAwayTlsStep<C extends NetworkContext & { target: { security: 'NONE' | 'SSL' | 'TLS'; allowSelfSignedCertificate: boolean } }>(
  startTls: (ctx: C, socket: net.Socket) => Promise<void>,
  handshakeFailure: (ctx: C, err: unknown) => never,
): ProbeStep<C> {
  return {
    stage: 'TLS',
    async run(ctx) {
      const plain = ctx.socket;
      ctx.socket = null;
      if (!plain) throw new StageFailure('UNKNOWN');
      const handshake = () =>
        upgradeToTls(plain, { host: ctx.host, rejectUnauthorized: !ctx.target.allowSelfSignedCertificate }, ctx.resources).catch((err: unknown) => handshakeFailure(ctx, err));
      try {
        switch (ctx.target.security) {
          case 'NONE':
            plain.end();
            return { skipped: true, note: 'Security type None: the connection is not encrypted' };
          case 'SSL': {
            const upgraded = await handshake();
            upgraded.socket.end();
            return { note: upgraded.note };
          }
          case 'TLS': {
            await startTls(ctx, plain);
            const upgraded = await handshake();
            upgraded.socket.end();
            return { note: `STARTTLS, ${upgraded.note}` };
          }
        }
      } catch (err) {
        plain.destroy();
        throw err;
      }
    },
  };
}

export interface TlsUpgradeOptions {
  /** The name the admin entered: checked against the certificate and sent as SNI. */
  host: string;
  rejectUnauthorized: boolean;
}

export interface TlsUpgrade {
  socket: tls.TLSSocket;
  /** Ours, e.g. "TLSv1.3, certificate not verified (allowed by settings)". */
  note: string;
}

/** TLS handshake over an already connected socket (implicit SSL, or after STARTTLS). */
export function upgradeToTls(plain: net.Socket, opts: TlsUpgradeOptions, resources: OpenResources): Promise<TlsUpgrade> {
  return new Promise((resolve, reject) => {
    const host = hostWithoutBrackets(opts.host);
    const secure = tls.connect({
      socket: plain,
      host,
      // SNI must be a name; an IP literal is checked against the certificate's IP SANs via `host`.
      servername: net.isIP(host) ? undefined : host,
      rejectUnauthorized: opts.rejectUnauthorized,
    });
    secure.on('error', () => undefined);
    const forget = resources.add(() => secure.destroy());
    const fail = (err: Error) => {
      secure.off('close', onClose);
      forget();
      secure.destroy();
      reject(err);
    };
    const onClose = () => fail(Object.assign(new Error('closed during handshake'), { code: 'ECONNRESET' }));
    secure.once('error', fail);
    secure.once('close', onClose);
    secure.once('secureConnect', () => {
      secure.off('error', fail);
      secure.off('close', onClose);
      const version = secure.getProtocol() ?? 'TLS';
      const note = secure.authorized ? version : `${version}, certificate not verified (allowed by settings)`;
      resolve({ socket: secure, note });
    });
  });
}

const MAX_LINE_BYTES = 8 * 1024;

/**
 * Reads CRLF-terminated lines from a plain socket for a short pre-TLS dialogue. Bounded, so
 * a hostile server cannot make us buffer without limit.
 */
export class LineReader {
  private buffer = '';
  private readonly lines: string[] = [];
  private waiting: { resolve: (line: string) => void; reject: (err: Error) => void } | null = null;
  private ended: Error | null = null;

  constructor(private readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
  }

  /** The next line without its CRLF; rejects with `idleCode` if none arrives within `ms`. */
  next(ms: number, idleCode: ConstructorParameters<typeof StageFailure>[0]): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new StageFailure(idleCode));
      }, ms);
      this.waiting = {
        resolve: (line) => { clearTimeout(timer); resolve(line); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
    });
  }

  /** Stops reading; anything the server sent beyond what we asked for is dropped (STARTTLS injection). */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onClose);
    this.buffer = '';
    this.lines.length = 0;
  }

  private readonly onData = (chunk: string) => {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\r\n')) >= 0) {
      this.push(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 2);
    }
    if (this.buffer.length > MAX_LINE_BYTES) this.finish(new StageFailure('UNEXPECTED_GREETING'));
  };

  private readonly onClose = () => this.finish(Object.assign(new Error('closed'), { code: 'ECONNRESET' }));

  private push(line: string): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting.resolve(line);
    else this.lines.push(line);
  }

  private finish(err: Error): void {
    this.ended ??= err;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(err);
  }
}

export function formatAddress(address: string): string {
  return net.isIPv6(address) ? `[${address}]` : address;
}
