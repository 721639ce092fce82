import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages, requesters, tickets } from '../../server/src/db/schema.ts';
import { cidMap, rewriteCidImages } from '../../server/src/ingest/inline-images.ts';
import { graphql, startTestApp, type GraphQLClient, type TestApp } from '../testkit/app.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6300010000050001', 'hex');

describe('attachments', () => {
  let t: TestApp;
  let tech: GraphQLClient;
  let ticketId: string;
  let messageRowId: string;
  const ids: Record<string, string> = {};

  /** What the ingest transaction does with a parsed message's attachments, done here by hand. */
  async function storeMessageWith(items: { filename: string | null; contentType: string; content: Buffer; contentId?: string; inline?: boolean }[]) {
    const { db, attachments: store } = t.app.services;
    const [person] = await db.insert(requesters).values({ email: `${randomUUID()}@customer.example` }).returning();
    const [ticket] = await db.insert(tickets).values({ subject: 'With files', description: 'see attached', requesterId: person!.id }).returning();
    const put = await store.put(items.map((i) => ({ ...i, size: i.content.length, contentId: i.contentId ?? null, inline: i.inline ?? false })), 1024 * 1024);
    const html = rewriteCidImages('<p>Logo: <img src="cid:logo@customer.example" alt="logo"></p>', cidMap(put.files));
    const [message] = await db.transaction(async (tx) => {
      const inserted = await tx.insert(messages).values({
        sourceKey: `test:${randomUUID()}`, ticketId: ticket!.id, contentHash: randomUUID(), rawSize: 1, raw: Buffer.from('x'), bodyHtml: html, subject: 'With files',
      }).returning();
      await store.insert(tx, put.files, { messageRowId: inserted[0]!.id, ticketId: ticket!.id });
      return inserted;
    });
    return { ticketId: ticket!.id, messageRowId: message!.id, put, html };
  }

  const get = (id: string, query = '', token: string | null = t.admin.token) =>
    fetch(`${t.url}/api/attachments/${id}${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
    tech = await (await t.seed.technician({ email: 'tech-att@mailroom.test', name: 'Tech' })).signIn();
    const stored = await storeMessageWith([
      { filename: '../../etc/passwd', contentType: 'text/plain', content: Buffer.from('root:x:0:0\n') },
      { filename: 'evil.html', contentType: 'text/html', content: Buffer.from('<script>alert(document.cookie)</script>') },
      { filename: 'drawing.svg', contentType: 'image/svg+xml', content: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>') },
      { filename: 'logo.png', contentType: 'image/png', content: PNG, contentId: '<logo@customer.example>', inline: true },
      { filename: 'Übersicht "Q3".pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4') },
    ]);
    ticketId = stored.ticketId;
    messageRowId = stored.messageRowId;
    for (const f of stored.put.files) ids[f.filename!] = f.id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('stores files under random keys in the data directory, never under their names', () => {
    const root = path.join(t.dataDir, 'attachments');
    const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
    expect(files).toHaveLength(5);
    for (const f of files) expect(f).toMatch(/^[0-9a-f]{32}$/);
    expect(existsSync(path.join(t.dataDir, 'etc'))).toBe(false);
  });

  it('lists them on the ticket and the message over GraphQL, for technicians too', async () => {
    const q = graphql(`
      query TicketAttachments($id: ID!) {
        ticket(id: $id) { attachments { id filename contentType size inline url inlineUrl } messages { id bodyHtml attachments { filename } } }
      }
    `);
    const ticket = (await tech.execute(q, { id: ticketId })).ticket!;
    expect(ticket.attachments.map((a) => a.filename).sort()).toEqual(['drawing.svg', 'evil.html', 'logo.png', 'passwd', 'Übersicht "Q3".pdf']);
    const logo = ticket.attachments.find((a) => a.filename === 'logo.png');
    expect(logo).toEqual({ id: ids['logo.png'], filename: 'logo.png', contentType: 'image/png', size: PNG.length, inline: true, url: `/api/attachments/${ids['logo.png']}`, inlineUrl: `/api/attachments/${ids['logo.png']}?inline=1` });
    expect(ticket.attachments.find((a) => a.filename === 'evil.html')!.inlineUrl).toBeNull();
    expect(ticket.messages).toHaveLength(1);
    expect(ticket.messages[0]!.id).toBe(messageRowId);
    expect(ticket.messages[0]!.attachments).toHaveLength(5);
    expect(ticket.messages[0]!.bodyHtml).toBe(`<p>Logo: <img src="/api/attachments/${ids['logo.png']}?inline=1" alt="logo"></p>`);
  });

  it('serves active content as an octet-stream download with nosniff and a sandbox', async () => {
    for (const name of ['evil.html', 'drawing.svg']) {
      for (const query of ['', '?inline=1']) {
        const res = await get(ids[name]!, query);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type'), name + query).toBe('application/octet-stream');
        expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${name}"; filename*=UTF-8''${name}`);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('content-security-policy')).toContain('sandbox');
        await res.arrayBuffer();
      }
    }
    const passwd = await get(ids.passwd!, '', tech.token);
    expect(passwd.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(passwd.headers.get('content-disposition')).toBe(`attachment; filename="passwd"; filename*=UTF-8''passwd`);
    expect(await passwd.text()).toBe('root:x:0:0\n');
    const pdf = await get(ids['Übersicht "Q3".pdf']!);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toBe(`attachment; filename="_bersicht _Q3_.pdf"; filename*=UTF-8''%C3%9Cbersicht%20%22Q3%22.pdf`);
    await pdf.arrayBuffer();
  });

  it('shows raster images inline only when asked', async () => {
    const inline = await get(ids['logo.png']!, '?inline=1', tech.token);
    expect(inline.headers.get('content-type')).toBe('image/png');
    expect(inline.headers.get('content-disposition')).toBe(`inline; filename="logo.png"; filename*=UTF-8''logo.png`);
    expect(inline.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await inline.arrayBuffer())).toEqual(PNG);
    const download = await get(ids['logo.png']!);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment;/);
    await download.arrayBuffer();
  });

  it('answers 401 without a viewer and 404 for unknown ids', async () => {
    expect((await get(ids.passwd!, '', null)).status).toBe(401);
    expect((await get(randomUUID())).status).toBe(404);
    expect((await fetch(`${t.url}/api/attachments/..%2F..%2Fetc%2Fpasswd`, { headers: { authorization: `Bearer ${t.admin.token}` } })).status).toBe(404);
  });

  it('sweeps files whose rows never committed, once they are old', async () => {
    const store = t.app.services.attachments;
    const { files } = await store.put([{ filename: 'orphan.txt', contentType: 'text/plain', content: Buffer.from('lost'), size: 4, contentId: null, inline: false }], 1024);
    const orphan = store.pathOf(files[0]!.storageKey);
    expect(await store.sweepOrphans()).toBe(0); // young: its transaction may still be running
    const old = new Date(Date.now() - 2 * 86_400_000);
    utimesSync(orphan, old, old);
    const kept = (await t.app.services.db.query.attachments.findFirst())!;
    utimesSync(store.pathOf(kept.storageKey), old, old);
    expect(await store.sweepOrphans()).toBe(1);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(store.pathOf(kept.storageKey))).toBe(true);
  });
});
