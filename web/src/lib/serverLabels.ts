import type {
  ServerErrorKind,
  ConnectionStage,
  EmailAuthType,
  EmailProvider,
  MailProtocol,
  SecurityType,
  ServerStatus,
} from '@/graphql/generated/graphql';
import { formatDuration } from '@/lib/format';

export const protocolLabels: Record<MailProtocol, string> = {
  IMAP: 'IMAP',
  POP3: 'POP3',
  EWS: 'MAPI (Exchange Web Services)',
  GRAPH: 'Microsoft Graph',
};

export const providerLabels: Record<EmailProvider, string> = {
  MICROSOFT: 'Sign in with Microsoft',
  GOOGLE: 'Google',
  OTHER: 'Other',
};

export const securityLabels: Record<SecurityType, string> = {
  NONE: 'None',
  SSL: 'SSL/TLS',
  TLS: 'STARTTLS',
};

export const authTypeLabels: Record<EmailAuthType, string> = {
  BASIC: 'Basic (password)',
  OAUTH: 'OAuth 2.0',
};

export const statusLabels: Record<ServerStatus, string> = {
  REACHABLE: 'Reachable',
  UNREACHABLE: 'Unreachable',
  UNKNOWN: 'Unknown',
};

export const stageLabels: Record<ConnectionStage, string> = {
  DNS: 'DNS resolution',
  TCP: 'TCP port',
  TLS: 'TLS handshake',
  AUTH: 'Authentication',
  PROTOCOL: 'Protocol availability',
};

export const errorKindLabels: Record<ServerErrorKind, string> = {
  AUTH: 'Authentication',
  INTERNAL: 'Internal error',
  NETWORK: 'Network',
  OAUTH_TOKEN: 'OAuth token',
  PROTOCOL: 'Protocol',
  THROTTLED: 'Throttled',
  TLS: 'TLS',
};

const connectionStateLabels: Record<string, string> = {
  connecting: 'Connecting',
  syncing: 'Syncing',
  connected: 'Connected',
  idle: 'Idle',
  disabled: 'Disabled',
  disconnected: 'Disconnected',
  authenticationError: 'Authentication error',
  connectError: 'Connection error',
};

/** Server states are camelCase identifiers; unknown ones are split into words. */
export function connectionStateLabel(state: string): string {
  const known = connectionStateLabels[state];
  if (known) return known;
  const words = state.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1).toLowerCase() : 'Unknown';
}

/**
 * "Real-time · checked every 15 s", "Real-time · pushed by the server, checked every 2 min" (an
 * IMAP server whose IDLE is known to push), "Checked every 2 min": how current "last checked" is.
 */
export function checkingLabel(server: { realTimeScanning: boolean; protocol: MailProtocol; checkIntervalSeconds: number; health?: { idlePush?: boolean | null } }): string {
  const seconds = server.checkIntervalSeconds;
  // formatDuration rounds down to whole minutes; 90 s must not read "1 min".
  const every = seconds % 60 ? `${seconds} s` : formatDuration(seconds);
  if (!server.realTimeScanning || server.protocol === 'POP3') return `Checked every ${every}`;
  return server.protocol === 'IMAP' && server.health?.idlePush ? `Real-time · pushed by the server, checked every ${every}` : `Real-time · checked every ${every}`;
}

export function options<T extends string>(labels: Record<T, string>): { value: T; label: string }[] {
  return (Object.keys(labels) as T[]).map((value) => ({ value, label: labels[value] }));
}

/** Named records (groups, categories, companies…) as select options. */
export function entityOptions(items: readonly { id: string; name: string }[] | undefined): { value: string; label: string }[] {
  return (items ?? []).map((item) => ({ value: item.id, label: item.name }));
}

/** A fixed list of choices, led by the current value when it is not one of them (set elsewhere). */
export function choiceOptions(choices: readonly string[], current: string): { value: string; label: string }[] {
  const listed = current && !choices.includes(current) ? [current, ...choices] : choices;
  return listed.map((value) => ({ value, label: value }));
}
