import type { ServerResponse } from 'node:http';

/** A stored message as an .eml download: never rendered, never cached by anyone but the browser. */
export function sendEml(res: ServerResponse, raw: Buffer, filename: string): void {
  res.writeHead(200, {
    'content-type': 'message/rfc822',
    'content-disposition': `attachment; filename="${filename}"`,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'cache-control': 'private, no-store',
  });
  res.end(raw);
}
