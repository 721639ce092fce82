import { builder } from './builder.js';
import { answerDatabaseRefusals } from './database-refusals.js';
import { refuseUnstorableText } from './text-input.js';
import './errors.js';
import '../modules/auth/auth.schema.js';
import '../modules/catalog/catalog.schema.js';
import '../modules/health/health.schema.js';
import '../modules/incoming-servers/incoming-server.schema.js';
import '../modules/oauth/oauth.schema.js';
import '../modules/proxy-servers/proxy-server.schema.js';
import '../modules/tickets/ticket.schema.js';
import '../modules/tickets/ticket-work.schema.js';
import '../modules/tickets/ticket-live.schema.js';
import '../modules/catalog/ticket-lists.schema.js';
import '../modules/auth/people.schema.js';
import '../modules/email-audit/email-audit.schema.js';
import '../modules/email-preference/email-preference.schema.js';
import '../modules/rules/rule.schema.js';
import '../modules/rules/dry-run.schema.js';
import '../modules/outgoing-servers/outgoing-server.schema.js';
import '../modules/attachments/attachment.schema.js';
import '../modules/quarantine/quarantine.schema.js';
import '../modules/settings/settings.schema.js';
import '../modules/notifications/notification.schema.js';
import '../modules/config-audit/config-audit.schema.js';

// The text check runs first; the database refusals sit right around each root resolver.
export const schema = refuseUnstorableText(answerDatabaseRefusals(builder.toSchema({ sortSchema: true })));
