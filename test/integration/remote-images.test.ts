// "Load remote images": Mailroom fetches a message's remote images for the technician, through
// the address guard, from a real HTTP server on loopback standing in for the sender's.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '../../server/src/db/schema.ts';
import { graphql, startTestApp, type GraphQLClient, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { mail } from '../testkit/mail.ts';
import { RED_PNG } from '../testkit/real-world-mail.ts';
import { waitFor } from '../testkit/services/util.ts';

const Tickets = graphql(`query RemoteImageTickets { tickets(first: 50) { nodes { id subject messages { id bodyHtml } } } }`);

/** The sender's web server: what it serves, and the headers of every request it got. */
function senderServer() {
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    const route: Record<string, () => void> = {
      '/pixel.png': () => res.writeHead(200, { 'content-type': 'image/png' }).end(RED_PNG),
      '/same-host': () => res.writeHead(302, { location: '/pixel.png' }).end(),
      '/other-host': () => res.writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}/pixel.png` }).end(),
      '/page.html': () => res.writeHead(200, { 'content-type': 'text/html' }).end('<script>alert(1)</script>'),
      '/lying.png': () => res.writeHead(200, { 'content-type': 'image/png' }).end('<html><script>alert(1)</script></html>'),
      '/drawing.svg': () => res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg onload="alert(1)"/>'),
      '/huge.png': () => {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(RED_PNG);
        const chunk = Buffer.alloc(1024 * 1024);
        for (let i = 0; i < 6; i++) res.write(chunk);
        res.end();
      },
    };
    (route[req.url ?? ''] ?? (() => res.writeHead(404).end()))();
  });
  return { server, seen };
}

describe('remote images through Mailroom', () => {
  let t: TestApp;
  let tech: GraphQLClient;
  let origin: string;
  let sender: ReturnType<typeof senderServer>;
  let messageId: string;
  const user = `remote-${randomUUID().slice(0, 8)}@example.test`;
  const images = ['/pixel.png', '/same-host', '/other-host', '/page.html', '/lying.png', '/drawing.svg', '/huge.png'];

  const get = (path: string, token: string | null = tech.token) => fetch(`${t.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const image = (n: number, token?: string | null) => get(`/api/messages/${messageId}/remote-images/${n}`, token);

  beforeAll(async () => {
    sender = senderServer();
    await new Promise<void>((resolve) => sender.server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(sender.server.address() as AddressInfo).port}`;
    const dovecot = getDovecot();
    await dovecot.addUser(user, 'imap-secret-1');
    t = await startTestApp();
    await t.seed.incomingServer({
      name: 'Remote images', email: user, protocol: 'IMAP', provider: 'OTHER', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE', authType: 'BASIC',
      password: 'imap-secret-1', realTimeScanning: true,
    });
    tech = await (await t.seed.technician()).signIn();
    const html = [...images.map((p) => `<img src="${origin}${p}">`), '<img src="http://10.20.30.40/intranet.png">', '<img src="http://169.254.169.254/latest/meta-data.png">'].join('');
    await dovecot.deliver(user, mail({ from: 'ada@customer.example', to: user, subject: 'Newsletter', body: html }).replace('Content-Type: text/plain; charset=utf-8', 'Content-Type: text/html; charset=utf-8'));
    await waitFor('the ticket', async () => (await tech.execute(Tickets)).tickets.nodes.some((n) => n.subject === 'Newsletter'), 30_000);
    const ticket = (await tech.execute(Tickets)).tickets.nodes.find((n) => n.subject === 'Newsletter')!;
    messageId = ticket.messages[0]!.id;
    expect(ticket.messages[0]!.bodyHtml).not.toMatch(/\ssrc="http/);
    expect(sender.seen).toEqual([]); // nothing is fetched until someone asks
  });
  afterAll(async () => {
    await t?.stop();
    await new Promise((r) => sender?.server.close(r));
  });

  it('serves the image as Mailroom fetched it: the sender sees no cookie, no referrer, no technician', async () => {
    const res = await image(0);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(Buffer.from(await res.arrayBuffer())).toEqual(RED_PNG);
    const request = sender.seen.find((r) => r.path === '/pixel.png')!;
    expect(request.headers['user-agent']).toBe('Mailroom image proxy');
    expect(request.headers.cookie).toBeUndefined();
    expect(request.headers.referer).toBeUndefined();
    expect(request.headers.authorization).toBeUndefined();
  });

  it('follows a redirect on the same host only', async () => {
    expect((await image(1)).status).toBe(200);
    const away = await image(2);
    expect(away.status).toBe(502);
    expect(await away.text()).toMatch(/redirect/);
  });

  it('refuses what is not a raster image, or too large', async () => {
    for (const [n, why] of [[3, /not an image \(text\/html\)/], [4, /not a image\/png image/], [5, /not an image \(image\/svg\+xml\)/], [6, /larger than 5 MB/]] as const) {
      const res = await image(n);
      expect(res.status, String(n)).toBe(502);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text(), String(n)).toMatch(why);
    }
  });

  it('never reaches private or metadata addresses', async () => {
    for (const n of [7, 8]) {
      const res = await image(n);
      expect(res.status).toBe(502);
      expect(await res.text()).toMatch(/private or reserved|link-local/);
    }
  });

  it('only for signed-in users who may see the ticket, only for the message\'s own images', async () => {
    expect((await image(0, null)).status).toBe(401);
    expect((await image(99)).status).toBe(404);
    expect((await get(`/api/messages/${randomUUID()}/remote-images/0`)).status).toBe(404);
    // A message that became no ticket is for the channel admins only; to anyone else it doesn't exist.
    const [orphan] = await t.app.services.db.insert(messages).values({
      sourceKey: `test:${randomUUID()}`, contentHash: randomUUID(), rawSize: 1, raw: Buffer.from('x'), bodyHtml: `<img data-remote-src="${origin}/pixel.png">`,
    }).returning();
    expect((await get(`/api/messages/${orphan!.id}/remote-images/0`)).status).toBe(404);
    expect((await get(`/api/messages/${orphan!.id}/remote-images/0`, t.admin.token)).status).toBe(200);
  });
});
