// IMAP's TLS, AUTH and PROTOCOL steps. TCP and TLS are probed on a throw-away socket of our
// own so each can fail with its own stage; AUTH then signs in with ImapFlow on a fresh
// connection to the same address, and PROTOCOL opens INBOX read-only (EXAMINE).
import net from 'node:net';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { routeProxyUrl } from '../mail-route.js';
import { failureCode, type FailureCode } from './diagnosis.js';
import { dnsStep, greetingWaitMs, networkContext, LineReader, tcpStep, throwAwayTlsStep, type NetworkContext } from './network-steps.js';
import { Deadline, StageFailure, type Probe, type ProbeStep } from './probe-runner.js';
import type { ConnectionTestOptions, ImapTestTarget } from './types.js';

const MAX_UNTAGGED_BEFORE_STARTTLS_REPLY = 20;

export interface ImapContext extends NetworkContext {
  target: ImapTestTarget;
  client: ImapFlow | null;
}

export function imapProbe(target: ImapTestTarget, opts: Required<ConnectionTestOptions>): Probe<ImapContext> {
  const context: ImapContext = { ...networkContext(target, opts), target, client: null };
  return {
    protocol: 'IMAP',
    context,
    steps: [dnsStep, tcpStep, imapTlsStep, imapAuthStep, imapInboxStep],
    facts: { host: context.host, port: target.port, authMethod: target.authMethod ?? (target.accessToken ? 'OAUTH' : 'PASSWORD') },
    async farewell(ctx) {
      await ctx.client?.logout();
    },
  };
}

const imapTlsStep = throwAwayTlsStep<ImapContext>((ctx, socket) => negotiateStartTls(socket, ctx.deadline), (_ctx, err) => {
  throw new StageFailure(failureCode(err));
});

async function negotiateStartTls(socket: net.Socket, deadline: Deadline): Promise<void> {
  const reader = new LineReader(socket);
  try {
    const greeting = await reader.next(greetingWaitMs(deadline), 'NO_GREETING');
    if (/^\* PREAUTH\b/i.test(greeting)) throw new StageFailure('STARTTLS_UNSUPPORTED');
    if (/^\* BYE\b/i.test(greeting)) throw new StageFailure('SERVER_UNAVAILABLE');
    if (!/^\* OK\b/i.test(greeting)) throw new StageFailure(looksLikeTls(greeting) ? 'NO_GREETING' : 'UNEXPECTED_GREETING');
    socket.write('A1 STARTTLS\r\n');
    for (let i = 0; i <= MAX_UNTAGGED_BEFORE_STARTTLS_REPLY; i++) {
      const line = await reader.next(deadline.remainingMs(), 'TIMEOUT');
      if (line.startsWith('* ')) continue;
      if (/^A1 OK\b/i.test(line)) return;
      throw new StageFailure(/^A1 (NO|BAD)\b/i.test(line) ? 'STARTTLS_UNSUPPORTED' : 'UNEXPECTED_GREETING');
    }
    throw new StageFailure('UNEXPECTED_GREETING');
  } finally {
    reader.detach();
  }
}

/** A TLS record header (handshake or alert) where a text greeting was expected. */
function looksLikeTls(line: string): boolean {
  const first = line.charCodeAt(0);
  return first === 0x15 || first === 0x16;
}

const imapAuthStep: ProbeStep<ImapContext> = {
  stage: 'AUTH',
  async run(ctx) {
    const { target } = ctx;
    if (!target.accessToken && !target.password) throw new StageFailure('NO_CREDENTIALS');
    if (!ctx.address) throw new StageFailure('UNKNOWN');
    const client = new ImapFlow(imapFlowOptions(ctx, ctx.address));
    // Errors after connect() settled would otherwise be thrown as unhandled 'error' events.
    client.on('error', () => undefined);
    ctx.resources.add(() => client.close());
    ctx.client = client;
    try {
      await client.connect();
    } catch (err) {
      throw new StageFailure(authFailureCode(err, client, Boolean(target.accessToken)));
    }
    return {};
  },
};

function imapFlowOptions(ctx: ImapContext, address: string): ImapFlowOptions {
  const { target } = ctx;
  const remaining = Math.max(1, Math.round(ctx.deadline.remainingMs()));
  const servername = net.isIP(ctx.host) ? undefined : ctx.host;
  return {
    // The address TCP reached, never the name again: re-resolving would reopen the door
    // the address guard closed (DNS rebinding).
    host: address,
    servername,
    port: target.port,
    secure: target.security === 'SSL',
    doSTARTTLS: target.security === 'TLS' ? true : target.security === 'NONE' ? false : undefined,
    auth: target.accessToken
      ? { user: target.username, accessToken: target.accessToken }
      : { user: target.username, pass: target.password ?? undefined },
    tls: { rejectUnauthorized: !target.allowSelfSignedCertificate, servername },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: remaining,
    greetingTimeout: greetingWaitMs(ctx.deadline),
    socketTimeout: remaining,
    ...(ctx.proxyRoute ? { proxy: routeProxyUrl(ctx.proxyRoute) } : {}),
  };
}

function authFailureCode(err: unknown, client: ImapFlow, usesOAuth: boolean): FailureCode {
  const code = failureCode(err);
  const offers = (capability: string) => client.capabilities.has(capability);
  if (code === 'AUTH_REJECTED' && offers('LOGINDISABLED')) return 'LOGIN_DISABLED';
  // ImapFlow reports a missing SASL mechanism as a bare Error; the capabilities tell us which.
  const knowsCapabilities = client.capabilities.size > 0;
  if (code === 'UNKNOWN' && usesOAuth && knowsCapabilities && !offers('AUTH=XOAUTH2') && !offers('AUTH=OAUTHBEARER')) {
    return 'AUTH_METHOD_UNSUPPORTED';
  }
  return code;
}

const imapInboxStep: ProbeStep<ImapContext> = {
  stage: 'PROTOCOL',
  async run(ctx) {
    if (!ctx.client) throw new StageFailure('UNKNOWN');
    try {
      await ctx.client.mailboxOpen('INBOX', { readOnly: true });
    } catch (err) {
      throw new StageFailure(inboxFailureCode(err));
    }
    return {};
  },
};

function inboxFailureCode(err: unknown): FailureCode {
  // A tagged NO/BAD means the server answered and refused the mailbox; anything else is the
  // connection failing underneath us.
  const answered = typeof err === 'object' && err !== null && 'responseStatus' in err;
  const code = failureCode(err);
  return answered || code === 'UNKNOWN' ? 'MAILBOX_UNAVAILABLE' : code;
}
