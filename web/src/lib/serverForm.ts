import type {
  EmailAuthType,
  EmailProvider,
  FilterType,
  IncomingEmailServerFieldsFragment,
  IncomingEmailServerInput,
  MailProtocol,
  SecurityType,
} from '@/graphql/generated/graphql';
import { formatList, parseList } from '@/lib/lists';
import { defaultOAuthScope } from '@/lib/oauthDefaults';
import { defaultPort } from '@/lib/portDefaults';

export const DEFAULT_POLL_INTERVAL_SECONDS = 120;

export interface OAuthForm {
  clientId: string;
  clientSecret: string;
  authorizationUrl: string;
  tokenUrl: string;
  scope: string;
  redirectUrl: string;
  /** Legacy (8.0-style) setting: not editable, carried through so a save keeps it. */
  tenantId: string;
}

export interface ServerFormState {
  name: string;
  email: string;
  protocol: MailProtocol;
  provider: EmailProvider;
  host: string;
  port: string;
  security: SecurityType;
  authType: EmailAuthType;
  username: string;
  password: string;
  oauth: OAuthForm;
  technicianGroupId: string;
  categoryId: string;
  enabled: boolean;
  primary: boolean;
  realTimeScanning: boolean;
  allowSelfSignedCertificate: boolean;
  pollIntervalSeconds: string;
  filterType: FilterType | '';
  filterEmails: string;
  filterDomains: string;
  filterKeywords: string;
}

/** Every name a field error can be matched against (see lib/fieldErrors.ts). */
export const serverFormFieldNames = [
  'name',
  'email',
  'protocol',
  'provider',
  'host',
  'port',
  'security',
  'authType',
  'username',
  'password',
  'oauth',
  'oauth.clientId',
  'oauth.clientSecret',
  'oauth.authorizationUrl',
  'oauth.tokenUrl',
  'oauth.scope',
  'oauth.redirectUrl',
  'clientId',
  'clientSecret',
  'authorizationUrl',
  'tokenUrl',
  'scope',
  'redirectUrl',
  'technicianGroupId',
  'categoryId',
  'enabled',
  'primary',
  'realTimeScanning',
  'allowSelfSignedCertificate',
  'pollIntervalSeconds',
  'filter',
  'filter.type',
  'filter.emails',
  'filter.domains',
  'filter.keywords',
  'emails',
  'domains',
  'keywords',
] as const;

export function isProviderManaged(provider: EmailProvider): boolean {
  return provider === 'MICROSOFT';
}

export function usesOAuth(state: Pick<ServerFormState, 'provider' | 'authType'>): boolean {
  return isProviderManaged(state.provider) || state.authType === 'OAUTH';
}

export function emptyServerForm(): ServerFormState {
  return {
    name: '',
    email: '',
    protocol: 'IMAP',
    provider: 'OTHER',
    host: '',
    port: String(defaultPort('IMAP', 'SSL')),
    security: 'SSL',
    authType: 'BASIC',
    username: '',
    password: '',
    oauth: {
      clientId: '',
      clientSecret: '',
      authorizationUrl: '',
      tokenUrl: '',
      scope: defaultOAuthScope('OTHER', 'IMAP') ?? '',
      redirectUrl: '',
      tenantId: '',
    },
    technicianGroupId: '',
    categoryId: '',
    enabled: true,
    primary: false,
    realTimeScanning: false,
    allowSelfSignedCertificate: false,
    pollIntervalSeconds: String(DEFAULT_POLL_INTERVAL_SECONDS),
    filterType: '',
    filterEmails: '',
    filterDomains: '',
    filterKeywords: '',
  };
}

export function serverFormFrom(server: IncomingEmailServerFieldsFragment): ServerFormState {
  const base = emptyServerForm();
  const security = server.security ?? base.security;
  return {
    ...base,
    name: server.name,
    email: server.email,
    protocol: server.protocol,
    provider: server.provider,
    host: server.host ?? '',
    port: server.port != null ? String(server.port) : String(defaultPort(server.protocol, security)),
    security,
    authType: server.authType ?? base.authType,
    username: server.username && server.username !== server.email ? server.username : '',
    oauth: {
      clientId: server.oauth?.clientId ?? '',
      clientSecret: '',
      authorizationUrl: server.oauth?.authorizationUrl ?? '',
      tokenUrl: server.oauth?.tokenUrl ?? '',
      scope: server.oauth?.scope ?? '',
      redirectUrl: server.oauth?.redirectUrl ?? '',
      tenantId: server.oauth?.tenantId ?? '',
    },
    technicianGroupId: server.technicianGroup?.id ?? '',
    categoryId: server.category?.id ?? '',
    enabled: server.enabled,
    primary: server.primary,
    realTimeScanning: server.realTimeScanning,
    allowSelfSignedCertificate: server.allowSelfSignedCertificate,
    pollIntervalSeconds: String(server.pollIntervalSeconds),
    filterType: server.filter?.type ?? '',
    filterEmails: formatList(server.filter?.emails),
    filterDomains: formatList(server.filter?.domains),
    filterKeywords: formatList(server.filter?.keywords),
  };
}

/** Combinations the server refuses (SPEC §2, §3); the form disables them up front. */
export function protocolAllowed(provider: EmailProvider, protocol: MailProtocol): boolean {
  if (provider === 'MICROSOFT') return protocol !== 'POP3';
  if (provider === 'GOOGLE') return protocol === 'IMAP' || protocol === 'POP3';
  return true;
}

export function authTypeAllowed(protocol: MailProtocol, authType: EmailAuthType): boolean {
  return !(protocol === 'POP3' && authType === 'OAUTH');
}

/** A port the admin typed is kept; one equal to the protocol/security default follows them. */
export function portIsCustom(state: Pick<ServerFormState, 'port' | 'protocol' | 'security'>): boolean {
  const trimmed = state.port.trim();
  return trimmed !== '' && trimmed !== String(defaultPort(state.protocol, state.security));
}

export interface LocalCheck {
  input: IncomingEmailServerInput | null;
  errors: { path: string[]; message: string }[];
}

function parseWholeNumber(text: string): number | null | 'invalid' {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : 'invalid';
}

const blankToNull = (value: string): string | null => (value.trim() === '' ? null : value.trim());

/**
 * Builds the mutation input. Secrets are only sent when typed, so an edit that leaves them
 * empty keeps what the server has stored.
 */
export function serverInputFrom(state: ServerFormState): LocalCheck {
  const errors: LocalCheck['errors'] = [];
  if (!state.name.trim()) errors.push({ path: ['name'], message: 'Enter a name.' });
  if (!state.email.trim()) errors.push({ path: ['email'], message: 'Enter the mailbox email address.' });

  const managed = isProviderManaged(state.provider);
  const port = managed ? null : parseWholeNumber(state.port);
  if (port === 'invalid') errors.push({ path: ['port'], message: 'Port must be a whole number.' });
  const poll = parseWholeNumber(state.pollIntervalSeconds);
  if (poll === 'invalid') {
    errors.push({ path: ['pollIntervalSeconds'], message: 'Poll interval must be a whole number of seconds.' });
  }
  if (errors.length > 0) return { input: null, errors };

  // OAuth settings are replaced as a whole on save, so every filled-in value is sent.
  const oauth = usesOAuth(state)
    ? Object.fromEntries(
        Object.entries(state.oauth)
          .map(([key, value]) => [key, value.trim()] as const)
          .filter(([, value]) => value !== ''),
      )
    : null;

  const input: IncomingEmailServerInput = {
    name: state.name.trim(),
    email: state.email.trim(),
    protocol: state.protocol,
    provider: state.provider,
    host: managed ? null : blankToNull(state.host),
    port: port === 'invalid' ? null : port,
    security: managed ? null : state.security,
    authType: managed ? 'OAUTH' : state.authType,
    username: blankToNull(state.username),
    technicianGroupId: state.technicianGroupId || null,
    categoryId: state.categoryId || null,
    enabled: state.enabled,
    primary: state.primary,
    realTimeScanning: state.realTimeScanning,
    allowSelfSignedCertificate: state.allowSelfSignedCertificate,
    pollIntervalSeconds: poll === 'invalid' || poll === null ? DEFAULT_POLL_INTERVAL_SECONDS : poll,
    filter: state.filterType
      ? {
          type: state.filterType,
          emails: parseList(state.filterEmails),
          domains: parseList(state.filterDomains),
          keywords: parseList(state.filterKeywords, { commas: false }),
        }
      : null,
  };
  if (!usesOAuth(state) && state.password !== '') input.password = state.password;
  if (oauth && Object.keys(oauth).length > 0) input.oauth = oauth;
  return { input, errors };
}
