import type { MailProtocol, SecurityType, SmtpSecurity } from '@/graphql/generated/graphql';

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


/** SMTP: 25 plain, 465 SSL (implicit TLS), 587 STARTTLS — what the server fills in too. */
export function defaultSmtpPort(security: SmtpSecurity): number {
  return security === 'SSL' ? 465 : security === 'TLS' ? 587 : 25;
}
