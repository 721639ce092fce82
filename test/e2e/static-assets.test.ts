// The real web build as the server sends it: every asset index.html names comes precompressed
// (brotli, else gzip) with a year of immutable caching; index.html revalidates on every load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.ts';

describe('the built SPA over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('sends the hashed assets of index.html precompressed and immutable', async () => {
    const index = await fetch(`${t.url}/`, { headers: { 'accept-encoding': 'br' } });
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    const assets = [...(await index.text()).matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const [encoding, accept] of [['br', 'gzip, deflate, br'], ['gzip', 'gzip, deflate']] as const) {
      for (const asset of assets) {
        const res = await fetch(`${t.url}${asset}`, { headers: { 'accept-encoding': accept } });
        expect(res.status, asset).toBe(200);
        expect(res.headers.get('content-encoding'), `${asset} (${accept})`).toBe(encoding);
        expect(res.headers.get('cache-control'), asset).toBe('public, max-age=31536000, immutable');
        expect((await res.text()).length, asset).toBeGreaterThan(0);
      }
    }
  });
});
