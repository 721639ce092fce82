import type { EmailProvider, MailProtocol, SecurityType } from '../db/schema.js';

// What the mail providers and protocols are, whoever asks: the server rules, the connectors and Test Connection.

export const MICROSOFT_HOST = 'outlook.office365.com';
export const GRAPH_HOST = 'graph.microsoft.com';

export function defaultPort(protocol: MailProtocol, security: SecurityType): number {
  switch (protocol) {
    case 'IMAP': return security === 'SSL' ? 993 : 143;
    case 'POP3': return security === 'SSL' ? 995 : 110;
    case 'EWS':
    case 'GRAPH': return 443;
  }
}

export function defaultScope(protocol: MailProtocol, provider: EmailProvider): string | null {
  if (provider === 'GOOGLE') return 'https://mail.google.com/';
  switch (protocol) {
    case 'IMAP': return 'offline_access https://outlook.office365.com/IMAP.AccessAsUser.All';
    case 'EWS': return 'offline_access https://outlook.office365.com/EWS.AccessAsUser.All';
    case 'GRAPH': return 'offline_access https://graph.microsoft.com/Mail.ReadWrite';
    case 'POP3': return null;
  }
}

/** Microsoft switched Basic auth off for Exchange Online; any of its mail hosts must use OAuth. */
export function isMicrosoftHosted(host: string | null | undefined): boolean {
  if (!host) return false;
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  return h === MICROSOFT_HOST || h === 'outlook.office.com' || h.endsWith('.outlook.com') || h.endsWith('.office365.com');
}
