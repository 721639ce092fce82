// Microsoft Graph's AUTH and PROTOCOL steps: AUTH lists one mail folder of the mailbox with the
// bearer token (401 = the token, 403 = the token lacks permission for this mailbox); PROTOCOL
// reads the Inbox folder (GET mailFolders('Inbox')).
import { hostWithoutBrackets } from '../address-guard.js';
import { httpFetch } from '../http-client.js';
import { type FailureCode } from './diagnosis.js';
import { httpsTlsStep, probeHttpOptions, probeSignal, transportFailure, type HttpProbeContext } from './http-steps.js';
import { dnsStep, tcpStep } from './network-steps.js';
import { Deadline, OpenResources, StageFailure, type Probe, type ProbeStep } from './probe-runner.js';
import type { ConnectionTestOptions, GraphTestTarget } from './types.js';

export interface GraphContext extends HttpProbeContext {
  target: GraphTestTarget;
}

export function graphProbe(target: GraphTestTarget, opts: Required<ConnectionTestOptions>): Probe<GraphContext> {
  const url = new URL(target.baseUrl);
  const context: GraphContext = {
    deadline: new Deadline(opts.timeoutMs),
    resources: new OpenResources(),
    host: hostWithoutBrackets(url.hostname),
    port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
    allowLoopback: opts.allowLoopback,
    addresses: [],
    address: null,
    socket: null,
    proxy: target.proxy ?? null,
    url,
    allowSelfSignedCertificate: target.allowSelfSignedCertificate,
    target,
  };
  return {
    protocol: 'Microsoft Graph',
    context,
    steps: [dnsStep, tcpStep, httpsTlsStep, graphAuthStep, graphInboxStep],
    facts: { host: context.host, port: context.port, authMethod: 'OAUTH' },
  };
}

interface Answer { status: number; code: string | null; message: string }

async function get(ctx: GraphContext, path: string): Promise<Answer> {
  const url = `${ctx.target.baseUrl.replace(/\/$/, '')}/users/${encodeURIComponent(ctx.target.mailbox)}${path}`;
  let res;
  try {
    res = await httpFetch(url, {
      headers: { authorization: `Bearer ${ctx.target.accessToken}`, prefer: 'IdType="ImmutableId"', accept: 'application/json' },
      signal: probeSignal(ctx),
    }, probeHttpOptions(ctx));
  } catch (err) {
    throw transportFailure(err);
  }
  const text = await res.text().catch(() => '');
  let code: string | null = null;
  let message = '';
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
  } catch {
    if (res.status === 200) throw new StageFailure('UNEXPECTED_GREETING', NO_GRAPH_HERE);
  }
  // Graph's message is read to tell an expired token from a wrong one; it is never shown.
  return { status: res.status, code, message };
}

const NO_GRAPH_HERE = {
  message: 'No Microsoft Graph service answers at this address',
  causes: ['Wrong server address: Microsoft Graph is graph.microsoft.com (or your national cloud\'s Graph host)'],
};

const NO_PERMISSION = {
  message: 'Microsoft Graph accepted the token but denied access to this mailbox',
  causes: [
    'OAuth token issue: the sign-in lacks the Mail.ReadWrite permission, or an administrator has not consented to it — sign in with Microsoft again',
    'For a shared mailbox: the signed-in account needs Full Access to it',
    'Wrong email address: it must be the mailbox the token was issued for, or one shared with it',
  ],
};

function commonFailure(answer: Answer): StageFailure | null {
  if (answer.status === 429 || answer.status === 503) return new StageFailure('THROTTLED');
  if (answer.status >= 500) return new StageFailure('SERVER_UNAVAILABLE');
  return null;
}

const graphAuthStep: ProbeStep<GraphContext> = {
  stage: 'AUTH',
  async run(ctx) {
    if (!ctx.target.accessToken) throw new StageFailure('NO_CREDENTIALS');
    const answer = await get(ctx, '/mailFolders?$top=1&$select=id');
    if (answer.status === 401) throw new StageFailure(/expired/i.test(answer.message) ? 'AUTH_EXPIRED' : 'AUTH_REJECTED');
    if (answer.status === 403) throw new StageFailure('AUTH_REJECTED', NO_PERMISSION);
    const common = commonFailure(answer);
    if (common) throw common;
    // 404 means the token was accepted but the mailbox is not there: PROTOCOL says which.
    if (answer.status !== 200 && answer.status !== 404) throw new StageFailure('UNEXPECTED_GREETING', NO_GRAPH_HERE);
    return {};
  },
};

const graphInboxStep: ProbeStep<GraphContext> = {
  stage: 'PROTOCOL',
  async run(ctx) {
    const answer = await get(ctx, "/mailFolders('Inbox')?$select=id,totalItemCount,unreadItemCount");
    if (answer.status === 200) return {};
    if (answer.status === 403) throw new StageFailure('MAILBOX_UNAVAILABLE', NO_PERMISSION);
    const common = commonFailure(answer);
    if (common) throw common;
    const code: FailureCode = 'MAILBOX_UNAVAILABLE';
    const mailbox = ctx.target.mailbox;
    if (answer.code === 'MailboxNotEnabledForRESTAPI') {
      throw new StageFailure(code, {
        message: `${mailbox} has no Exchange Online mailbox that Microsoft Graph can read`,
        causes: [
          'Microsoft Graph is not enabled for this account: the mailbox is on-premises, inactive or has no Exchange Online licence — use EWS or IMAP for on-premises mailboxes',
          'Wrong email address',
        ],
      });
    }
    if (answer.code === 'ErrorInvalidUser' || answer.code === 'ResourceNotFound' || answer.code === 'ErrorNonExistentMailbox') {
      throw new StageFailure(code, {
        message: `Microsoft Graph has no mailbox ${mailbox}`,
        causes: ['Wrong email address: use the mailbox\'s primary address (or a shared mailbox\'s address)', 'The mailbox was removed'],
      });
    }
    throw new StageFailure(code);
  },
};
