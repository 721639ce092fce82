import type {
  ConfigAuditAction,
  EmailOutcome,
  NotificationKind,
  OutboundMailStatus,
  ProxyType,
  QuarantineResolution,
  RuleField,
  RuleOperator,
  SmtpSecurity,
} from '@/graphql/generated/graphql';

type Tone = 'neutral' | 'accent' | 'success' | 'danger' | 'warning';

export const outcomeLabels: Record<EmailOutcome, string> = {
  TICKET_CREATED: 'Ticket created',
  APPENDED: 'Added to ticket',
  FILTERED: 'Filtered',
  DUPLICATE: 'Duplicate',
  AUTO_REPLY: 'Auto-reply',
  LOOP_SUSPECTED: 'Mail loop suspected',
  EMAIL_TO_TICKET_DISABLED: 'Email to ticket off',
  QUARANTINED: 'Quarantined',
  FAILED: 'Failed',
};

/** A dry run creates nothing: its outcome is what would happen. */
export const dryRunOutcomeLabels: Record<EmailOutcome, string> = {
  TICKET_CREATED: 'Would create a request',
  APPENDED: 'Would be added to the request',
  FILTERED: 'Would be filtered out',
  DUPLICATE: 'Would be skipped as a duplicate',
  AUTO_REPLY: 'Would be skipped as an auto-reply',
  LOOP_SUSPECTED: 'Would be held as a suspected mail loop',
  EMAIL_TO_TICKET_DISABLED: 'Would be kept: Email to Ticket is off',
  QUARANTINED: 'Would be quarantined',
  FAILED: 'Would fail',
};

/** What a dry run says about the acknowledgment (null: the message would not create a request). */
export function dryRunAcknowledgment(acknowledge: boolean | null): string | null {
  if (acknowledge === null) return null;
  return acknowledge ? 'Would be sent' : 'Would not be sent (automated or bulk mail)';
}

export const outcomeTones: Record<EmailOutcome, Tone> = {
  TICKET_CREATED: 'success',
  APPENDED: 'accent',
  FILTERED: 'neutral',
  DUPLICATE: 'neutral',
  AUTO_REPLY: 'neutral',
  LOOP_SUSPECTED: 'warning',
  EMAIL_TO_TICKET_DISABLED: 'neutral',
  QUARANTINED: 'warning',
  FAILED: 'danger',
};

/** Chart colours, one per outcome; created and appended mail stand out, dropped mail stays quiet. */
export const outcomeColors: Record<EmailOutcome, string> = {
  TICKET_CREATED: '#16a34a',
  APPENDED: '#4f46e5',
  FILTERED: '#a3a7b1',
  DUPLICATE: '#c4c7ce',
  AUTO_REPLY: '#7a7f8a',
  LOOP_SUSPECTED: '#d97706',
  EMAIL_TO_TICKET_DISABLED: '#d0d2d8',
  QUARANTINED: '#f59e0b',
  FAILED: '#dc2626',
};

export const outcomeOrder: EmailOutcome[] = [
  'TICKET_CREATED',
  'APPENDED',
  'FILTERED',
  'DUPLICATE',
  'AUTO_REPLY',
  'LOOP_SUSPECTED',
  'EMAIL_TO_TICKET_DISABLED',
  'QUARANTINED',
  'FAILED',
];

export const notificationKindLabels: Record<NotificationKind, string> = {
  SERVER_UNREACHABLE: 'Unreachable',
  SERVER_RECOVERED: 'Recovered',
  AUTH_FAILED: 'Sign-in failed',
  CREDENTIAL_EXPIRING: 'Credential expiring',
  REFRESH_TOKEN_STALE: 'Sign-in getting old',
  SEND_FAILED: 'Sending failed',
  NEW_TICKET: 'New request',
  REQUESTER_REPLIED: 'Requester replied',
};

export const notificationKindTones: Record<NotificationKind, Tone> = {
  SERVER_UNREACHABLE: 'danger',
  SERVER_RECOVERED: 'success',
  AUTH_FAILED: 'danger',
  CREDENTIAL_EXPIRING: 'warning',
  REFRESH_TOKEN_STALE: 'warning',
  SEND_FAILED: 'danger',
  NEW_TICKET: 'accent',
  REQUESTER_REPLIED: 'accent',
};

export const ruleFieldLabels: Record<RuleField, string> = {
  MAILBOX: 'Mailbox',
  FROM: 'From',
  TO_CC: 'To / Cc',
  SUBJECT: 'Subject',
  DESCRIPTION: 'Description',
};

export const ruleOperatorLabels: Record<RuleOperator, string> = {
  CONTAINS: 'contains',
  EQUALS: 'equals',
  STARTS_WITH: 'starts with',
  ENDS_WITH: 'ends with',
  REGEX: 'matches regex',
};

export const proxyTypeLabels: Record<ProxyType, string> = {
  SOCKS5: 'SOCKS5',
  HTTP: 'HTTP CONNECT',
};

export const smtpSecurityLabels: Record<SmtpSecurity, string> = {
  NONE: 'None',
  SSL: 'SSL/TLS',
  TLS: 'STARTTLS',
};

export const outboundStatusLabels: Record<OutboundMailStatus, string> = {
  PENDING: 'Queued',
  SENT: 'Sent',
  FAILED: 'Failed',
};

export const outboundStatusTones: Record<OutboundMailStatus, Tone> = {
  PENDING: 'warning',
  SENT: 'success',
  FAILED: 'danger',
};

export const resolutionLabels: Record<QuarantineResolution, string> = {
  REPROCESSED: 'Reprocessed',
  RELEASED: 'Released',
  DELETED: 'Deleted',
};

export const configActionLabels: Record<ConfigAuditAction, string> = {
  CREATE: 'Created',
  UPDATE: 'Updated',
  DELETE: 'Deleted',
  LOCKOUT: 'Sign-in locked',
};

export const configActionTones: Record<ConfigAuditAction, Tone> = {
  CREATE: 'success',
  UPDATE: 'accent',
  DELETE: 'danger',
  LOCKOUT: 'warning',
};

/** Entity types the configuration audit trail records, with how people call them. */
export const entityTypeLabels: Record<string, string> = {
  IncomingEmailServer: 'Incoming email server',
  IncomingEmailRule: 'Incoming email rule',
  OutgoingEmailServer: 'Outgoing email server',
  ProxyServer: 'Proxy server',
  EmailPreference: 'Email preference',
  TechnicianGroup: 'Technician group',
  Category: 'Category',
  Company: 'Company',
  AppSettings: 'Managed Services Provider switch',
  QuarantinedMessage: 'Quarantined message',
  SignIn: 'Sign-in',
  User: 'User',
  Role: 'Role',
  ApiToken: 'API token',
};

/** The trail's filter: only what an admin screen manages, named the way those screens are. */
export const auditedThings: { value: string; label: string }[] = [
  { value: 'IncomingEmailServer', label: 'Incoming email servers' },
  { value: 'IncomingEmailRule', label: 'Incoming email rules' },
  { value: 'EmailPreference', label: 'Email preference' },
  { value: 'OutgoingEmailServer', label: 'Outgoing email servers' },
  { value: 'ProxyServer', label: 'Proxy servers' },
  { value: 'QuarantinedMessage', label: 'Quarantine' },
  { value: 'TechnicianGroup', label: 'Technician groups' },
  { value: 'Category', label: 'Categories' },
  { value: 'Company', label: 'Companies' },
  { value: 'AppSettings', label: 'Managed Services Provider switch' },
];

export function entityTypeLabel(type: string): string {
  return entityTypeLabels[type] ?? type.replace(/([a-z])([A-Z])/g, '$1 $2');
}

const traceStepLabels: Record<string, string> = {
  limits: 'Size limits',
  parse: 'Parsing',
  preference: 'Email to Ticket',
  loop: 'Loop protection',
  'auto-reply': 'Auto-reply check',
  sender: 'Sender',
  'sender-cap': 'Per-sender cap',
  filter: 'Server filter',
  duplicate: 'Duplicate detection',
  threading: 'Threading',
  rules: 'Incoming email rules',
};

export function traceStepLabel(step: string): string {
  return traceStepLabels[step] ?? step.charAt(0).toUpperCase() + step.slice(1).replace(/-/g, ' ');
}
