// The SPA's files as the server sends them (sirv): precompressed variants by Accept-Encoding,
// caching headers, the CSP on index.html, the SPA fallback for client routes, and hostile URLs
// and cookies answered without taking the process down.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../server/src/lib/request-auth.ts';
import { removeDir, startTestApp, type TestApp } from '../testkit/app.ts';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-C0ffee12.js"></script></head><body><div id="app"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('mailroom '.repeat(400))});`;

let web: string;
let t: TestApp;

beforeAll(async () => {
  // A build's shape: index.html and hashed assets, each text file with its .br and .gz.
  web = mkdtempSync(path.join(tmpdir(), 'mailroom-web-'));
  mkdirSync(path.join(web, 'assets'));
  for (const [name, text] of [['index.html', INDEX], ['assets/index-C0ffee12.js', SCRIPT]] as const) {
    writeFileSync(path.join(web, name), text);
    writeFileSync(path.join(web, `${name}.br`), brotliCompressSync(text));
    writeFileSync(path.join(web, `${name}.gz`), gzipSync(text));
  }
  writeFileSync(path.join(web, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  t = await startTestApp({ pollers: false, env: { MAILROOM_WEB_DIST: web } });
});

afterAll(async () => {
  await t?.stop();
  removeDir(web);
});

interface RawResponse { status: number; headers: Record<string, string>; body: Buffer }

/** One HTTP/1.1 request with the target exactly as given (fetch would normalise it). */
function raw(target: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to GET ${target}`)));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = all.subarray(0, split).toString('latin1').split('\r\n');
      resolve({
        status: Number(statusLine!.split(' ')[1]),
        headers: Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()])),
        body: all.subarray(split + 4),
      });
    });
    const head = Object.entries({ host: '127.0.0.1', connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`GET ${target} HTTP/1.1\r\n${head}\r\n`);
  });
}

describe('static files', () => {
  it('sends index.html with the CSP, revalidated on every load', async () => {
    const res = await raw('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body.toString()).toBe(INDEX);
  });

  it('answers client-side routes with index.html (SPA fallback), CSP included', async () => {
    for (const route of ['/requests/42', '/admin/incoming-servers?oauth=error', '/signin']) {
      const res = await raw(route);
      expect(res.status, route).toBe(200);
      expect(res.body.toString(), route).toBe(INDEX);
      expect(res.headers['content-security-policy'], route).toContain("default-src 'self'");
      expect(res.headers['cache-control'], route).toBe('no-cache');
    }
  });

  it('sends hashed assets precompressed by Accept-Encoding and cached for a year', async () => {
    const asset = '/assets/index-C0ffee12.js';
    const br = await raw(asset, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/^text\/javascript/);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(brotliDecompressSync(br.body).toString()).toBe(SCRIPT);
    expect(br.body.length).toBeLessThan(SCRIPT.length / 10);

    const gz = await raw(asset, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(SCRIPT);

    const plain = await raw(asset);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);

    const index = await raw('/', { 'accept-encoding': 'br' });
    expect(index.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(index.body).toString()).toBe(INDEX);
  });

  it('follows the q-values of Accept-Encoding: a refused encoding is never sent', async () => {
    const asset = '/assets/index-C0ffee12.js';
    const cases: [string, string | undefined][] = [
      ['br;q=0, gzip', 'gzip'],
      ['gzip;q=0, br;q=0', undefined],
      ['gzip;q=0', undefined],
      ['BR;Q=0, GZIP;q=0.3', 'gzip'],
      ['br;q=0.2, gzip;q=0.9', 'gzip'],
      ['gzip;q=0.9, br;q=0.2, *;q=0', 'gzip'],
      ['gzip, deflate, br, zstd', 'br'],
      ['*', 'br'],
      ['*;q=0.5, br;q=0', 'gzip'],
      ['identity', undefined],
      ['br;q=nonsense', undefined],
      ['', undefined],
      [`${'x, '.repeat(2000)}gzip`, 'gzip'],
    ];
    for (const [accept, encoding] of cases) {
      const res = await raw(asset, { 'accept-encoding': accept });
      const label = accept.slice(0, 40);
      expect(res.status, label).toBe(200);
      expect(res.headers['content-encoding'], label).toBe(encoding);
      const text = encoding === 'br' ? brotliDecompressSync(res.body) : encoding === 'gzip' ? gunzipSync(res.body) : res.body;
      expect(text.toString(), label).toBe(SCRIPT);
    }
  });

  it('does not send the precompressed files by their own names', async () => {
    for (const target of ['/assets/index-C0ffee12.js.br', '/assets/index-C0ffee12.js.gz', '/index.html.br', '/index.html%2Egz', '/assets/index-C0ffee12.js.BR?x=1']) {
      const res = await raw(target, { 'accept-encoding': 'br, gzip' });
      expect(res.status, target).toBe(404);
      expect(res.headers['content-encoding'], target).toBeUndefined();
    }
  });

  it('answers a missing asset with 404, not index.html', async () => {
    expect((await raw('/assets/index-Missing1.js')).status).toBe(404);
  });

  it('survives malformed and hostile URLs and cookies, and keeps serving', async () => {
    const staticTargets = [
      '/%E0%A4%A', '/%', '/%%', '/%zz', '/%E0%A4%A/deeper', '/assets/%E0%A4%A.js', '/%C0%AE%C0%AE/%C0%AE%C0%AE/etc/passwd',
      '/../../../../etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '//[', '//etc/passwd', `/${'a'.repeat(4000)}`,
    ];
    for (const target of staticTargets) {
      const res = await raw(target);
      expect([200, 400, 404], target).toContain(res.status);
      if (res.status === 200) expect(res.body.toString(), target).toBe(INDEX);
    }
    for (const target of ['/graphql?query=%E0%A4%A', '/api/attachments/%E0%A4%A', '/oauth/callback?code=%E0%A4%A&state=%']) {
      expect((await raw(target)).status, target).toBeLessThan(500);
    }
    // A session cookie that is not valid percent-encoding, on every route that reads it.
    const cookie = `${SESSION_COOKIE}=%E0%A4%A; other=%`;
    for (const target of ['/api/attachments/00000000-0000-4000-8000-000000000000', '/graphql?query=%7B__typename%7D', '/oauth/callback']) {
      const res = await raw(target, { cookie });
      expect(res.status, target).toBeLessThan(500);
    }
    const alive = await raw('/healthz');
    expect(alive.status).toBe(200);
    expect(alive.body.toString()).toContain('"status":"ok"');
    expect((await raw('/')).body.toString()).toBe(INDEX);
  });
});
