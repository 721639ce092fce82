// The HTTP and WebSocket edge, tried as an attacker on the internet (or on another port of the
// same host) would: malformed requests, foreign origins, CSRF shapes, oversized bodies,
// introspection and GraphiQL without being an admin, cookies over https.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { requesters, tickets } from '../../server/src/db/schema.ts';
import { MAX_OPERATIONS_PER_SOCKET } from '../../server/src/graphql/ws-server.ts';
import { liveSubscriptions } from '../../server/src/lib/pubsub.ts';
import { ADMIN, GraphQLClient, graphql, startTestApp, type TestApp } from '../testkit/app.ts';
import { openGraphqlSocket } from '../testkit/raw-socket.ts';
import { waitFor } from '../testkit/services/util.ts';
import type { GqlResponse } from '../testkit/client.ts';

const Categories = graphql(`query SecurityCategories { categories { name } }`);
const CreateCategory = graphql(`
  mutation SecurityCreateCategory($name: String!) {
    createCategory(name: $name) { __typename ... on ValidationError { fieldErrors { path message } } }
  }
`);
const CreateServer = graphql(`
  mutation SecurityCreateServer($input: IncomingEmailServerInput!) {
    createIncomingEmailServer(input: $input) { __typename ... on ValidationError { fieldErrors { path } } }
  }
`);

/** One raw HTTP exchange, so that nothing (fetch, URL parsing) cleans the request up first. */
function rawHttp(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head)); // not end(): a half-closed client makes Node drop a slow answer
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
  });
}

async function alive(url: string): Promise<void> {
  const res = await fetch(`${url}/healthz`);
  expect(res.status).toBe(200);
}

function wsUpgrade(url: string, headers: Record<string, string>): Promise<{ opened: boolean; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers });
    ws.on('open', () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.on('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode }));
    ws.on('error', () => resolve({ opened: false }));
  });
}

describe('the HTTP edge', () => {
  let t: TestApp;
  let port: number;
  let cookie: string;

  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
    port = Number(new URL(t.url).port);
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { signIn(email: "${ADMIN.email}", password: "${ADMIN.password}") { __typename } }` }),
    });
    cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('survives malformed paths, encodings and cookies on every route', async () => {
    const paths = ['/%E0%A4%A', '/%', '/%%30', '/%C0%AE%C0%AE/%C0%AE%C0%AE/etc/passwd', '/assets/%FF%FE', '/api/attachments/%E0%A4%A', '/graphql/%E0', '/oauth/callback?code=%E0%A4%A&state=%', '/..%2f..%2f..%2fetc%2fpasswd', '/%00', `/${'a'.repeat(8000)}`];
    for (const p of paths) {
      const answer = await rawHttp(port, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect(answer, p).toMatch(/^HTTP\/1\.1 \d{3}/);
      expect(answer, p).not.toMatch(/root:x:0:0/);
    }
    for (const c of ['mailroom_session=%E0%A4%A', 'mailroom_session=%', 'mailroom_session="unterminated', '=;;==;mailroom_session', `mailroom_session=${'%'.repeat(5000)}`]) {
      for (const p of ['/graphql', '/api/attachments/00000000-0000-0000-0000-000000000000', '/oauth/callback']) {
        const method = p === '/graphql' ? 'POST' : 'GET';
        const body = p === '/graphql' ? '{"query":"{ me { id } }"}' : '';
        const answer = await rawHttp(port, `${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${c}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        expect(answer, `${p} with ${c.slice(0, 40)}`).toMatch(/^HTTP\/1\.1 (200|303|400|401|404)/);
      }
    }
    await alive(t.url);
  });

  it('refuses mutations posted as forms or multipart without the SPA header, and from a foreign origin', async () => {
    const mutation = 'mutation { createCategory(name: "csrf") { __typename } }';
    const forms: [string, BodyInit][] = [
      ['application/x-www-form-urlencoded', new URLSearchParams({ query: mutation }).toString()],
      ['text/plain', JSON.stringify({ query: mutation })],
    ];
    for (const [type, body] of forms) {
      const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': type, cookie }, body });
      expect(res.status, type).toBe(403);
    }
    const multipart = new FormData();
    multipart.set('operations', JSON.stringify({ query: mutation }));
    multipart.set('map', '{}');
    expect((await fetch(`${t.url}/graphql`, { method: 'POST', headers: { cookie }, body: multipart })).status).toBe(403);
    // A GET with a query string is a "simple" request too.
    expect((await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ users { email } }')}`, { headers: { cookie } })).status).toBe(403);

    for (const origin of ['http://127.0.0.1:1', `http://localhost:${port}`, 'https://evil.example', 'null']) {
      const res = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, origin },
        body: JSON.stringify({ query: mutation }),
      });
      expect(res.status, origin).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    const cats = await t.admin.execute(Categories);
    expect(cats.categories.map((c) => c.name)).not.toContain('csrf');

    // The SPA's own requests (same origin, JSON, its header) work.
    const own = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-graphql-yoga-csrf': '1', cookie, origin: `http://127.0.0.1:${port}` },
      body: JSON.stringify({ query: '{ me { email } }' }),
    });
    expect((await own.json()).data.me.email).toBe(ADMIN.email);
  });

  it('answers CORS preflights only for its own origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${t.url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const own = await preflight(`http://127.0.0.1:${port}`);
    expect(own.headers.get('access-control-allow-origin')).toBe(`http://127.0.0.1:${port}`);
  });

  it('refuses WebSocket upgrades from a foreign origin, even with the session cookie', async () => {
    for (const origin of ['https://evil.example', `http://localhost:${port + 1}`, 'null']) {
      expect(await wsUpgrade(t.url, { cookie, origin }), origin).toEqual({ opened: false, status: 403 });
    }
    expect((await wsUpgrade(t.url, { cookie, origin: `http://127.0.0.1:${port}` })).opened).toBe(true);
    expect((await wsUpgrade(t.url, { cookie })).opened).toBe(true);
  });

  it('caps request bodies and WebSocket messages', async () => {
    const big = JSON.stringify({ query: `{ me { id } } # ${'x'.repeat(2 * 1024 * 1024)}` });
    expect((await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: big })).status).toBe(413);
    const closed = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${t.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers: { cookie } });
      ws.on('open', () => ws.send('x'.repeat(2 * 1024 * 1024)));
      ws.on('close', (code) => resolve(code));
      ws.on('error', () => {});
    });
    expect(closed).toBe(1009); // message too big
    await alive(t.url);
  });

  it('caps the operations one socket holds at once, and frees a place when one completes', async () => {
    const socket = await openGraphqlSocket(t.url, { cookie });
    const refused = () => socket.messages
      .filter((m) => m.type === 'error' && (m.payload as { extensions?: { code?: string } }[])[0]?.extensions?.code === 'TOO_MANY_OPERATIONS')
      .map((m) => m.id);
    const subscribeTo = (id: string) => socket.send({ id, type: 'subscribe', payload: { query: 'subscription { ticketCreated { id } }' } });
    // A burst well over the cap, as a hostile client would send it: the first MAX_OPERATIONS_PER_SOCKET hold.
    for (let i = 0; i < MAX_OPERATIONS_PER_SOCKET + 30; i++) subscribeTo(`s${i}`);
    await waitFor('the refusals', async () => refused().length >= 30, 10_000);
    expect(refused()).toEqual(Array.from({ length: 30 }, (_, i) => `s${MAX_OPERATIONS_PER_SOCKET + i}`));
    // Completing ten makes room for ten, not eleven.
    for (let i = 0; i < 10; i++) socket.send({ id: `s${i}`, type: 'complete' });
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 11; i++) subscribeTo(`again${i}`);
    await waitFor('the eleventh refused', async () => refused().length >= 31, 10_000);
    expect(refused().slice(30)).toEqual(['again10']);
    socket.ws.close();
    await alive(t.url);
  });

  it('lets go of a subscription the client completes at once, on a topic where nothing happens', async () => {
    const socket = await openGraphqlSocket(t.url, { cookie });
    const before = liveSubscriptions();
    const topics = ['emailAuditEntryAdded { id }', 'ticketCreated { id }', 'ticketUpdated { id }', 'notificationAdded { id }', 'incomingEmailServerUpdated { id }', 'incomingEmailServersUpdated { id }'];
    for (let round = 0; round < 10; round++) {
      const ids = topics.flatMap((topic, i) => Array.from({ length: 10 }, (_, j) => [`${round}-${i}-${j}`, topic] as const));
      for (const [id, topic] of ids) socket.send({ id, type: 'subscribe', payload: { query: `subscription { ${topic} }` } });
      await waitFor('listening', async () => liveSubscriptions() >= before + ids.length, 10_000);
      for (const [id] of ids) socket.send({ id, type: 'complete' });
      // Nothing is published meanwhile: each must end on the client's word alone.
      await waitFor(`round ${round} let go`, async () => liveSubscriptions() === before, 10_000);
    }
    socket.ws.close();
  });

  it('answers introspection and GraphiQL to admins only', async () => {
    const introspect = '{ __schema { types { name } } }';
    const anon = await new GraphQLClient(t.url).raw(introspect);
    expect(anon.data?.__schema).toBeUndefined();
    expect(anon.errors?.[0]?.message).toMatch(/introspection/i);

    const tech = await (await t.seed.technician()).signIn();
    expect((await tech.raw(introspect)).errors?.[0]?.message).toMatch(/introspection/i);
    expect((await tech.raw('{ __type(name: "IncomingEmailServer") { fields { name } } }')).errors?.[0]?.message).toMatch(/introspection/i);
    expect((await t.admin.raw(introspect)).data.__schema.types.length).toBeGreaterThan(50);

    const page = (headers: Record<string, string>) => fetch(`${t.url}/graphql`, { headers: { accept: 'text/html', ...headers } });
    expect(await (await page({})).text()).not.toMatch(/graphiql/i);
    expect(await (await page({ cookie })).text()).toMatch(/graphiql/i);
  });

  it('refuses NUL characters and unpaired surrogates in any string argument with a typed error', async () => {
    const r = await t.admin.execute(CreateCategory, { name: 'bad\u0000name' });
    expect(r.createCategory).toEqual({ __typename: 'ValidationError', fieldErrors: [{ path: ['name'], message: 'must not contain NUL characters' }] });
    const nested = await t.admin.execute(CreateServer, {
      input: { name: 'x', email: 'a@b.example', protocol: 'IMAP', host: 'h', filter: { type: 'ALLOW', keywords: ['ok', 'lone \ud800'] } },
    });
    expect(nested.createIncomingEmailServer).toEqual({ __typename: 'ValidationError', fieldErrors: [{ path: ['input', 'filter', 'keywords', '1'] }] });
    // Fields without a result union answer with a typed error, not "Unexpected error".
    const plain = await t.admin.raw('query($s: String) { tickets(after: $s) { totalCount } }', { s: '\u0000' });
    expect(plain.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await alive(t.url);
  });

  it('refuses an over-long email address with a typed error wherever one is typed, and stores none of it', async () => {
    const db = t.app.services.db;
    const [requester] = await db.insert(requesters).values({ email: 'long-cc@customer.example' }).returning();
    const [ticket] = await db.insert(tickets).values({ subject: 'Long cc', description: 'x', requesterId: requester!.id }).returning();
    const technician = await t.seed.technician();
    const kinds = '__typename ... on ValidationError { fieldErrors { path message } }';
    const attempts: [string, (address: string) => Promise<GqlResponse>][] = [
      ['signIn', (a) => new GraphQLClient(t.url).raw(`mutation($a: String!) { signIn(email: $a, password: "x") { ${kinds} } }`, { a })],
      ['createUser', (a) => t.admin.raw(`mutation($a: String!) { createUser(email: $a, name: "Long", password: "long-enough-1") { ${kinds} } }`, { a })],
      ['updateUser', (a) => t.admin.raw(`mutation($id: ID!, $a: String!) { updateUser(id: $id, input: { email: $a }) { ${kinds} } }`, { id: technician.id, a })],
      ['createIncomingEmailServer', (a) => t.admin.raw(`mutation($a: String!) { createIncomingEmailServer(input: { name: "Long", email: $a, protocol: IMAP, host: "imap.example.test" }) { ${kinds} } }`, { a })],
      ['filter emails', (a) => t.admin.raw(`mutation($a: String!) { createIncomingEmailServer(input: { name: "Long", email: "ok@example.test", protocol: IMAP, host: "imap.example.test", filter: { type: ALLOW, emails: [$a] } }) { ${kinds} } }`, { a })],
      ['createOutgoingServer', (a) => t.admin.raw(`mutation($a: String!) { createOutgoingServer(input: { name: "Long", host: "smtp.example.test", fromAddress: $a }) { ${kinds} } }`, { a })],
      ['replyToTicket cc', (a) => t.admin.raw(`mutation($id: ID!, $a: String!) { replyToTicket(ticketId: $id, input: { body: "Hello", cc: [$a] }) { ${kinds} } }`, { id: ticket!.id, a })],
    ];
    // 255 characters is one over RFC 5321's limit; the others are sizes a btree index refuses.
    for (const length of [255, 3_000, 300_000]) {
      const address = `${'a'.repeat(length - '@customer.example'.length)}@customer.example`;
      for (const [name, attempt] of attempts) {
        const res = await attempt(address);
        expect(res.errors, `${name} (${length})`).toBeUndefined();
        const result = Object.values(res.data!)[0] as { __typename: string; fieldErrors: { message: string }[] };
        expect(result.__typename, `${name} (${length})`).toBe('ValidationError');
        // The message names the limit; it does not echo the input back.
        for (const e of result.fieldErrors) expect(e.message.length, name).toBeLessThan(200);
      }
    }
    await alive(t.url);
  });

  it('refuses a query nested deeper than 12 fields, however it is written, and counts fields, not fragments', async () => {
    // Ticket.previousTicket makes a chain as deep as asked; every field counts, the leaf too:
    // tickets › edges › node › previousTicket … › id.
    const chain = (levels: number) => `{ tickets(first: 1) { edges { node { ${'previousTicket { '.repeat(levels - 4)}id${' }'.repeat(levels - 4)} } } } }`;
    const depthError = /depth/i;
    expect((await t.admin.raw(chain(12))).errors).toBeUndefined();
    expect((await t.admin.raw(chain(13))).errors?.[0]?.message).toMatch(depthError);
    // The same 13 levels hidden in fragments are still 13.
    const viaFragments = `{ tickets(first: 1) { edges { node { ...A } } } }
      fragment A on Ticket { previousTicket { ... on Ticket { previousTicket { ...B } } } }
      fragment B on Ticket { ${'previousTicket { '.repeat(7)}id${' }'.repeat(7)} }`;
    expect((await t.admin.raw(viaFragments)).errors?.[0]?.message).toMatch(depthError);
    // Fragments add no level: twenty nested inline fragments around two fields are a depth of 2.
    const fragmentsOnly = `{ me { ${'... on User { '.repeat(20)}id${' }'.repeat(20)} } }`;
    expect((await t.admin.raw(fragmentsOnly)).errors).toBeUndefined();
    // A fragment cycle is refused by validation, without looping.
    const cycle = '{ me { ...A } } fragment A on User { technicianGroups { members { ...A } } }';
    expect((await t.admin.raw(cycle)).errors?.length).toBeGreaterThan(0);
    await alive(t.url);
  });
});

describe('the session cookie over https', () => {
  it('is Secure whenever PUBLIC_URL is https', async () => {
    const t = await startTestApp({ pollers: false, env: { PUBLIC_URL: 'https://help.example.com' } });
    try {
      const res = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `mutation { signIn(email: "${ADMIN.email}", password: "${ADMIN.password}") { __typename } }` }),
      });
      expect((res.headers.get('set-cookie') ?? '').split(/;\s*/)).toContain('Secure');
      // Only https://help.example.com itself may send the cookie cross-origin, not an http:// page under that name.
      const preflight = await fetch(`${t.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'http://help.example.com', 'access-control-request-method': 'POST' } });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await t.stop();
    }
  });
});
