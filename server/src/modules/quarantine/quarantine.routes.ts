import type { ServerResponse } from 'node:http';
import type { Viewer } from '../auth/auth.service.js';
import { sendEml } from '../../lib/eml-response.js';
import type { Services } from '../../services.js';

/** GET /api/quarantine/:id/raw — the raw .eml of a quarantined message, for admins. */
export async function serveQuarantinedRaw(services: Services, viewer: Viewer | null, res: ServerResponse, id: string): Promise<void> {
  try {
    if (!viewer?.canManageSupportChannels) return void res.writeHead(viewer ? 403 : 401).end();
    const found = await services.quarantine.raw(id);
    if (!found) return void res.writeHead(404).end();
    sendEml(res, found.raw, `quarantined-${id}.eml`);
  } catch (err) {
    services.logger.error({ err, quarantineId: id }, 'quarantine download failed');
    if (!res.headersSent) res.writeHead(500).end();
  }
}
