import type { ServerResponse } from 'node:http';
import type { Viewer } from '../auth/auth.service.js';
import { isTicketAdmin } from '../tickets/ticket-access.js';
import type { Services } from '../../services.js';

/**
 * Who may see a message's content: whoever may see its ticket (SPEC §10 visibility, the same rule as
 * attachments; out of reach answers like missing); a message that became no ticket only the admins.
 */
async function mayView(services: Services, viewer: Viewer, messageRowId: string): Promise<boolean> {
  const owner = await services.remoteImages.ticketOf(messageRowId);
  if (!owner) return false;
  if (!owner.ticketId) return isTicketAdmin(viewer);
  return Boolean(await services.tickets.getVisible(viewer, owner.ticketId));
}

/**
 * GET /api/messages/:id/remote-images/:n — the message's n-th remote image, fetched by Mailroom.
 * Served with nosniff and a sandboxing CSP, never cached beyond the viewer's browser.
 */
export async function serveRemoteImage(services: Services, viewer: Viewer | null, res: ServerResponse, messageRowId: string, index: number): Promise<void> {
  try {
    if (!viewer) return void res.writeHead(401).end();
    if (!(await mayView(services, viewer, messageRowId))) return void res.writeHead(404).end();
    const image = await services.remoteImages.fetch(messageRowId, index);
    const safety = { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox", 'cross-origin-resource-policy': 'same-origin', 'referrer-policy': 'no-referrer' };
    if (!image.ok) {
      services.logger.info({ messageRowId, index, reason: image.reason }, 'remote image not served');
      return void res.writeHead(image.status, { ...safety, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`Remote image not loaded: ${image.reason}\n`);
    }
    res.writeHead(200, { ...safety, 'content-type': image.contentType, 'content-length': String(image.body.length), 'content-disposition': 'inline', 'cache-control': 'private, max-age=3600' });
    res.end(image.body);
  } catch (err) {
    services.logger.error({ err, messageRowId }, 'remote image proxy failed');
    if (!res.headersSent) res.writeHead(500).end();
  }
}
