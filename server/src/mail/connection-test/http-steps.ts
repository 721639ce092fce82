// The TLS step and request helpers that EWS and Graph share: both speak HTTPS (or plain http when
// the security type is None). TCP and TLS are probed on our own socket so each can fail with its
// own stage; the AUTH and PROTOCOL requests then go through httpFetch like the connectors'.
import { fetchFailureCode, type HttpOptions } from '../http-client.js';
import { failureCode, type FailureCode } from './diagnosis.js';
import { upgradeToTls, type NetworkContext } from './network-steps.js';
import { StageFailure, type ProbeStep } from './probe-runner.js';

export interface HttpProbeContext extends NetworkContext {
  url: URL;
  allowSelfSignedCertificate: boolean;
}

export const httpsTlsStep: ProbeStep<HttpProbeContext> = {
  stage: 'TLS',
  async run(ctx) {
    const plain = ctx.socket;
    ctx.socket = null;
    if (!plain) throw new StageFailure('UNKNOWN');
    if (ctx.url.protocol !== 'https:') {
      plain.end();
      return { skipped: true, note: 'Security type None (http): the connection is not encrypted' };
    }
    try {
      const upgraded = await upgradeToTls(plain, { host: ctx.host, rejectUnauthorized: !ctx.allowSelfSignedCertificate }, ctx.resources);
      upgraded.socket.end();
      return { note: upgraded.note };
    } catch (err) {
      plain.destroy();
      throw new StageFailure(failureCode(err));
    }
  },
};

/** What the AUTH / PROTOCOL requests pass to httpFetch: the vetted proxy, the certificate setting, the time left. */
export function probeHttpOptions(ctx: HttpProbeContext): HttpOptions {
  return {
    proxy: ctx.proxyRoute ?? null,
    rejectUnauthorized: !ctx.allowSelfSignedCertificate,
    timeoutMs: Math.max(1, Math.round(ctx.deadline.remainingMs())),
    guard: { allowLoopback: ctx.allowLoopback },
    redirects: 'same-origin',
  };
}

/** An AbortSignal the runner's deadline (closeAll) fires, so an abandoned request does not linger. */
export function probeSignal(ctx: HttpProbeContext): AbortSignal {
  const abort = new AbortController();
  ctx.resources.add(() => abort.abort());
  return AbortSignal.any([abort.signal, AbortSignal.timeout(Math.max(1, Math.round(ctx.deadline.remainingMs())))]);
}

/** A request that got no HTTP answer, as one of our failure codes. */
export function transportFailure(err: unknown): StageFailure {
  const code: FailureCode = failureCode({ code: fetchFailureCode(err) ?? undefined });
  return new StageFailure(code);
}
