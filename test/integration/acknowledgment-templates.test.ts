// The acknowledgment text edited in the email preference (issue 14, item 8): refused with the
// unknown placeholders named, previewed as a customer reads it, and used for real mail read
// from Dovecot and sent through an smtp-server.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, ok, startTestApp, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { mail } from '../testkit/mail.ts';
import { startSmtpSink, type SmtpSink } from '../testkit/services/smtp-sink.ts';

const Update = graphql(`
  mutation AckTemplatesUpdate($input: EmailPreferenceInput!) {
    updateEmailPreference(input: $input) {
      __typename
      ... on EmailPreferenceSuccess { preference { acknowledgmentSubject acknowledgmentBody acknowledgmentCustomized } }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);
const Preference = graphql(`query AckTemplatesPreference { emailPreference { acknowledgmentSubject acknowledgmentBody acknowledgmentCustomized acknowledgmentPlaceholders { name description } } }`);
const Preview = graphql(`
  query AckTemplatesPreview($subject: String, $body: String) {
    acknowledgmentPreview(subject: $subject, body: $body) {
      __typename ... on AcknowledgmentPreviewSuccess { preview { subject body } } ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

describe('acknowledgment templates', () => {
  let t: TestApp;
  let sink: SmtpSink;
  const mailbox = `ack-${randomUUID().slice(0, 8)}@example.test`;

  beforeAll(async () => {
    [t, sink] = await Promise.all([startTestApp(), startSmtpSink()]);
    await getDovecot().addUser(mailbox, 'ack-pass');
    await t.seed.outgoingServer({ name: 'Relay', host: '127.0.0.1', port: sink.port, security: 'NONE', authType: 'NONE', fromAddress: mailbox, fromName: 'Acme Help Desk' });
    await t.seed.incomingServer({ name: 'Acme Support', email: mailbox, protocol: 'IMAP', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE', password: 'ack-pass', primary: true, realTimeScanning: true });
  });
  afterAll(async () => {
    await Promise.all([t?.stop(), sink?.close()]);
  });

  it('shows the built-in text and the placeholders to start from', async () => {
    const { emailPreference } = await t.admin.execute(Preference);
    expect(emailPreference.acknowledgmentSubject).toBe('{{ticket.reference}} {{ticket.subject}}');
    expect(emailPreference.acknowledgmentBody).toContain('Hello {{requester.name}},');
    expect(emailPreference.acknowledgmentCustomized).toBe(false);
    expect(emailPreference.acknowledgmentPlaceholders.map((p) => p.name)).toEqual(expect.arrayContaining(['{{ticket.number}}', '{{ticket.subject}}', '{{requester.name}}']));
  });

  it('refuses unknown placeholders by name, and saves nothing', async () => {
    const refused = ok((await t.admin.execute(Update, { input: { acknowledgmentBody: 'Hi {{customer.name}}', duplicateWindowMinutes: 30 } })).updateEmailPreference, 'ValidationError');
    expect(refused.fieldErrors).toEqual([{ path: ['acknowledgmentBody'], message: expect.stringMatching(/^Unknown placeholder \{\{customer\.name\}\}: use \{\{ticket\.number\}\}/) }]);
    expect((await t.admin.execute(Preference)).emailPreference.acknowledgmentCustomized).toBe(false);
  });

  it('previews unsaved templates with the primary mailbox and sender', async () => {
    const { preview } = ok((await t.admin.execute(Preview, { subject: 'Got it: {{ticket.subject}}', body: 'Dear {{requester.name}},\nticket {{ticket.number}} at {{mailbox.name}}.\n{{sender.name}}' })).acknowledgmentPreview, 'AcknowledgmentPreviewSuccess');
    expect(preview).toEqual({ subject: '[#REQ-42] Got it: Printer on fire', body: 'Dear Ada Lovelace,\nticket REQ-42 at Acme Support.\nAcme Help Desk\n' });
    expect(ok((await t.admin.execute(Preview, { subject: '{{nope}}' })).acknowledgmentPreview, 'ValidationError').fieldErrors[0]!.path).toEqual(['acknowledgmentSubject']);
  });

  it('acknowledges real mail with the saved templates, and goes back to the built-in text on ""', async () => {
    const saved = ok((await t.admin.execute(Update, {
      input: { acknowledgmentSubject: 'We are on it: {{ticket.subject}} {{ticket.reference}}', acknowledgmentBody: 'Dear {{requester.name}},\n\nyour request is {{ticket.number}}.\n\n{{sender.name}}' },
    })).updateEmailPreference, 'EmailPreferenceSuccess');
    expect(saved.preference.acknowledgmentCustomized).toBe(true);

    await getDovecot().deliver(mailbox, mail({ from: 'Grace Hopper <grace@customer.example>', to: mailbox, subject: 'Compiler crashed', body: 'Help.' }));
    const [ack] = await sink.waitFor(1, 20_000);
    const [ticket] = await t.tickets(1);
    expect(ack!.parsed.subject).toBe(`We are on it: Compiler crashed [#${ticket!.number}]`);
    expect(ack!.parsed.text).toBe(`Dear Grace Hopper,\n\nyour request is ${ticket!.number}.\n\nAcme Help Desk\n`);
    expect(ack!.envelope.to).toEqual(['grace@customer.example']);

    const reset = ok((await t.admin.execute(Update, { input: { acknowledgmentSubject: '', acknowledgmentBody: '' } })).updateEmailPreference, 'EmailPreferenceSuccess');
    expect(reset.preference).toMatchObject({ acknowledgmentCustomized: false, acknowledgmentSubject: '{{ticket.reference}} {{ticket.subject}}' });
  });
});
