import { describe, expect, it } from 'vitest';
import { mailDocument, remoteImageCount } from './mailHtml';

describe('mailDocument', () => {
  it('wraps the sanitized HTML and opens links outside the frame', () => {
    const doc = mailDocument('<p>Hello</p>');
    expect(doc).toContain('<base target="_blank">');
    expect(doc).toContain('<body><p>Hello</p></body>');
  });
  it('counts blocked remote images', () => {
    expect(remoteImageCount('<img data-remote-src="https://t.example/x.gif"><img src="/api/attachments/1?inline=1">')).toBe(1);
  });
});
