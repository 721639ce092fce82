import { parseList } from '@/lib/lists';
import { isProviderManaged, usesOAuth, type ServerFormState } from '@/lib/serverForm';

/**
 * The incoming server rules the server applies on save (server/src/modules/incoming-servers/
 * incoming-server.rules.ts), checked in the drawer so every problem shows at once, before a round
 * trip: same fields, same limits, mostly the same words. serverFormCheck.test.ts runs both on the
 * same forms so they stay in step; references to other rows (a deleted group) stay the server's.
 */
export interface StoredSecrets {
  password: boolean;
  clientSecret: boolean;
}

export type FormProblem = { path: string[]; message: string };

// The server's patterns (zod), as they are there.
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$|^\d{1,3}(?:\.\d{1,3}){3}$|^\[?[0-9a-fA-F:]+\]?$/;
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const EMAIL = /^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;

const MICROSOFT_HOSTS = /^(outlook\.office365\.com|outlook\.office\.com)$|\.(outlook|office365)\.com$/;

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** '' → null, digits → number, anything else → 'invalid'. */
function wholeNumber(text: string): number | null | 'invalid' {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : 'invalid';
}

export function checkServerForm(state: ServerFormState, stored: StoredSecrets = { password: false, clientSecret: false }): FormProblem[] {
  const problems: FormProblem[] = [];
  const fail = (path: string[], message: string) => problems.push({ path, message });

  const name = state.name.trim();
  if (!name) fail(['name'], 'Enter a name');
  else if (name.length > 200) fail(['name'], 'At most 200 characters');
  if (!EMAIL.test(state.email.trim())) fail(['email'], state.email.trim() ? 'Not a valid email address' : 'Enter the mailbox email address');

  const managed = isProviderManaged(state.provider);
  const host = state.host.trim();
  if (!managed) {
    const defaultedHost = (state.provider === 'GOOGLE' && (state.protocol === 'IMAP' || state.protocol === 'POP3')) || state.protocol === 'GRAPH';
    if (!host && !defaultedHost) fail(['host'], 'Enter the server address');
    else if (host && (host.length > 253 || !HOST.test(host))) fail(['host'], 'Not a valid host name or IP address');
    const port = wholeNumber(state.port);
    if (port === 'invalid') fail(['port'], 'Port must be a whole number');
    else if (port !== null && (port < 1 || port > 65535)) fail(['port'], 'Port must be between 1 and 65535');
  }

  const poll = wholeNumber(state.pollIntervalSeconds);
  if (poll === 'invalid') fail(['pollIntervalSeconds'], 'Poll interval must be a whole number of seconds');
  else if (poll !== null && poll < 10) fail(['pollIntervalSeconds'], 'At least 10 seconds');
  else if (poll !== null && poll > 86400) fail(['pollIntervalSeconds'], 'At most one day');

  const oauth = usesOAuth(state);
  if (!oauth && !managed && state.protocol !== 'POP3' && MICROSOFT_HOSTS.test(host.toLowerCase().replace(/\.$/, ''))) {
    fail(['authType'], 'Microsoft has turned off Basic authentication for Exchange Online: use OAuth (Sign in with Microsoft)');
  }
  if (!oauth && state.password === '' && !stored.password) fail(['password'], 'Enter the password (or app password)');
  if (oauth && state.provider === 'OTHER') {
    for (const key of ['clientId', 'authorizationUrl', 'tokenUrl', 'scope', 'redirectUrl'] as const) {
      const value = state.oauth[key].trim();
      if (!value) fail(['oauth', key], 'Required for OAuth');
      else if (key !== 'clientId' && key !== 'scope' && !isHttpUrl(value)) fail(['oauth', key], 'Must be an http(s) URL');
    }
    if (!state.oauth.clientSecret && !stored.clientSecret) fail(['oauth', 'clientSecret'], 'Required for OAuth');
  }
  if (state.protocol === 'EWS' && !managed && state.ewsUrl.trim() && !isHttpUrl(state.ewsUrl.trim())) fail(['ewsUrl'], 'Must be an http(s) URL');
  if (state.protocol !== 'POP3' && state.afterProcessing === 'MOVE' && !state.moveToFolder.trim()) {
    fail(['moveToFolder'], 'Name the folder to move processed mail to');
  }

  if (state.filterType) {
    parseList(state.filterEmails).forEach((email, i) => {
      if (!EMAIL.test(email)) fail(['filter', 'emails', String(i)], 'Not a valid email address');
    });
    parseList(state.filterDomains).forEach((domain, i) => {
      const d = domain.toLowerCase();
      if (d.includes('@')) fail(['filter', 'domains', String(i)], 'Enter a domain without the @ symbol');
      else if (!DOMAIN.test(d)) fail(['filter', 'domains', String(i)], 'Not a valid domain');
    });
    parseList(state.filterKeywords, { commas: false }).forEach((keyword, i) => {
      if (keyword.length > 200) fail(['filter', 'keywords', String(i)], 'At most 200 characters');
    });
  }
  return problems;
}

/** The fields the form must have filled for these settings, for their "required" marks. */
export function requiredFields(state: ServerFormState, stored: StoredSecrets): Set<string> {
  const required = new Set(['name', 'email']);
  const managed = isProviderManaged(state.provider);
  if (!managed && !(state.provider === 'GOOGLE' && state.protocol !== 'EWS') && state.protocol !== 'GRAPH') required.add('host');
  if (!usesOAuth(state) && !stored.password) required.add('password');
  if (state.protocol !== 'POP3' && state.afterProcessing === 'MOVE') required.add('moveToFolder');
  return required;
}
