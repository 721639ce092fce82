// Where Mailroom connects on an admin's (or a DNS server's, or a redirect's) say-so: only to
// addresses the guard approved, never following a token endpoint's redirect, never leaving the
// origin of a Graph/EWS URL, with IPv6 targets written right on a proxy's CONNECT line.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedLookup, type LookupAll } from '../../server/src/mail/address-guard.ts';
import { RedirectRefusedError, httpFetch } from '../../server/src/mail/http-client.ts';
import { GenericOAuthClient } from '../../server/src/mail/oauth/generic-client.ts';
import { connectViaProxy } from '../../server/src/mail/proxy.ts';

interface Seen { method: string; url: string; body: string }

async function listen(handler: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('token endpoints never redirect us', () => {
  let capture: Awaited<ReturnType<typeof listen>>;
  let redirector: Awaited<ReturnType<typeof listen>>;
  let target = '';

  beforeAll(async () => {
    capture = await listen((_req, _body, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"stolen","expires_in":3600}'));
    redirector = await listen((_req, _body, res) => res.writeHead(307, { location: target }).end());
  });
  afterAll(async () => {
    capture.server.close();
    redirector.server.close();
  });

  const client = () =>
    new GenericOAuthClient(
      { provider: 'OTHER', clientId: 'c', clientSecret: 'very-secret', authorizationUrl: 'https://idp.example/authorize', tokenUrl: `${redirector.url}/token`, scopes: ['mail'], redirectUrl: 'https://m.example/oauth/callback', installationApp: false },
      null,
      { allowLoopback: true },
    );

  for (const [name, to] of [
    ['another host', () => `${capture.url}/token`],
    ['the same origin', () => `${redirector.url}/token2`],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/iam/security-credentials/'],
    ['a relative path', () => '/elsewhere'],
  ] as const) {
    it(`a 307 to ${name} is an OAuth error naming the redirect, and the secret goes nowhere else`, async () => {
      target = to();
      const before = capture.seen.length;
      const err = await client().refresh('refresh-token-123').catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'OAUTH_TOKEN', message: expect.stringMatching(/redirect to .*never follows one/) });
      expect(capture.seen.length).toBe(before);
      expect(redirector.seen.filter((s) => s.url !== '/token')).toEqual([]);
    });
  }
});

describe('Graph and EWS follow redirects only within their origin', () => {
  let a: Awaited<ReturnType<typeof listen>>;
  let b: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    b = await listen((_req, _body, res) => res.writeHead(200).end('elsewhere'));
    a = await listen((req, _body, res) => {
      if (req.url === '/same') return void res.writeHead(302, { location: '/final' }).end();
      if (req.url === '/cross') return void res.writeHead(302, { location: `${b.url}/x` }).end();
      if (req.url === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
      res.writeHead(200).end(`final ${req.method}`);
    });
  });
  afterAll(() => {
    a.server.close();
    b.server.close();
  });
  const opts = { guard: { allowLoopback: true }, redirects: 'same-origin' as const, timeoutMs: 5000 };

  it('follows a same-origin redirect, refuses a cross-origin one and a loop', async () => {
    expect(await (await httpFetch(`${a.url}/same`, { method: 'POST', body: 'x' }, opts)).text()).toBe('final GET');
    await expect(httpFetch(`${a.url}/cross`, {}, opts)).rejects.toBeInstanceOf(RedirectRefusedError);
    expect(b.seen).toEqual([]);
    await expect(httpFetch(`${a.url}/loop`, {}, opts)).rejects.toBeInstanceOf(RedirectRefusedError);
  });

  it('refuses a refused literal address before any packet', async () => {
    await expect(httpFetch('http://[::ffff:169.254.169.254]/', {}, opts)).rejects.toThrow(/link-local/);
    await expect(httpFetch('http://[::7f00:1]/', {}, { ...opts, guard: { allowLoopback: false } })).rejects.toThrow(/loopback/);
  });
});

describe('connections go to the address the guard approved (no DNS-rebinding window)', () => {
  let s: Awaited<ReturnType<typeof listen>>;
  let port: number;
  beforeAll(async () => {
    s = await listen((_req, _body, res) => res.writeHead(200).end('reached'));
    port = Number(new URL(s.url).port);
  });
  afterAll(() => s.server.close());

  it('a name that resolves to a refused address is never connected to, whatever a first look-up said', async () => {
    // A rebinding resolver: the first answer (what a check-then-connect client would vet) is
    // public, every later one is this host. The guard's own look-up is the one the socket uses.
    let calls = 0;
    const rebinding: LookupAll = async () => (calls++ === 0 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    await rebinding('rebind.example', { all: true }); // the "check"
    const agent = new Agent({ connect: { lookup: guardedLookup({ allowLoopback: false, lookup: rebinding }) } });
    const err = await fetch(`http://rebind.example:${port}/`, { dispatcher: agent }).catch((e: unknown) => e);
    expect(String((err as Error).cause ?? err)).toMatch(/loopback/);
    expect(s.seen).toEqual([]);
    const allowed = new Agent({ connect: { lookup: guardedLookup({ allowLoopback: true, lookup: rebinding }) } });
    expect(await (await fetch(`http://rebind.example:${port}/`, { dispatcher: allowed })).text()).toBe('reached');
  });
});

describe('HTTP CONNECT to an IPv6 target', () => {
  it('brackets the address on the CONNECT line and in Host', async () => {
    const lines: string[] = [];
    const proxy = createTcpServer((socket) => {
      socket.once('data', (d) => {
        lines.push(...d.toString('latin1').split('\r\n').slice(0, 2));
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as AddressInfo).port;
    await connectViaProxy({ name: 'corp', type: 'HTTP', host: '127.0.0.1', port }, { host: '2001:db8::25', port: 993 }, 2000).catch(() => {});
    await connectViaProxy({ name: 'corp', type: 'HTTP', host: '127.0.0.1', port }, { host: 'mail.example.com', port: 993 }, 2000).catch(() => {});
    proxy.close();
    expect(lines).toEqual(['CONNECT [2001:db8::25]:993 HTTP/1.1', 'Host: [2001:db8::25]:993', 'CONNECT mail.example.com:993 HTTP/1.1', 'Host: mail.example.com:993']);
  });
});
