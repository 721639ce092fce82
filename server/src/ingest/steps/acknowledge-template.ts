// Pure: the acknowledgment's subject and body as templates an admin edits in the email
// preference. Placeholders are `{{ticket.number}}` and the like, nothing else: no expressions,
// no HTML, so a template can neither run anything nor break the message it fills.
import { ticketReference } from './threading.js';

export const ACKNOWLEDGMENT_PLACEHOLDERS = {
  'ticket.number': 'The request number, e.g. REQ-42',
  'ticket.reference': 'The reference replies must keep in the subject, e.g. [#REQ-42]',
  'ticket.subject': 'The subject of the customer’s mail',
  'requester.name': 'The customer’s name (their address when the mail gave no name)',
  'requester.email': 'The customer’s address',
  'mailbox.name': 'The name of the incoming email server the mail came to',
  'mailbox.email': 'The address the mail came to',
  'sender.name': 'The From name of the outgoing email server',
} as const;

export type AcknowledgmentPlaceholder = keyof typeof ACKNOWLEDGMENT_PLACEHOLDERS;
export type AcknowledgmentValues = Record<AcknowledgmentPlaceholder, string>;

export const DEFAULT_ACKNOWLEDGMENT_SUBJECT = '{{ticket.reference}} {{ticket.subject}}';
export const DEFAULT_ACKNOWLEDGMENT_BODY = [
  'Hello {{requester.name}},',
  '',
  'we have received your request and opened ticket {{ticket.number}} ("{{ticket.subject}}").',
  'To add anything, reply to this email and keep {{ticket.reference}} in the subject.',
  '',
  'This is an automatic message.',
  '',
  '{{sender.name}}',
].join('\n');

export const MAX_SUBJECT_TEMPLATE = 500;
export const MAX_BODY_TEMPLATE = 10_000;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

const isKnown = (name: string): name is AcknowledgmentPlaceholder => Object.hasOwn(ACKNOWLEDGMENT_PLACEHOLDERS, name);

/** What is wrong with a template, in words for the field; empty when it can be saved. */
export function templateProblems(template: string, kind: 'subject' | 'body'): string[] {
  const problems: string[] = [];
  const max = kind === 'subject' ? MAX_SUBJECT_TEMPLATE : MAX_BODY_TEMPLATE;
  if (template.length > max) problems.push(`At most ${max} characters`);
  if (kind === 'subject' && /[\r\n]/.test(template)) problems.push('The subject must be one line');
  const unknown = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !isKnown(name));
  if (unknown.length) {
    problems.push(`Unknown placeholder${unknown.length > 1 ? 's' : ''} ${[...new Set(unknown)].map((n) => `{{${n}}}`).join(', ')}: use ${Object.keys(ACKNOWLEDGMENT_PLACEHOLDERS).map((n) => `{{${n}}}`).join(', ')}`);
  }
  return problems;
}

export function fillTemplate(template: string, values: AcknowledgmentValues): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (isKnown(name) ? values[name] : whole));
}

export interface AcknowledgmentFacts {
  ticketNumber: number;
  /** The customer's subject without ticket references, on one line. */
  subject: string;
  requester: { address: string; name?: string | null };
  mailbox: { name: string; email: string };
  senderName?: string | null;
}

const oneLine = (s: string | null | undefined) => (s ?? '').replace(/[\r\n\t]+/g, ' ').replace(/\s+/g, ' ').trim();

export function acknowledgmentValues(facts: AcknowledgmentFacts): AcknowledgmentValues {
  return {
    'ticket.number': `REQ-${facts.ticketNumber}`,
    'ticket.reference': ticketReference(facts.ticketNumber),
    'ticket.subject': oneLine(facts.subject) || '(no subject)',
    'requester.name': oneLine(facts.requester.name) || facts.requester.address,
    'requester.email': facts.requester.address,
    'mailbox.name': oneLine(facts.mailbox.name),
    'mailbox.email': facts.mailbox.email,
    'sender.name': oneLine(facts.senderName),
  };
}

export interface AcknowledgmentTemplates {
  /** Null: the built-in default. */
  subject: string | null;
  body: string | null;
}

/**
 * The subject and body of one acknowledgment. The subject always carries the ticket reference —
 * replies thread on it — so a template without `{{ticket.reference}}` gets it in front.
 */
export function renderAcknowledgment(templates: AcknowledgmentTemplates, facts: AcknowledgmentFacts): { subject: string; text: string } {
  const values = acknowledgmentValues(facts);
  let subject = oneLine(fillTemplate(templates.subject ?? DEFAULT_ACKNOWLEDGMENT_SUBJECT, values));
  if (!subject.includes(values['ticket.reference'])) subject = `${values['ticket.reference']} ${subject}`.trim();
  const text = `${fillTemplate(templates.body ?? DEFAULT_ACKNOWLEDGMENT_BODY, values).replace(/\r\n?/g, '\n').trimEnd()}\n`;
  return { subject, text };
}

/** A stored template: null when it is the default (so a later default change reaches it), else as typed. */
export function storedTemplate(value: string, kind: 'subject' | 'body'): string | null {
  const normalized = value.replace(/\r\n?/g, '\n');
  const fallback = kind === 'subject' ? DEFAULT_ACKNOWLEDGMENT_SUBJECT : DEFAULT_ACKNOWLEDGMENT_BODY;
  return normalized.trim() === '' || normalized.trim() === fallback ? null : normalized;
}
