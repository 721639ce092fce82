import { builder } from './builder.js';
import './errors.js';
import '../modules/auth/auth.schema.js';
import '../modules/catalog/catalog.schema.js';
import '../modules/health/health.schema.js';
import '../modules/incoming-servers/incoming-server.schema.js';
import '../modules/tickets/ticket.schema.js';
import '../modules/email-audit/email-audit.schema.js';

export const schema = builder.toSchema({ sortSchema: true });
