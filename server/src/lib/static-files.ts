import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import Negotiator from 'negotiator';
import sirv from 'sirv';

const CSP = "default-src 'self'; img-src 'self' data: cid:; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; frame-ancestors 'none'";

const PRECOMPRESSED = ['br', 'gzip'];

/**
 * sirv sends `.br` when the header merely contains "br" (likewise gzip), q-values ignored, so a
 * client that refused brotli (`br;q=0, gzip`) would get it anyway: the header is narrowed to the
 * one encoding the client ranks first among those we hold, brotli on a tie (negotiator, RFC 9110
 * §12.5.3), or emptied when it accepts neither (the plain file).
 */
function negotiateEncoding(req: IncomingMessage): void {
  if (req.headers['accept-encoding'] === undefined) return;
  req.headers['accept-encoding'] = new Negotiator(req).encoding(PRECOMPRESSED, { preferred: PRECOMPRESSED }) ?? '';
}

/** The `.br`/`.gz` siblings are sent only as an encoding of their file: asked for by name they would go out as the original type, undecodable. */
function namesPrecompressedFile(url: string | undefined): boolean {
  const pathname = (url ?? '/').split('?')[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return false;
  }
  return /\.(br|gz)$/i.test(decoded);
}

/**
 * Serves the built SPA with sirv: the `.br`/`.gz` files the web build wrote beside each asset
 * when the browser accepts them, hashed assets (`/assets/…`) cached for a year, and index.html —
 * also for every client-side route (SPA fallback) — revalidated on each load, with the CSP.
 * Malformed URLs (`/%E0%A4%A`) fall through to index.html rather than throwing. The encoding
 * follows the client's q-values; the precompressed files cannot be fetched by their own names.
 */
export function serveSpa(root: string) {
  let handler: ReturnType<typeof sirv> | null = null;
  return (req: IncomingMessage, res: ServerResponse): void => {
    // Production mode lists the files once, so the list is made on the first request after a build.
    if (!handler) {
      if (!existsSync(path.join(root, 'index.html'))) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('The web app is not built. Run `pnpm start` (or `pnpm --filter @mailroom/web build`).\n');
        return;
      }
      handler = sirv(root, {
        single: true,
        etag: true,
        gzip: true,
        brotli: true,
        setHeaders(res, pathname) {
          res.setHeader('x-content-type-options', 'nosniff');
          if (pathname.startsWith('/assets/')) {
            res.setHeader('cache-control', 'public, max-age=31536000, immutable');
          } else {
            res.setHeader('cache-control', 'no-cache');
            res.setHeader('content-security-policy', CSP);
          }
        },
      });
    }
    if (namesPrecompressedFile(req.url)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not found\n');
      return;
    }
    negotiateEncoding(req);
    handler(req, res);
  };
}
