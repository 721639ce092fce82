// The acknowledgment's templates (issue 14, item 8): placeholders filled, unknown ones refused
// with their names, the ticket reference kept in the subject, defaults stored as "default".
import { describe, expect, it } from 'vitest';
import {
  ACKNOWLEDGMENT_PLACEHOLDERS, DEFAULT_ACKNOWLEDGMENT_BODY, DEFAULT_ACKNOWLEDGMENT_SUBJECT, renderAcknowledgment, storedTemplate, templateProblems,
} from '../../server/src/ingest/steps/acknowledge-template.ts';
import { composeAcknowledgment } from '../../server/src/ingest/steps/acknowledge.ts';
import { mailIdentity } from '../../server/src/ingest/identity.ts';

const facts = {
  ticketNumber: 42,
  subject: 'Printer on fire',
  requester: { address: 'ada@customer.example', name: 'Ada Lovelace' },
  mailbox: { name: 'Support', email: 'support@example.com' },
  senderName: 'Example Support',
};

describe('acknowledgment templates', () => {
  it('fills every placeholder', () => {
    const body = Object.keys(ACKNOWLEDGMENT_PLACEHOLDERS).map((name) => `${name}={{${name}}}`).join('\n');
    expect(renderAcknowledgment({ subject: null, body }, facts).text).toBe([
      'ticket.number=REQ-42', 'ticket.reference=[#REQ-42]', 'ticket.subject=Printer on fire', 'requester.name=Ada Lovelace',
      'requester.email=ada@customer.example', 'mailbox.name=Support', 'mailbox.email=support@example.com', 'sender.name=Example Support', '',
    ].join('\n'));
  });

  it('renders the built-in text by default, as before', () => {
    const { subject, text } = renderAcknowledgment({ subject: null, body: null }, facts);
    expect(subject).toBe('[#REQ-42] Printer on fire');
    expect(text).toBe('Hello Ada Lovelace,\n\nwe have received your request and opened ticket REQ-42 ("Printer on fire").\nTo add anything, reply to this email and keep [#REQ-42] in the subject.\n\nThis is an automatic message.\n\nExample Support\n');
    // No name: the address, and no dangling signature.
    expect(renderAcknowledgment({ subject: null, body: null }, { ...facts, requester: { address: 'ada@customer.example' }, senderName: null }).text)
      .toMatch(/^Hello ada@customer\.example,[\s\S]*automatic message\.\n$/);
  });

  it('keeps the ticket reference in the subject, so replies thread', () => {
    expect(renderAcknowledgment({ subject: 'Thanks, {{requester.name}}!', body: null }, facts).subject).toBe('[#REQ-42] Thanks, Ada Lovelace!');
    expect(renderAcknowledgment({ subject: 'We got it {{ticket.reference}}', body: null }, facts).subject).toBe('We got it [#REQ-42]');
  });

  it('puts nothing a customer controls on a header line of its own', () => {
    const { subject } = renderAcknowledgment({ subject: '{{ticket.subject}} / {{requester.name}}', body: null }, { ...facts, subject: 'a\r\nBcc: x@evil.example', requester: { address: 'e@x.example', name: 'Eve\nX-Evil: 1' } });
    expect(subject).not.toMatch(/[\r\n]/);
  });

  it('names unknown placeholders and what can be used instead', () => {
    expect(templateProblems('Hello {{customer.name}} {{ ticket.number }} {{foo}}', 'body')).toEqual([
      `Unknown placeholders {{customer.name}}, {{foo}}: use ${Object.keys(ACKNOWLEDGMENT_PLACEHOLDERS).map((n) => `{{${n}}}`).join(', ')}`,
    ]);
    expect(templateProblems('one\ntwo', 'subject')).toEqual(['The subject must be one line']);
    expect(templateProblems('x'.repeat(501), 'subject')).toEqual(['At most 500 characters']);
    expect(templateProblems(DEFAULT_ACKNOWLEDGMENT_BODY, 'body')).toEqual([]);
  });

  it('stores the default as null, so the built-in text can improve later', () => {
    expect(storedTemplate(DEFAULT_ACKNOWLEDGMENT_SUBJECT, 'subject')).toBeNull();
    expect(storedTemplate(`${DEFAULT_ACKNOWLEDGMENT_BODY.replace(/\n/g, '\r\n')}\r\n`, 'body')).toBeNull();
    expect(storedTemplate('', 'body')).toBeNull();
    expect(storedTemplate('Hi {{requester.name}}', 'body')).toBe('Hi {{requester.name}}');
  });

  it('composes the acknowledgment mail from the templates', async () => {
    const mail = await composeAcknowledgment({
      ticketNumber: 7, subject: 'Re: [#REQ-3] VPN down', requester: { address: 'bob@customer.example', name: 'Bob' },
      fromAddress: 'support@example.com', fromName: 'Example Support', identity: mailIdentity({ secretKey: Buffer.alloc(32, 1) }),
      mailbox: { name: 'Support', email: 'support@example.com' },
      templates: { subject: 'Ticket {{ticket.number}}: {{ticket.subject}}', body: 'Dear {{requester.name}}, see {{ticket.reference}}.' },
    });
    // Someone else's reference is dropped from the customer's subject, ours is added.
    expect(mail.subject).toBe('[#REQ-7] Ticket REQ-7: Re: VPN down');
    expect(mail.text).toBe('Dear Bob, see [#REQ-7].\n');
    expect(mail.raw.toString()).toContain('Subject: [#REQ-7] Ticket REQ-7: Re: VPN down');
  });
});
