import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AttachmentStore, contentDisposition, normalizeContentType, sanitizeFilename, servedContentType } from '../../server/src/ingest/attachments.ts';
import { cidMap, rewriteCidImages } from '../../server/src/ingest/inline-images.ts';
import type { Db } from '../../server/src/db/client.ts';

const dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-attachments-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const file = (filename: string | null, content: string, extra: Partial<{ contentType: string; contentId: string; inline: boolean }> = {}) => ({
  filename, content: Buffer.from(content), size: Buffer.byteLength(content), contentType: extra.contentType ?? 'application/octet-stream',
  contentId: extra.contentId ?? null, inline: extra.inline ?? false,
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
}

describe('AttachmentStore', () => {
  // put/read never touch the database; the sweep does and is tested against a real one.
  const store = new AttachmentStore(dataDir, null as unknown as Db);

  it('stores under a random key, never under the given name, and reads it back', async () => {
    const { files, skipped, note } = await store.put([
      file('../../etc/passwd', 'root:x:0:0'), file('evil.html', '<script>alert(1)</script>', { contentType: 'text/html' }), file('C:\\Windows\\win.ini', 'ini'),
    ], 1024);
    expect(skipped).toEqual([]);
    expect(note).toBeNull();
    expect(files.map((f) => f.filename)).toEqual(['passwd', 'evil.html', 'win.ini']);
    for (const f of files) {
      expect(f.storageKey).toMatch(/^[0-9a-f]{32}$/);
      const onDisk = store.pathOf(f.storageKey);
      expect(onDisk).toBe(path.join(dataDir, 'attachments', f.storageKey.slice(0, 2), f.storageKey));
      expect(statSync(onDisk).mode & 0o777).toBe(0o600);
    }
    const all = filesUnder(path.join(dataDir, 'attachments'));
    expect(all.some((p) => /passwd|evil|win\.ini|\.html/.test(p))).toBe(false);
    expect(filesUnder(dataDir).every((p) => p.startsWith(path.join(dataDir, 'attachments') + path.sep))).toBe(true);
    expect((await store.read(files[0]!.storageKey))!.toString()).toBe('root:x:0:0');
    expect(files[1]!.contentType).toBe('text/html');
  });

  it('skips attachments over the size cap and says so', async () => {
    const { files, skipped, note } = await store.put([file('small.txt', 'ok'), file('big.iso', 'x'.repeat(2048))], 1024);
    expect(files.map((f) => f.filename)).toEqual(['small.txt']);
    expect(skipped).toEqual([{ filename: 'big.iso', size: 2048, reason: 'over the 1.0 KB limit' }]);
    expect(note).toBe('1 attachment not stored: big.iso (2.0 KB) is over the 1.0 KB limit');
  });

  it('refuses storage keys that are not ours', async () => {
    expect(await store.read('../../etc/passwd')).toBeNull();
    expect(await store.read('00'.repeat(16))).toBeNull();
    expect(() => store.pathOf('../x')).toThrow();
  });

  it('builds rows and a Content-ID map, and discards files', async () => {
    const { files } = await store.put([file('logo.png', 'png', { contentType: 'image/png', contentId: '<logo@x>', inline: true })], 1024);
    expect(store.rows(files, { messageRowId: 'm', ticketId: 't' })[0]).toMatchObject({ id: files[0]!.id, messageRowId: 'm', ticketId: 't', inline: true, contentId: '<logo@x>' });
    expect([...cidMap(files)]).toEqual([['logo@x', files[0]!.id]]);
    await store.discard(files);
    expect(await store.read(files[0]!.storageKey)).toBeNull();
  });
});

describe('names, types and dispositions', () => {
  it('sanitizes file names', () => {
    expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFilename('..')).toBeNull();
    expect(sanitizeFilename('\u202egnp.exe')).toBe('gnp.exe');
    expect(sanitizeFilename('a\r\nb.txt')).toBe('ab.txt');
    expect(sanitizeFilename('')).toBeNull();
    expect(sanitizeFilename('x'.repeat(500))!.length).toBe(200);
  });

  it('serves active content as application/octet-stream', () => {
    for (const t of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'text/xml', 'application/xml', 'application/javascript', 'text/javascript', 'application/x-shockwave-flash', 'multipart/related', 'weird', '']) {
      expect(servedContentType(t), t).toBe('application/octet-stream');
    }
    expect(servedContentType('image/PNG')).toBe('image/png');
    expect(servedContentType('application/pdf')).toBe('application/pdf');
    expect(servedContentType('text/plain; charset=iso-8859-1')).toBe('text/plain; charset=utf-8');
    expect(normalizeContentType('text/html; charset=utf-8')).toBe('text/html');
  });

  it('writes RFC 6266 Content-Disposition with a safe ASCII fallback', () => {
    expect(contentDisposition('attachment', 'Übersicht "Q3".pdf')).toBe(`attachment; filename="_bersicht _Q3_.pdf"; filename*=UTF-8''%C3%9Cbersicht%20%22Q3%22.pdf`);
    expect(contentDisposition('inline', null)).toBe(`inline; filename="file.bin"; filename*=UTF-8''file.bin`);
    expect(contentDisposition('attachment', null, 'image/jpeg')).toBe(`attachment; filename="image.jpg"; filename*=UTF-8''image.jpg`);
    expect(contentDisposition('attachment', "../a'b;c.txt")).toBe(`attachment; filename="a'b_c.txt"; filename*=UTF-8''a%27b%3Bc.txt`);
  });

  it('points cid images at the inline route and leaves the rest alone', () => {
    const html = '<p><img src="cid:logo@x" alt="l" /><img alt="r" src="cid:Part%201@X"><img src="cid:missing@x"><a href="cid:logo@x">x</a></p>';
    const out = rewriteCidImages(html, new Map([['logo@x', 'a1'], ['part 1@x', 'b2']]));
    expect(out).toBe('<p><img src="/api/attachments/a1?inline=1" alt="l" /><img alt="r" src="/api/attachments/b2?inline=1"><img src="cid:missing@x"><a href="cid:logo@x">x</a></p>');
    expect(rewriteCidImages('<img src="cid:logo@x">', { '<logo@x>': 'a1' })).toBe('<img src="/api/attachments/a1?inline=1">');
  });
});
