import type { MailProtocol, SecurityType } from '@/graphql/generated/graphql';

/** SPEC §2: IMAP 143/993/143, POP3 110/995/110 (plain/SSL/STARTTLS); EWS and Graph 443. */
export function defaultPort(protocol: MailProtocol, security: SecurityType | null): number {
  switch (protocol) {
    case 'IMAP':
      return security === 'SSL' ? 993 : 143;
    case 'POP3':
      return security === 'SSL' ? 995 : 110;
    case 'EWS':
    case 'GRAPH':
      return 443;
  }
}

