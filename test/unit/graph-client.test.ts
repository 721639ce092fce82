// The Graph client's rules against a scripted local HTTP endpoint: Retry-After honoured per
// request, long hints end the sync, one fresh token after a 401, never more than 4 requests at a
// time, immutable ids asked for, and no following links to other hosts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MailError } from '../../server/src/mail/connector.ts';
import { GraphClient, GraphError } from '../../server/src/mail/graph/graph-client.ts';
import { graphMailError } from '../../server/src/mail/graph/graph-errors.ts';
import { Semaphore } from '../../server/src/mail/graph/semaphore.ts';

type Reply = { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number };

describe('GraphClient', () => {
  let server: http.Server;
  let base: URL;
  let script: ((req: http.IncomingMessage) => Reply) | null = null;
  const seen: { at: number; auth: string | undefined; prefer: string | undefined; url: string }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ at: Date.now(), auth: req.headers.authorization, prefer: String(req.headers.prefer ?? ''), url: req.url ?? '' });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const reply = script!(req);
      setTimeout(() => {
        inFlight--;
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      }, reply.delayMs ?? 0);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.0`);
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  afterEach(() => {
    seen.length = 0;
    maxInFlight = 0;
  });

  const client = (tokens = ['t1']) => {
    let i = 0;
    return new GraphClient({ baseUrl: base, mailbox: 'shared@contoso.com', http: { timeoutMs: 5000, guard: { allowLoopback: true }, redirects: 'same-origin' }, accessToken: async () => tokens[Math.min(i++, tokens.length - 1)]! });
  };

  it('addresses the mailbox by address and asks for immutable ids', async () => {
    script = () => ({ status: 200, body: { id: 'inbox' } });
    const c = client();
    await c.json('GET', c.mailboxUrl("/mailFolders('Inbox')"));
    expect(seen[0]).toMatchObject({ url: "/v1.0/users/shared%40contoso.com/mailFolders('Inbox')", auth: 'Bearer t1', prefer: 'IdType="ImmutableId"' });
  });

  it('429 with Retry-After: waits that long, then retries the same request', async () => {
    let n = 0;
    script = () => (n++ === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 'TooManyRequests' } } } : { status: 200, body: {} });
    const c = client();
    const res = await c.request('GET', c.mailboxUrl('/messages/a/$value'));
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('a Retry-After beyond a minute ends the sync with THROTTLED and the hint', async () => {
    script = () => ({ status: 503, headers: { 'retry-after': '300' } });
    const c = client();
    const err = await c.request('GET', c.mailboxUrl('/mailFolders')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailError);
    expect(err).toMatchObject({ kind: 'THROTTLED', retryAfterMs: 300_000 });
    expect(seen).toHaveLength(1);
  });

  it('401: asks the token source once more, then reports the 401', async () => {
    script = (req) => (req.headers.authorization === 'Bearer t2' ? { status: 200, body: {} } : { status: 401, body: { error: { code: 'InvalidAuthenticationToken' } } });
    const c = client(['t1', 't2']);
    expect((await c.request('GET', c.mailboxUrl('/mailFolders'))).status).toBe(200);
    expect(seen.map((s) => s.auth)).toEqual(['Bearer t1', 'Bearer t2']);

    seen.length = 0;
    script = () => ({ status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Lifetime validation failed, the token is expired.' } } });
    const stale = client(['t1']);
    const err = await stale.json('GET', stale.mailboxUrl('/mailFolders')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect(seen).toHaveLength(2);
    expect(graphMailError(err, { mailbox: 'shared@contoso.com' })).toMatchObject({ kind: 'AUTH', message: expect.not.stringContaining('Lifetime') });
  });

  it('never more than 4 requests in flight for the mailbox', async () => {
    script = () => ({ status: 200, body: {}, delayMs: 30 });
    const c = client();
    await Promise.all(Array.from({ length: 12 }, (_, i) => c.request('GET', c.mailboxUrl(`/messages/${i}/$value`))));
    expect(seen).toHaveLength(12);
    expect(maxInFlight).toBe(4);
  });

  it('refuses to follow a link to another host', async () => {
    const c = client();
    await expect(c.request('GET', 'https://evil.example/v1.0/users/x/messages/delta?$skiptoken=1')).rejects.toMatchObject({ kind: 'PROTOCOL' });
    expect(seen).toHaveLength(0);
  });
});

describe('graphMailError', () => {
  const ctx = { mailbox: 'm@contoso.com' };
  it('maps statuses and Graph error codes to our wording', () => {
    expect(graphMailError(new GraphError(403, 'ErrorAccessDenied'), ctx)).toMatchObject({ kind: 'AUTH', message: expect.stringMatching(/Mail\.ReadWrite/) });
    expect(graphMailError(new GraphError(404, 'MailboxNotEnabledForRESTAPI'), ctx)).toMatchObject({ kind: 'PROTOCOL', message: expect.stringMatching(/on-premises/) });
    expect(graphMailError(new GraphError(404, 'ErrorInvalidUser'), ctx).message).toBe('Microsoft Graph has no mailbox m@contoso.com');
    expect(graphMailError(new GraphError(502, null), ctx).kind).toBe('NETWORK');
  });
});

describe('Semaphore', () => {
  it('admits at most the limit, in arrival order', async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    let active = 0;
    let peak = 0;
    await Promise.all([1, 2, 3, 4, 5].map((n) => s.use(async () => {
      active++;
      peak = Math.max(peak, active);
      order.push(n);
      await new Promise((r) => setTimeout(r, 10));
      active--;
    })));
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });
});
