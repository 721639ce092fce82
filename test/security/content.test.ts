// Stored secrets and mail HTML: what an attacker who controls a message or a database dump can try.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sanitizeMailHtml } from '../../server/src/ingest/sanitize.ts';
import { SecretBox } from '../../server/src/lib/secrets.ts';
import { storableText, unstorableTextReason } from '../../server/src/lib/text.ts';

describe('sealed secrets', () => {
  it('refuses a truncated authentication tag (GCM would accept 4 bytes without authTagLength)', () => {
    const box = new SecretBox(randomBytes(32));
    const [v, iv, tag, data] = box.seal('refresh-token-xyz').split(':') as [string, string, string, string];
    for (const bytes of [4, 8, 12, 15]) {
      const short = Buffer.from(tag, 'base64url').subarray(0, bytes).toString('base64url');
      expect(() => box.open([v, iv, short, data].join(':'))).toThrow();
    }
    expect(box.open([v, iv, tag, data].join(':'))).toBe('refresh-token-xyz');
  });
});

describe('links in mail HTML', () => {
  const shapes = [
    '<a href="https://evil.example/x">x</a>',
    '<A HREF="https://evil.example/x">x</A>',
    '<a href="https://evil.example/x" rel="opener">x</a>',
    '<a href="https://evil.example/x" target="_self" rel="">x</a>',
    '<p><a title="t" href="http://evil.example/?a=1&amp;b=2"><b>x</b></a></p>',
  ];
  for (const html of shapes) {
    it(`never leak the Referer or the opener: ${html}`, () => {
      const out = sanitizeMailHtml(html);
      const a = /<a\b[^>]*>/i.exec(out)?.[0] ?? '';
      expect(a).toMatch(/rel="noopener noreferrer nofollow"/);
      expect(a).toMatch(/target="_blank"/);
      expect(a).not.toMatch(/rel="opener"|target="_self"/);
    });
  }

  it('drops javascript: links and event handlers', () => {
    const out = sanitizeMailHtml('<a href="javascript:alert(1)" onclick="x()">x</a><img src=x onerror=alert(1)>');
    expect(out).not.toMatch(/javascript:|onclick|onerror/i);
  });
});

describe('text bound for PostgreSQL', () => {
  it('loses NUL characters and unpaired surrogates, keeps everything else', () => {
    expect(storableText('nul\u0000subject')).toBe('nulsubject');
    expect(storableText('a\ud800b')).toBe('a\ufffdb');
    expect(storableText('emoji 😀 und Umlaute äöü')).toBe('emoji 😀 und Umlaute äöü');
  });
  it('names why API input can not be stored', () => {
    expect(unstorableTextReason('ok')).toBeNull();
    expect(unstorableTextReason('a\u0000')).toMatch(/NUL/);
    expect(unstorableTextReason('\udc00')).toMatch(/surrogate/);
  });
});
