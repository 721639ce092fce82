import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { messages } from '../../db/schema.js';
import { httpFetch } from '../../mail/http-client.js';
import { isUuid } from '../../lib/uuid.js';

/** Raster types a browser decodes without running anything; SVG (scriptable) is not one of them. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp', 'image/x-icon', 'image/vnd.microsoft.icon']);
const MAX_BYTES = 5 * 1024 * 1024;
const TIMEOUT_MS = 10_000;

/**
 * The first bytes each type starts with. Checked by hand rather than with file-type: eight
 * fixed signatures, and the proxy must not pull in a parser for every format there is.
 */
const SIGNATURES: Record<string, (b: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => /^GIF8[79]a/.test(b.subarray(0, 6).toString('latin1')),
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  'image/avif': (b) => b.subarray(4, 8).toString('latin1') === 'ftyp',
  'image/bmp': (b) => b.subarray(0, 2).toString('latin1') === 'BM',
  'image/x-icon': (b) => b.readUInt32BE(0) === 0x00000100,
  'image/vnd.microsoft.icon': (b) => b.readUInt32BE(0) === 0x00000100,
};

export type RemoteImage =
  | { ok: true; contentType: string; body: Buffer }
  | { ok: false; status: 400 | 404 | 502; reason: string };

/** The remote image URLs of sanitized mail HTML, in document order (what data-remote-src holds). */
export function remoteImageUrls(html: string | null): string[] {
  if (!html) return [];
  return [...html.matchAll(/\sdata-remote-src="([^"]*)"/g)].map((m) => m[1]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
}

/**
 * Remote images of a message, fetched by Mailroom on a technician's request so the sender's
 * server sees Mailroom, never the technician (address, cookies, Referer, the time they read it).
 * Only URLs that message's HTML names can be fetched — never an open proxy — and only from public
 * addresses (the address guard with publicOnly, at connect time), same-origin redirects only,
 * raster images only, at most 5 MB.
 */
export class RemoteImageService {
  constructor(private readonly db: Db, private readonly opts: { allowLoopback: boolean }) {}

  /** The message's ticket, to check who may see it; undefined when there is no such message. */
  async ticketOf(messageRowId: string): Promise<{ ticketId: string | null } | undefined> {
    if (!isUuid(messageRowId)) return undefined;
    const [row] = await this.db.select({ ticketId: messages.ticketId }).from(messages).where(eq(messages.id, messageRowId));
    return row;
  }

  async fetch(messageRowId: string, index: number): Promise<RemoteImage> {
    if (!isUuid(messageRowId)) return { ok: false, status: 404, reason: 'no such message' };
    const [row] = await this.db.select({ html: messages.bodyHtml }).from(messages).where(eq(messages.id, messageRowId));
    const url = remoteImageUrls(row?.html ?? null)[index];
    if (!url) return { ok: false, status: 404, reason: 'no such image in this message' };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { ok: false, status: 400, reason: 'not a URL' };
    }
    if (!/^https?:$/.test(target.protocol) || target.username || target.password) return { ok: false, status: 400, reason: 'only plain http(s) URLs are fetched' };
    // Web servers only: no mail, database or admin ports of a public host (tests run on loopback ports).
    if (target.port && !['80', '443'].includes(target.port) && !this.opts.allowLoopback) return { ok: false, status: 400, reason: 'only the standard web ports are fetched' };
    try {
      const res = await httpFetch(target, {
        method: 'GET',
        headers: { accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9', 'user-agent': 'Mailroom image proxy' },
      }, { guard: { allowLoopback: this.opts.allowLoopback, publicOnly: true }, redirects: 'same-origin', timeoutMs: TIMEOUT_MS });
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (res.status !== 200 || !IMAGE_TYPES.has(type) || Number(res.headers.get('content-length') ?? 0) > MAX_BYTES) {
        await res.body?.cancel().catch(() => {});
        return { ok: false, status: 502, reason: res.status !== 200 ? `the image server answered ${res.status}` : !IMAGE_TYPES.has(type) ? `not an image (${type || 'no type'})` : 'larger than 5 MB' };
      }
      const body = await readCapped(res.body as unknown as AsyncIterable<Uint8Array> | null, MAX_BYTES);
      if (!body) return { ok: false, status: 502, reason: 'larger than 5 MB' };
      if (!SIGNATURES[type]!(body)) return { ok: false, status: 502, reason: `the content is not a ${type} image` };
      return { ok: true, contentType: type, body };
    } catch (err) {
      return { ok: false, status: 502, reason: (err as Error).message.slice(0, 200) };
    }
  }
}

async function readCapped(body: AsyncIterable<Uint8Array> | null, max: number): Promise<Buffer | null> {
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    // Leaving the loop ends the iterator, which cancels the download.
    if (size > max) return null;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
