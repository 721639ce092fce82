// POP3's TLS, AUTH and PROTOCOL steps on one connection: the socket TCP opened (directly or
// through the proxy) gets TLS (SSL from the first byte, or STLS after the greeting), then
// USER/PASS, then STAT. The greeting is read in the TLS stage whatever the security type, so
// "None on an SSL port" fails there with the security-type causes.
import { Pop3Session } from '../pop3/pop3-client.js';
import { failureCode, type FailureCode } from './diagnosis.js';
import { dnsStep, greetingWaitMs, networkContext, tcpStep, upgradeToTls, type NetworkContext } from './network-steps.js';
import { StageFailure, type Probe, type ProbeStep } from './probe-runner.js';
import type { ConnectionTestOptions, Pop3TestTarget } from './types.js';
import { Pop3CommandError, Pop3ProtocolError } from '../pop3/pop3-errors.js';


export interface Pop3Context extends NetworkContext {
  target: Pop3TestTarget;
  session: Pop3Session | null;
}

export function pop3Probe(target: Pop3TestTarget, opts: Required<ConnectionTestOptions>): Probe<Pop3Context> {
  const context: Pop3Context = { ...networkContext(target, opts), target, session: null };
  return {
    protocol: 'POP3',
    context,
    steps: [dnsStep, tcpStep, pop3TlsStep, pop3AuthStep, pop3StatStep],
    facts: { host: context.host, port: target.port, authMethod: 'PASSWORD' },
    async farewell(ctx) {
      await ctx.session?.quit();
    },
  };
}

function newSession(ctx: Pop3Context, socket: NonNullable<NetworkContext['socket']>): Pop3Session {
  const session = new Pop3Session(socket, { commandTimeoutMs: Math.max(1, Math.round(ctx.deadline.remainingMs())) });
  ctx.resources.add(() => session.destroy());
  ctx.session = session;
  return session;
}

async function greet(ctx: Pop3Context, session: Pop3Session): Promise<void> {
  const wait = greetingWaitMs(ctx.deadline);
  try {
    await session.greeting(wait);
  } catch (err) {
    throw new StageFailure(pop3FailureCode(err));
  }
}

const pop3TlsStep: ProbeStep<Pop3Context> = {
  stage: 'TLS',
  async run(ctx) {
    const plain = ctx.socket;
    ctx.socket = null;
    if (!plain) throw new StageFailure('UNKNOWN');
    const tlsOptions = { host: ctx.host, rejectUnauthorized: !ctx.target.allowSelfSignedCertificate };
    switch (ctx.target.security) {
      case 'NONE': {
        await greet(ctx, newSession(ctx, plain));
        return { skipped: true, note: 'Security type None: the connection is not encrypted' };
      }
      case 'SSL': {
        const upgraded = await upgradeToTls(plain, tlsOptions, ctx.resources).catch(rethrowAsTlsFailure);
        await greet(ctx, newSession(ctx, upgraded.socket));
        return { note: upgraded.note };
      }
      case 'TLS': {
        const session = newSession(ctx, plain);
        await greet(ctx, session);
        let note = '';
        try {
          await session.startTls(async (socket) => {
            const upgraded = await upgradeToTls(socket, tlsOptions, ctx.resources);
            note = upgraded.note;
            return upgraded.socket;
          });
        } catch (err) {
          if (err instanceof Pop3CommandError) throw new StageFailure('STARTTLS_UNSUPPORTED');
          rethrowAsTlsFailure(err);
        }
        return { note: `STLS, ${note}` };
      }
    }
  },
};

function rethrowAsTlsFailure(err: unknown): never {
  throw new StageFailure(failureCode(err));
}

const pop3AuthStep: ProbeStep<Pop3Context> = {
  stage: 'AUTH',
  async run(ctx) {
    const session = ctx.session;
    if (!session) throw new StageFailure('UNKNOWN');
    if (!ctx.target.password) throw new StageFailure('NO_CREDENTIALS');
    if (!session.secure) {
      const caps = await session.capabilities().catch((err: unknown) => {
        throw new StageFailure(pop3FailureCode(err));
      });
      if (caps.length > 0 && !caps.includes('USER')) throw new StageFailure('LOGIN_DISABLED');
    }
    try {
      await session.login(ctx.target.username, ctx.target.password);
    } catch (err) {
      throw new StageFailure(pop3FailureCode(err));
    }
    return {};
  },
};

const pop3StatStep: ProbeStep<Pop3Context> = {
  stage: 'PROTOCOL',
  async run(ctx) {
    const session = ctx.session;
    if (!session) throw new StageFailure('UNKNOWN');
    try {
      const { count } = await session.stat();
      return { note: `${count} message${count === 1 ? '' : 's'} waiting` };
    } catch (err) {
      throw new StageFailure(err instanceof Pop3CommandError ? 'MAILBOX_UNAVAILABLE' : pop3FailureCode(err));
    }
  },
};

function pop3FailureCode(err: unknown): FailureCode {
  if (err instanceof Pop3CommandError) {
    switch (err.responseCode) {
      case 'IN-USE': return 'MAILBOX_IN_USE';
      case 'SYS/TEMP': return 'SERVER_UNAVAILABLE';
      case 'LOGIN-DELAY': return 'THROTTLED';
    }
    return 'AUTH_REJECTED';
  }
  if (err instanceof Pop3ProtocolError) {
    switch (err.code) {
      case 'NO_GREETING': return 'NO_GREETING';
      case 'SERVER_UNAVAILABLE': return 'SERVER_UNAVAILABLE';
      default: return 'UNEXPECTED_GREETING';
    }
  }
  return failureCode(err);
}
