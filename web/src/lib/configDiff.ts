import type { RuleField, RuleOperator } from '@/graphql/generated/graphql';
import { ruleFieldLabels, ruleOperatorLabels, resolutionLabels } from '@/lib/labels';
import { formatDateTime } from '@/lib/relativeTime';
import { authTypeLabels, protocolLabels, providerLabels, securityLabels } from '@/lib/serverLabels';

export const REDACTED = '[redacted]';

/** A change value (JSON text or null) as people read it: strings unquoted, absent as "—". */
export function displayValue(json: string | null): { text: string; redacted: boolean; empty: boolean } {
  if (json === null) return { text: '—', redacted: false, empty: true };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { text: json, redacted: false, empty: false };
  }
  if (value === REDACTED) return { text: 'redacted', redacted: true, empty: false };
  if (value === null || value === '') return { text: '—', redacted: false, empty: true };
  if (typeof value === 'string') return { text: value, redacted: false, empty: false };
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) {
    return { text: value.length ? value.join(', ') : '—', redacted: false, empty: value.length === 0 };
  }
  return { text: JSON.stringify(value), redacted: false, empty: false };
}

/** The name of the changed thing, from whichever side has one. */
export function entityName(before: string | null, after: string | null): string | null {
  for (const json of [after, before]) {
    if (!json) continue;
    try {
      const value = JSON.parse(json) as unknown;
      if (value && typeof value === 'object' && 'name' in value && typeof value.name === 'string') return value.name;
    } catch {
      // Not JSON: nothing to show.
    }
  }
  return null;
}

export function prettyJson(json: string | null): string {
  if (!json) return '';
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}


/** What people call the settings the trail records (paths without list indices). */
const FIELD_LABELS: Record<string, string> = {
  name: 'Name', email: 'Email address', protocol: 'Protocol', provider: 'Email provider', host: 'Server', port: 'Port',
  security: 'Security type', authType: 'Auth type', username: 'Username', passwordSealed: 'Password', password: 'Password',
  oauthSecretsSealed: 'OAuth secrets', 'oauth.clientId': 'OAuth client ID', 'oauth.authorizationUrl': 'OAuth authorization URL',
  'oauth.tokenUrl': 'OAuth token URL', 'oauth.scope': 'OAuth scope', 'oauth.redirectUrl': 'OAuth redirect URL', 'oauth.tenantId': 'OAuth tenant ID',
  enabled: 'Enabled', primary: 'Primary', realTimeScanning: 'Real-time scanning', allowSelfSignedCertificate: 'Allow self-signed certificate',
  pollIntervalSeconds: 'Poll interval (seconds)', technicianGroupId: 'Technician group', categoryId: 'Category', companyId: 'Company',
  proxyServerId: 'Proxy server', outgoingServerId: 'Outgoing email server', pop3DeleteAfterSave: 'Delete from the POP3 server after saving',
  afterProcessing: 'After processing', moveToFolder: 'Move to folder', ewsUrl: 'EWS URL', oauthClientSecretExpiresAt: 'Client secret expires',
  filterType: 'Filter', filterEmails: 'Filter: emails', filterDomains: 'Filter: domains', filterKeywords: 'Filter: keywords',
  match: 'Apply when', conditions: 'Conditions', stopProcessing: 'Stop processing further rules', position: 'Position',
  'actions.technicianGroupId': 'Sets technician group', 'actions.categoryId': 'Sets category', 'actions.companyId': 'Sets company',
  'actions.priority': 'Sets priority', 'actions.requestType': 'Sets request type',
  type: 'Type', fromAddress: 'From address', fromName: 'From name',
  emailToTicket: 'Email to Ticket', duplicateWindowMinutes: 'Duplicate window (minutes)', maxMessageBytes: 'Largest message',
  maxAttachmentBytes: 'Largest attachment', perSenderHourlyCap: 'Requests per sender per hour', quarantineRetentionDays: 'Quarantine kept (days)',
  acknowledgmentSubject: 'Acknowledgment subject', acknowledgmentBody: 'Acknowledgment text', mspEnabled: 'Managed Services Provider',
  resolution: 'Resolution', resolvedAt: 'Resolved', reason: 'Reason', replacedBy: 'Replaced by',
};

/** Bookkeeping a reader does not need: ids, timestamps and counters Mailroom keeps for itself. */
const HIDDEN = new Set(['id', 'createdAt', 'credentialsVersion', 'needsReconfiguration', 'secretKeyCheck', 'messageRowId', 'serverId', 'resolvedByUserId']);

export function isShownChange(path: string): boolean {
  return !HIDDEN.has(path);
}

export function changeLabel(path: string): string {
  const known = FIELD_LABELS[path];
  if (known) return known;
  const last = path.split('.').at(-1) ?? path;
  const words = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const ENUM_WORDS: Record<string, Record<string, string>> = {
  protocol: protocolLabels,
  provider: providerLabels,
  security: securityLabels,
  authType: { ...authTypeLabels, NONE: 'None' },
  afterProcessing: { MARK_READ: 'Mark as read', MOVE: 'Move to folder' },
  filterType: { ALLOW: 'Allow only these', IGNORE: 'Ignore these' },
  match: { ALL: 'All conditions match', ANY: 'Any condition matches' },
  resolution: resolutionLabels,
  type: { SOCKS5: 'SOCKS5', HTTP: 'HTTP CONNECT' },
};

const BYTES = new Set(['maxMessageBytes', 'maxAttachmentBytes']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

interface Condition { field: RuleField; operator: RuleOperator; value: string }
const isCondition = (v: unknown): v is Condition => typeof v === 'object' && v !== null && 'field' in v && 'operator' in v && 'value' in v;

/**
 * A recorded value as people read it: names instead of ids (the server resolves them), words
 * instead of enum values, dates in the reader's time, rule conditions as sentences, secrets as
 * whether one was set.
 */
export function readableValue(path: string, json: string | null, name?: string | null): { text: string; redacted: boolean; empty: boolean } {
  const plain = displayValue(json);
  if (plain.redacted) return { text: 'set (hidden)', redacted: true, empty: false };
  if (plain.empty) return plain;
  if (name) return { text: name, redacted: false, empty: false };
  let value: unknown;
  try {
    value = JSON.parse(json!);
  } catch {
    return plain;
  }
  const key = path.split('.').at(-1) ?? path;
  if (typeof value === 'boolean') return { text: value ? 'Yes' : 'No', redacted: false, empty: false };
  if (typeof value === 'string' && ENUM_WORDS[key]?.[value]) return { text: ENUM_WORDS[key][value]!, redacted: false, empty: false };
  if (typeof value === 'string' && ISO.test(value)) return { text: formatDateTime(value), redacted: false, empty: false };
  if (typeof value === 'number' && BYTES.has(key)) return { text: `${Math.round(value / 1024 / 1024)} MB`, redacted: false, empty: false };
  if (Array.isArray(value) && value.every(isCondition)) {
    const text = value.map((c) => `${ruleFieldLabels[c.field] ?? c.field} ${ruleOperatorLabels[c.operator] ?? c.operator} “${c.value}”`).join('; ');
    return { text: text || '—', redacted: false, empty: value.length === 0 };
  }
  if (typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(value)) return { text: 'a deleted item', redacted: false, empty: false };
  return plain;
}
