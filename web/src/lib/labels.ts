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
  SmtpStage,
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
};

export const notificationKindTones: Record<NotificationKind, Tone> = {
  SERVER_UNREACHABLE: 'danger',
  SERVER_RECOVERED: 'success',
  AUTH_FAILED: 'danger',
  CREDENTIAL_EXPIRING: 'warning',
  REFRESH_TOKEN_STALE: 'warning',
  SEND_FAILED: 'danger',
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

export const smtpStageLabels: Record<SmtpStage, string> = {
  DNS: 'DNS resolution',
  TCP: 'TCP port',
  TLS: 'TLS handshake',
  AUTH: 'Authentication',
  PROTOCOL: 'SMTP greeting',
  SEND: 'Sending',
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
  AppSettings: 'App settings',
  User: 'User',
  Role: 'Role',
  ApiToken: 'API token',
};

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
