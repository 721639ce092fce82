// EWS's AUTH and PROTOCOL steps, with ews-javascript-api over our HTTP layer (as the connector):
// AUTH binds the mailbox root (a 401 is the credentials; a 403 after a successful sign-in is EWS
// being switched off, which PROTOCOL reports); PROTOCOL binds the Inbox (GetFolder).
import type { ExchangeService } from 'ews-javascript-api';
import { describeEwsFailure, EWS_SHUTDOWN_WARNING, type EwsFailure } from '../ews/ews-errors.js';
import { loadEws, type Ews } from '../ews/ews-lib.js';
import { createEwsService, urlHost, urlPort, type EwsAuth } from '../ews/ews-service.js';
import { FetchXhrApi } from '../ews/ews-xhr.js';
import { failureCode, type FailureCode } from './diagnosis.js';
import { httpsTlsStep, probeHttpOptions, type HttpProbeContext } from './http-steps.js';
import { dnsStep, tcpStep } from './network-steps.js';
import { Deadline, OpenResources, runProbe, StageFailure, type Probe, type ProbeStep, type ProgressListener } from './probe-runner.js';
import type { ConnectionTestOptions, ConnectionTestResult, EwsTestTarget } from './types.js';
import { isMicrosoftHosted } from '../providers.js';

export interface EwsContext extends HttpProbeContext {
  target: EwsTestTarget;
  ews: Ews | null;
  service: ExchangeService | null;
  xhr: FetchXhrApi | null;
  /** Signed in, but Exchange answered 403: EWS is off for this account. */
  ewsRefused: boolean;
}

export function ewsProbe(target: EwsTestTarget, opts: Required<ConnectionTestOptions>): Probe<EwsContext> {
  const url = new URL(target.url);
  const context: EwsContext = {
    deadline: new Deadline(opts.timeoutMs),
    resources: new OpenResources(),
    host: urlHost(url),
    port: urlPort(url),
    allowLoopback: opts.allowLoopback,
    addresses: [],
    address: null,
    socket: null,
    proxy: target.proxy ?? null,
    url,
    allowSelfSignedCertificate: target.allowSelfSignedCertificate,
    target,
    ews: null,
    service: null,
    xhr: null,
    ewsRefused: false,
  };
  return {
    protocol: 'EWS',
    context,
    steps: [dnsStep, tcpStep, httpsTlsStep, ewsAuthStep, ewsInboxStep],
    facts: { host: context.host, port: context.port, authMethod: target.authMethod ?? (target.accessToken ? 'OAUTH' : 'PASSWORD') },
  };
}

/** Runs the EWS probe; on Microsoft's own hosts a failure also points to Graph (EWS there ends in 2026–27). */
export async function testEwsConnection(target: EwsTestTarget, opts: Required<ConnectionTestOptions>, onProgress?: ProgressListener): Promise<ConnectionTestResult> {
  const result = await runProbe(ewsProbe(target, opts), onProgress);
  if (!result.ok && isMicrosoftHosted(urlHost(new URL(target.url)))) result.causes = [...result.causes, EWS_SHUTDOWN_WARNING];
  return result;
}

const NO_EWS_HERE = {
  message: 'No EWS service answers at this address',
  causes: [
    'Wrong EWS URL: Exchange serves EWS at https://<server>/EWS/Exchange.asmx',
    'Wrong host or port: this is not the Exchange server (or a reverse proxy does not publish /EWS)',
  ],
};

const ewsAuthStep: ProbeStep<EwsContext> = {
  stage: 'AUTH',
  async run(ctx) {
    const { target } = ctx;
    let auth: EwsAuth;
    if (target.accessToken) auth = { kind: 'oauth', accessToken: target.accessToken };
    else if (target.password) auth = { kind: 'basic', username: target.username, password: target.password };
    else throw new StageFailure('NO_CREDENTIALS');
    const ews = (ctx.ews = await loadEws());
    const xhr = (ctx.xhr = new FetchXhrApi(probeHttpOptions(ctx)));
    ctx.resources.add(() => xhr.disconnect());
    const service = (ctx.service = createEwsService(ews, ctx.url, auth, xhr));
    service.HttpHeaders.Add('X-AnchorMailbox', target.mailbox);
    try {
      await ews.Folder.Bind(service, new ews.FolderId(ews.WellKnownFolderName.MsgFolderRoot, new ews.Mailbox(target.mailbox)), ews.PropertySet.IdOnly);
      return {};
    } catch (err) {
      const failure = describeEwsFailure(ews, err, xhr);
      if (failure.type === 'http' && failure.status === 403) {
        ctx.ewsRefused = true;
        return { note: 'Signed in; Exchange refused EWS access' };
      }
      // Any other SOAP answer means the credentials were accepted; PROTOCOL looks at the mailbox.
      if (failure.type === 'response') return {};
      throw authFailure(failure);
    }
  },
};

function authFailure(failure: EwsFailure): StageFailure {
  switch (failure.type) {
    case 'http':
      if (failure.status === 401) return new StageFailure(/expired/i.test(failure.wwwAuthenticate ?? '') ? 'AUTH_EXPIRED' : 'AUTH_REJECTED');
      if (failure.status === 429 || failure.status === 503) return new StageFailure('THROTTLED');
      if (failure.status >= 500) return new StageFailure('SERVER_UNAVAILABLE');
      return new StageFailure('UNEXPECTED_GREETING', NO_EWS_HERE);
    case 'transport': return new StageFailure(failureCode({ code: failure.code ?? undefined }));
    case 'busy': return new StageFailure('THROTTLED');
    case 'response':
    case 'unknown': return new StageFailure('UNEXPECTED_GREETING', NO_EWS_HERE);
  }
}

const ewsInboxStep: ProbeStep<EwsContext> = {
  stage: 'PROTOCOL',
  async run(ctx) {
    const { ews, service, xhr, target } = ctx;
    if (ctx.ewsRefused) throw new StageFailure('MAILBOX_UNAVAILABLE', ewsDisabled());
    if (!ews || !service) throw new StageFailure('UNKNOWN');
    try {
      const inbox = await ews.Folder.Bind(service, new ews.FolderId(ews.WellKnownFolderName.Inbox, new ews.Mailbox(target.mailbox)), ews.PropertySet.FirstClassProperties);
      return { note: `Inbox: ${inbox.TotalCount} item${inbox.TotalCount === 1 ? '' : 's'}, ${inbox.UnreadCount} unread` };
    } catch (err) {
      const failure = describeEwsFailure(ews, err, xhr);
      throw inboxFailure(failure, target.mailbox);
    }
  },
};

function ewsDisabled() {
  return {
    message: 'Exchange accepted the sign-in but refused EWS access: EWS is not enabled for this mailbox',
    causes: [
      'EWS is not enabled on the email account — an Exchange administrator can enable it (Set-CASMailbox -EwsEnabled $true), or an EWS allow/block list excludes Mailroom',
      'Use IMAP for this mailbox if EWS must stay off',
    ],
  };
}

function inboxFailure(failure: EwsFailure, mailbox: string): StageFailure {
  if (failure.type === 'http' && failure.status === 403) return new StageFailure('MAILBOX_UNAVAILABLE', ewsDisabled());
  if (failure.type === 'busy') return new StageFailure('THROTTLED');
  if (failure.type === 'transport') return new StageFailure(failureCode({ code: failure.code ?? undefined }));
  if (failure.type === 'response') {
    const code: FailureCode = 'MAILBOX_UNAVAILABLE';
    switch (failure.code) {
      case 'ErrorNonExistentMailbox':
      case 'ErrorInvalidSmtpAddress':
        return new StageFailure(code, {
          message: `Exchange has no mailbox ${mailbox}`,
          causes: ['The email address of the server is not the mailbox\'s primary SMTP address', 'The mailbox was removed or is on another Exchange organization'],
        });
      case 'ErrorAccessDenied':
      case 'ErrorImpersonateUserDenied':
        return new StageFailure(code, {
          message: `The account signed in, but may not open the mailbox ${mailbox}`,
          causes: ['For a shared mailbox: give the signing-in account Full Access to it', 'Wrong username: sign in as the mailbox itself'],
        });
    }
  }
  return new StageFailure('MAILBOX_UNAVAILABLE');
}
