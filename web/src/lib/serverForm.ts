import type {
  AfterProcessing,
  EmailAuthType,
  EmailProvider,
  FilterType,
  IncomingEmailServerFieldsFragment,
  IncomingEmailServerInput,
  MailProtocol,
  OAuthInput,
  SecurityType,
} from '@/graphql/generated/graphql';
import { formatList, parseList } from '@/lib/lists';
import { defaultOAuthScope } from '@/lib/oauthDefaults';
import { defaultPort } from '@/lib/portDefaults';

export const DEFAULT_POLL_INTERVAL_SECONDS = 120;
/** The server's REAL_TIME_CHECK_MS (server/src/mail/check-interval.ts); serverFormCheck.test.ts keeps them equal. */
export const REAL_TIME_CHECK_SECONDS = 15;

export interface OAuthForm {
  clientId: string;
  clientSecret: string;
  authorizationUrl: string;
  tokenUrl: string;
  scope: string;
  redirectUrl: string;
  /** Microsoft: narrows the sign-in to one tenant; also what 8.0-style imports carry. */
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
  /** yyyy-mm-dd, or empty. */
  oauthClientSecretExpiresAt: string;
  technicianGroupId: string;
  categoryId: string;
  companyId: string;
  proxyServerId: string;
  outgoingServerId: string;
  enabled: boolean;
  primary: boolean;
  realTimeScanning: boolean;
  allowSelfSignedCertificate: boolean;
  pollIntervalSeconds: string;
  pop3DeleteAfterSave: boolean;
  afterProcessing: AfterProcessing;
  moveToFolder: string;
  ewsUrl: string;
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
  'oauth.tenantId',
  'clientId',
  'clientSecret',
  'authorizationUrl',
  'tokenUrl',
  'scope',
  'redirectUrl',
  'tenantId',
  'oauthClientSecretExpiresAt',
  'technicianGroupId',
  'categoryId',
  'companyId',
  'proxyServerId',
  'outgoingServerId',
  'enabled',
  'primary',
  'realTimeScanning',
  'allowSelfSignedCertificate',
  'pollIntervalSeconds',
  'pop3DeleteAfterSave',
  'afterProcessing',
  'moveToFolder',
  'ewsUrl',
  'filter',
  'filter.type',
  'filter.emails',
  'filter.domains',
  'filter.keywords',
  'emails',
  'domains',
  'keywords',
] as const;

/** "Sign in with Microsoft": host, port, security and auth type are Microsoft's business. */
export function isProviderManaged(provider: EmailProvider): boolean {
  return provider === 'MICROSOFT';
}

export function usesOAuth(state: Pick<ServerFormState, 'provider' | 'authType' | 'protocol'>): boolean {
  if (state.protocol === 'POP3') return false;
  return isProviderManaged(state.provider) || state.protocol === 'GRAPH' || state.authType === 'OAUTH';
}

/** Microsoft and Google bring their own app registration; generic OAuth needs every setting. */
export function needsOwnOAuthApp(provider: EmailProvider): boolean {
  return provider === 'OTHER';
}

export function googleHost(protocol: MailProtocol): string {
  return protocol === 'POP3' ? 'pop.gmail.com' : 'imap.gmail.com';
}

export function emptyServerForm(provider: EmailProvider = 'OTHER'): ServerFormState {
  const protocol: MailProtocol = provider === 'MICROSOFT' ? 'GRAPH' : 'IMAP';
  return {
    name: '',
    email: '',
    protocol,
    provider,
    host: provider === 'GOOGLE' ? googleHost(protocol) : '',
    port: String(defaultPort(protocol, 'SSL')),
    security: 'SSL',
    authType: provider === 'OTHER' ? 'BASIC' : 'OAUTH',
    username: '',
    password: '',
    oauth: {
      clientId: '',
      clientSecret: '',
      authorizationUrl: '',
      tokenUrl: '',
      scope: defaultOAuthScope(provider, protocol) ?? '',
      redirectUrl: '',
      tenantId: '',
    },
    oauthClientSecretExpiresAt: '',
    technicianGroupId: '',
    categoryId: '',
    companyId: '',
    proxyServerId: '',
    outgoingServerId: '',
    enabled: true,
    primary: false,
    realTimeScanning: true,
    allowSelfSignedCertificate: false,
    pollIntervalSeconds: String(DEFAULT_POLL_INTERVAL_SECONDS),
    pop3DeleteAfterSave: true,
    afterProcessing: 'MARK_READ',
    moveToFolder: '',
    ewsUrl: '',
    filterType: '',
    filterEmails: '',
    filterDomains: '',
    filterKeywords: '',
  };
}

export function serverFormFrom(server: IncomingEmailServerFieldsFragment): ServerFormState {
  const base = emptyServerForm(server.provider);
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
    oauthClientSecretExpiresAt: server.oauthClientSecretExpiresAt?.slice(0, 10) ?? '',
    technicianGroupId: server.technicianGroup?.id ?? '',
    categoryId: server.category?.id ?? '',
    companyId: server.companyId ?? '',
    proxyServerId: server.proxyServerId ?? '',
    outgoingServerId: server.outgoingServerId ?? '',
    enabled: server.enabled,
    primary: server.primary,
    realTimeScanning: server.realTimeScanning,
    allowSelfSignedCertificate: server.allowSelfSignedCertificate,
    pollIntervalSeconds: String(server.pollIntervalSeconds),
    pop3DeleteAfterSave: server.pop3DeleteAfterSave,
    afterProcessing: server.afterProcessing,
    moveToFolder: server.moveToFolder ?? '',
    ewsUrl: server.ewsUrl ?? '',
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

/** POP3 is Basic only; Microsoft Graph is OAuth only. */
export function authTypeAllowed(protocol: MailProtocol, authType: EmailAuthType): boolean {
  if (protocol === 'POP3') return authType === 'BASIC';
  if (protocol === 'GRAPH') return authType === 'OAUTH';
  return true;
}

/** A port the admin typed is kept; one equal to the protocol/security default follows them. */
export function portIsCustom(state: Pick<ServerFormState, 'port' | 'protocol' | 'security'>): boolean {
  const trimmed = state.port.trim();
  return trimmed !== '' && trimmed !== String(defaultPort(state.protocol, state.security));
}

/** Exchange Online is where EWS is being switched off; on-premises Exchange keeps it. */
export function isExchangeOnline(state: Pick<ServerFormState, 'provider' | 'host' | 'ewsUrl'>): boolean {
  if (state.provider === 'MICROSOFT') return true;
  const hosts = [state.host, state.ewsUrl.replace(/^https?:\/\//i, '').split('/')[0] ?? ''];
  return hosts.some((host) => /(^|\.)(office365|outlook)\.com$/i.test(host.trim().replace(/\.$/, '')));
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

function oauthInputFrom(state: ServerFormState): OAuthInput | null {
  if (!usesOAuth(state)) return null;
  const o = state.oauth;
  const keys: (keyof OAuthForm)[] =
    state.provider === 'OTHER'
      ? ['clientId', 'clientSecret', 'authorizationUrl', 'tokenUrl', 'scope', 'redirectUrl', 'tenantId']
      : state.provider === 'MICROSOFT'
        ? ['clientId', 'clientSecret', 'tenantId']
        : ['clientId', 'clientSecret'];
  // OAuth settings are replaced as a whole on save, so every filled-in value is sent; an empty
  // client secret is left out, which keeps the stored one.
  const entries = keys.map((key) => [key, o[key].trim()] as const).filter(([, value]) => value !== '');
  return entries.length ? Object.fromEntries(entries) : null;
}

/**
 * Builds the mutation input (check it first with serverFormCheck.ts). Secrets are only sent when
 * typed, so an edit that leaves them empty keeps what the server has stored.
 */
export function serverInputFrom(state: ServerFormState): LocalCheck {
  // Only what stops the input from being built; the rules are serverFormCheck.ts's.
  const errors: LocalCheck['errors'] = [];

  const managed = isProviderManaged(state.provider);
  const port = managed ? null : parseWholeNumber(state.port);
  if (port === 'invalid') errors.push({ path: ['port'], message: 'Port must be a whole number.' });
  const poll = parseWholeNumber(state.pollIntervalSeconds);
  if (poll === 'invalid') {
    errors.push({ path: ['pollIntervalSeconds'], message: 'Poll interval must be a whole number of seconds.' });
  }
  const pop3 = state.protocol === 'POP3';
  if (errors.length > 0) return { input: null, errors };

  const oauth = oauthInputFrom(state);
  const afterProcessing: AfterProcessing = pop3 ? 'MARK_READ' : state.afterProcessing;
  const input: IncomingEmailServerInput = {
    name: state.name.trim(),
    email: state.email.trim(),
    protocol: state.protocol,
    provider: state.provider,
    host: managed ? null : blankToNull(state.host),
    port: port === 'invalid' ? null : port,
    security: managed ? null : state.security,
    authType: managed || state.protocol === 'GRAPH' ? 'OAUTH' : pop3 ? 'BASIC' : state.authType,
    username: blankToNull(state.username),
    technicianGroupId: state.technicianGroupId || null,
    categoryId: state.categoryId || null,
    companyId: state.companyId || null,
    proxyServerId: state.proxyServerId || null,
    outgoingServerId: state.outgoingServerId || null,
    enabled: state.enabled,
    primary: state.enabled && state.primary,
    realTimeScanning: !pop3 && state.realTimeScanning,
    allowSelfSignedCertificate: !managed && state.allowSelfSignedCertificate,
    pollIntervalSeconds: poll === 'invalid' || poll === null ? DEFAULT_POLL_INTERVAL_SECONDS : poll,
    pop3DeleteAfterSave: state.pop3DeleteAfterSave,
    afterProcessing,
    moveToFolder: afterProcessing === 'MOVE' ? blankToNull(state.moveToFolder) : null,
    ewsUrl: state.protocol === 'EWS' && !managed ? blankToNull(state.ewsUrl) : null,
    oauthClientSecretExpiresAt:
      usesOAuth(state) && state.oauthClientSecretExpiresAt
        ? new Date(`${state.oauthClientSecretExpiresAt}T00:00:00Z`).toISOString()
        : null,
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
  if (oauth) input.oauth = oauth;
  return { input, errors };
}

/** The saved server as an input with one change, e.g. the enable switch on its card. */
export function serverInputWith(
  server: IncomingEmailServerFieldsFragment,
  patch: Partial<ServerFormState>,
): IncomingEmailServerInput | null {
  return serverInputFrom({ ...serverFormFrom(server), ...patch }).input;
}
