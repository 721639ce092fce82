import type { ServerResponse } from 'node:http';
import { sendEml } from '../../lib/eml-response.js';
import type { Services } from '../../services.js';
import type { Viewer } from '../auth/auth.service.js';

/** GET /api/messages/:id/raw — a ticket message's .eml, for whoever may see the ticket; otherwise 404, as if it didn't exist. */
export async function serveMessageRaw(services: Services, viewer: Viewer | null, res: ServerResponse, id: string): Promise<void> {
  if (!viewer) return void res.writeHead(401).end();
  const found = await services.tickets.rawMessage(viewer, id);
  if (!found) return void res.writeHead(404).end();
  sendEml(res, found.raw, `message-${id}.eml`);
}
