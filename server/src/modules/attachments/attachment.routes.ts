import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Viewer } from '../auth/auth.service.js';
import { isTicketAdmin } from '../tickets/ticket-access.js';
import { INLINE_IMAGE_TYPES, contentDisposition, servedContentType } from '../../ingest/attachments.js';
import type { Services } from '../../services.js';

/**
 * GET /api/attachments/:id — for whoever may see its ticket (SPEC §10 visibility; anything else is
 * a 404, as if it didn't exist); one on no ticket (quarantined mail) for admins only. Content that a
 * browser could run (HTML, SVG, XML, scripts, unknown types) goes out as application/octet-stream,
 * always as a download, with nosniff and a sandboxing CSP; `?inline=1` shows raster images only.
 */
export async function serveAttachment(services: Services, viewer: Viewer | null, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  try {
    if (!viewer) return void res.writeHead(401).end();
    const found = await services.attachments.get(id);
    const reachable = found && (found.ticketId ? await services.tickets.getVisible(viewer, found.ticketId) : isTicketAdmin(viewer));
    const row = reachable ? found : undefined;
    const file = row ? await services.attachments.open(row.storageKey) : null;
    if (!row || !file) return void res.writeHead(404).end();
    const wantsInline = new URL(req.url ?? '/', 'http://localhost').searchParams.get('inline') === '1';
    const inline = wantsInline && INLINE_IMAGE_TYPES.has(row.contentType);
    res.writeHead(200, {
      'content-type': inline ? row.contentType : servedContentType(row.contentType),
      'content-length': String(file.size),
      'content-disposition': contentDisposition(inline ? 'inline' : 'attachment', row.filename, row.contentType),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'private, max-age=300',
    });
    if (req.method === 'HEAD') {
      file.stream.destroy();
      return void res.end();
    }
    await pipeline(file.stream, res);
  } catch (err) {
    services.logger.error({ err, attachmentId: id }, 'attachment download failed');
    if (!res.headersSent) res.writeHead(500).end();
    else res.destroy();
  }
}
