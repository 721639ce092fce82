import type { EmailProvider, MailProtocol } from '@/graphql/generated/graphql';

/**
 * SPEC §2: the scope follows the protocol for Microsoft, and is fixed for Google. POP3 has no
 * default (it is Basic-only), matching the server's own defaults.
 */
export function defaultOAuthScope(provider: EmailProvider, protocol: MailProtocol): string | null {
  if (provider === 'GOOGLE') return 'https://mail.google.com/';
  switch (protocol) {
    case 'IMAP':
      return 'offline_access https://outlook.office365.com/IMAP.AccessAsUser.All';
    case 'POP3':
      return null;
    case 'EWS':
      return 'offline_access https://outlook.office365.com/EWS.AccessAsUser.All';
    case 'GRAPH':
      return 'offline_access https://graph.microsoft.com/Mail.ReadWrite';
  }
}
