import { describe, expect, it } from 'vitest';
import { mailDocument, remoteImageCount, withRemoteImages } from './mailHtml';

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

describe('withRemoteImages', () => {
  it('points every remote image at the proxy, numbered in document order', () => {
    const html = '<p><img data-remote-src="https://t.example/a.gif?x=1&amp;y=2" width="1200"><img src="/api/attachments/1?inline=1"><img alt="b" data-remote-src="http://cdn.example/b.png"></p>';
    expect(withRemoteImages(html, 'm-1')).toBe('<p><img src="/api/messages/m-1/remote-images/0" width="1200"><img src="/api/attachments/1?inline=1"><img alt="b" src="/api/messages/m-1/remote-images/1"></p>');
    expect(remoteImageCount(withRemoteImages(html, 'm-1'))).toBe(0);
  });
});
