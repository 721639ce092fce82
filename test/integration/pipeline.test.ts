import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, ok, startTestApp, subscribe, type TestApp } from '../testkit/app.ts';
import type { IncomingEmailServerInput } from '../testkit/gql/graphql.ts';
import { getDovecot } from '../testkit/env.ts';
import { mail } from '../testkit/mail.ts';
import { startSmtpSink, type SmtpSink } from '../testkit/services/smtp-sink.ts';
import { waitFor } from '../testkit/services/util.ts';

const AuditLog = graphql(`
  query PipelineAuditLog($id: ID!) { emailAuditLog(serverId: $id, first: 100) { nodes { id outcome reason subject ticket { id number } } } }
`);
const UpdatePreference = graphql(`mutation PipelineUpdatePreference($input: EmailPreferenceInput!) { updateEmailPreference(input: $input) { __typename } }`);
const TicketUpdated = graphql(`subscription PipelineTicketUpdated($filter: TicketSubscriptionFilter) { ticketUpdated(filter: $filter) { id number messages { bodyText } } }`);
const TicketSenders = graphql(`query PipelineTicketSenders($id: ID!) { ticket(id: $id) { messages { from } } }`);
const TicketGroup = graphql(`query PipelineTicketGroup($id: ID!) { ticket(id: $id) { technicianGroup { name } } }`);
const TicketFiles = graphql(`query PipelineTicketFiles($id: ID!) { ticket(id: $id) { descriptionHtml attachments { id filename contentType inline url } } }`);
const CreateRule = graphql(`
  mutation PipelineCreateRule($input: IncomingEmailRuleInput!) {
    createIncomingEmailRule(input: $input) { __typename ... on ValidationError { fieldErrors { path message } } }
  }
`);
const DryRun = graphql(`
  mutation PipelineDryRun($id: ID!, $raw: String!) {
    dryRunIncomingEmail(serverId: $id, rawEmail: $raw) {
      __typename
      ... on EmailDryRunSuccess { dryRun { outcome reason route { technicianGroup { name } priority } matchedRules { name } trace { step result detail } } }
    }
  }
`);
const Rules = graphql(`query PipelineRules { incomingEmailRules { id } }`);
const DeleteRule = graphql(`mutation PipelineDeleteRule($id: ID!) { deleteIncomingEmailRule(id: $id) { __typename } }`);
const Quarantined = graphql(`query PipelineQuarantined { quarantinedMessages { id reason } }`);
const Release = graphql(`
  mutation PipelineRelease($id: ID!) {
    releaseQuarantinedMessage(id: $id) { __typename ... on QuarantineActionSuccess { result { outcome } } ... on Error { message } }
  }
`);

// The whole pipeline of SPEC §4 over real mail: Dovecot + LMTP in, smtp-server out.
describe('email → the right ticket', () => {
  let t: TestApp;
  let smtp: SmtpSink;
  const box = () => `pipe-${randomUUID().slice(0, 8)}@example.test`;

  async function mailbox(extra: Partial<IncomingEmailServerInput> = {}) {
    const user = box();
    await getDovecot().addUser(user, 'pw');
    const { id } = await t.seed.incomingServer({
      name: user, email: user, protocol: 'IMAP', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE', password: 'pw', realTimeScanning: true, ...extra,
    });
    await waitFor('connected', async () => (await t.health(id)).connectionState === 'connected', 20_000);
    return { user, id };
  }

  async function audit(serverId: string, count: number) {
    let nodes: { outcome: string; reason: string | null; subject: string | null; ticket: { id: string; number: string } | null }[] = [];
    await waitFor(`${count} audit entries`, async () => {
      nodes = (await t.admin.execute(AuditLog, { id: serverId })).emailAuditLog.nodes;
      return nodes.length >= count;
    }, 20_000);
    return nodes.reverse(); // oldest first
  }

  beforeAll(async () => {
    t = await startTestApp();
    smtp = await startSmtpSink();
    await t.seed.outgoingServer({ name: 'Sink', host: '127.0.0.1', port: smtp.port, security: 'NONE', authType: 'NONE', fromAddress: 'help@helpdesk.example', primary: true });
  });
  afterAll(async () => {
    await t?.stop();
    await smtp?.close();
  });

  it('filters: IGNORE discards matching senders/domains/keywords; ALLOW takes only matching ones', async () => {
    const ignore = await mailbox({ filter: { type: 'IGNORE', emails: ['spam@bad.example'], domains: ['yahoo.example'], keywords: ['Out of Office'] } });
    const d = getDovecot();
    await d.deliver(ignore.user, mail({ from: 'spam@bad.example', to: ignore.user, subject: 'a', body: 'x' }));
    await d.deliver(ignore.user, mail({ from: 'someone@yahoo.example', to: ignore.user, subject: 'b', body: 'x' }));
    await d.deliver(ignore.user, mail({ from: 'ok@good.example', to: ignore.user, subject: 'c', body: 'I am out of office today' }));
    await d.deliver(ignore.user, mail({ from: 'ok@good.example', to: ignore.user, subject: 'd', body: 'help please' }));
    const a = await audit(ignore.id, 4);
    expect(a.map((e) => e.outcome)).toEqual(['FILTERED', 'FILTERED', 'FILTERED', 'TICKET_CREATED']);
    expect(a[0]!.reason).toContain('spam@bad.example');
    expect(a[1]!.reason).toContain('yahoo.example');

    const allow = await mailbox({ filter: { type: 'ALLOW', domains: ['customer.example'] } });
    await d.deliver(allow.user, mail({ from: 'x@customer.example', to: allow.user, subject: 'in', body: 'x' }));
    await d.deliver(allow.user, mail({ from: 'x@sub.customer.example', to: allow.user, subject: 'out', body: 'x' }));
    expect((await audit(allow.id, 2)).map((e) => e.outcome)).toEqual(['TICKET_CREATED', 'FILTERED']);
  });

  it('auto-replies and bounces never create a ticket nor get an acknowledgment', async () => {
    const { user, id } = await mailbox();
    const d = getDovecot();
    await d.deliver(user, mail({ from: 'boss@customer.example', to: user, subject: 'Automatic reply: hello', body: 'I am away', headers: 'Auto-Submitted: auto-replied' }));
    await d.deliver(user, [
      'From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>', `To: ${user}`, 'Subject: Undelivered Mail Returned to Sender',
      `Message-ID: <${randomUUID()}@mx.customer.example>`, 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"', '',
      '--b', 'Content-Type: text/plain', '', 'I could not deliver your message.', '--b', 'Content-Type: message/delivery-status', '',
      'Reporting-MTA: dns; mx.customer.example', '', 'Final-Recipient: rfc822; nobody@customer.example', 'Action: failed', 'Status: 5.1.1', '--b--', '',
    ].join('\r\n'));
    const a = await audit(id, 2);
    expect(a.map((e) => e.outcome)).toEqual(['AUTO_REPLY', 'AUTO_REPLY']);
    await new Promise((r) => setTimeout(r, 1000));
    const acknowledged = smtp.received.flatMap((m) => m.envelope.to);
    expect(acknowledged).not.toContain('boss@customer.example');
    expect(acknowledged.filter((a) => /mailer-daemon/i.test(a))).toEqual([]);
  });

  it('Email to Ticket off keeps the message with its audit entry', async () => {
    const { user, id } = await mailbox();
    await t.admin.execute(UpdatePreference, { input: { emailToTicket: false } });
    try {
      await getDovecot().deliver(user, mail({ from: 'a@customer.example', to: user, subject: 'nobody home', body: 'x' }));
      expect((await audit(id, 1))[0]!.outcome).toBe('EMAIL_TO_TICKET_DISABLED');
    } finally {
      await t.admin.execute(UpdatePreference, { input: { emailToTicket: true } });
    }
  });

  it('one ticket for the same mail sent twice or to two of our mailboxes; different mails sharing a Message-ID stay apart', async () => {
    const one = await mailbox();
    const two = await mailbox();
    const d = getDovecot();
    const raw = mail({ from: 'dup@customer.example', to: `${one.user}`, subject: 'Twice', body: 'same', messageId: `<twice-${randomUUID()}@customer.example>`, headers: `Cc: ${two.user}` });
    await d.deliver([one.user, two.user], raw);
    await d.deliver(one.user, raw);
    const a1 = await audit(one.id, 2);
    const a2 = await audit(two.id, 1);
    const outcomes = [...a1, ...a2].map((e) => e.outcome).sort();
    expect(outcomes).toEqual(['DUPLICATE', 'DUPLICATE', 'TICKET_CREATED']);

    const shared = `<shared-${randomUUID()}@customer.example>`;
    await d.deliver(one.user, mail({ from: 'a@customer.example', to: one.user, subject: 'First', body: 'one', messageId: shared }));
    await d.deliver(one.user, mail({ from: 'a@customer.example', to: one.user, subject: 'Second', body: 'two', messageId: shared }));
    const a3 = await audit(one.id, 4);
    expect(a3.slice(2).map((e) => e.outcome)).toEqual(['TICKET_CREATED', 'TICKET_CREATED']);
  });

  it('threads replies: acknowledgment → reply to it → appended; a stranger quoting the number gets a new ticket', async () => {
    const { user, id } = await mailbox();
    const d = getDovecot();
    const ws = t.admin.ws();
    const before = smtp.received.length;
    const original = `<orig-${randomUUID()}@customer.example>`;
    await d.deliver(user, mail({ from: 'Rita Requester <rita@customer.example>', to: user, subject: 'VPN broken', body: 'My VPN is broken.', messageId: original, headers: 'Cc: colleague@customer.example' }));
    const [created] = await audit(id, 1);
    expect(created!.outcome).toBe('TICKET_CREATED');
    const number = created!.ticket!.number;
    const updated = subscribe(ws, TicketUpdated, { filter: { ticketId: created!.ticket!.id } });
    await new Promise((r) => setTimeout(r, 300));

    // Earlier tests' acknowledgments may still be on their way: pick Rita's.
    const toRita = () => smtp.received.slice(before).find((m) => m.envelope.to.includes('rita@customer.example'));
    await waitFor('the acknowledgment to Rita', async () => toRita() !== undefined, 20_000);
    const ack = toRita();
    expect(ack!.envelope.to).toEqual(['rita@customer.example']);
    expect(ack!.parsed.subject).toBe(`[#${number}] VPN broken`);
    expect(ack!.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(ack!.parsed.headers.get('x-loop')).toBeTruthy();
    expect(ack!.parsed.inReplyTo).toBe(original);

    // The requester answers the acknowledgment: threaded by In-Reply-To (no number in the subject).
    await d.deliver(user, mail({
      from: 'rita@customer.example', to: user, subject: 'Re: thanks', messageId: `<r1-${randomUUID()}@customer.example>`,
      headers: `In-Reply-To: ${ack!.parsed.messageId}\r\nReferences: ${original} ${ack!.parsed.messageId}`,
      body: 'It works again after a reboot.\r\n\r\nOn Mon, Help Desk wrote:\r\n> We received your request.\r\n> Ticket REQ',
    }));
    // The acknowledgment's delivery may update the ticket first.
    let ev = await updated.next(20_000);
    while (ev.ticketUpdated.messages.length < 3) ev = await updated.next(20_000);
    expect(ev.ticketUpdated.number).toBe(number);
    expect(ev.ticketUpdated.messages.at(-1)!.bodyText).toBe('It works again after a reboot.');

    // A participant (Cc) replying with the number in the subject is appended too.
    await d.deliver(user, mail({ from: 'colleague@customer.example', to: user, subject: `AW: [#${number}] VPN broken`, body: 'Same for me.' }));
    // A stranger quoting the number does not get into someone else's ticket.
    await d.deliver(user, mail({ from: 'mallory@evil.example', to: user, subject: `Re: [#${number}] VPN broken`, body: 'let me in' }));
    const a = await audit(id, 4);
    expect(a.slice(0, 2).map((e) => e.outcome)).toEqual(['TICKET_CREATED', 'APPENDED']);
    // These two came one right after the other: Mailroom takes them in the server's UID order, and
    // Dovecot may number two fresh deliveries in the order its maildir lists them (once in a full
    // run the stranger's came first), so each is found by its subject.
    const last = new Map(a.slice(2).map((e) => [e.subject, e]));
    expect(last.get(`AW: [#${number}] VPN broken`)).toMatchObject({ outcome: 'APPENDED', ticket: { number } });
    expect(last.get(`Re: [#${number}] VPN broken`)).toMatchObject({ outcome: 'TICKET_CREATED' });
    expect(last.get(`Re: [#${number}] VPN broken`)!.ticket!.number).not.toBe(number);
    updated.dispose();
    await ws.dispose();
    const ticket = await t.admin.execute(TicketSenders, { id: created!.ticket!.id });
    expect(ticket.ticket!.messages.map((m) => m.from)).toEqual(['rita@customer.example', 'help@helpdesk.example', 'rita@customer.example', 'colleague@customer.example']);
  });

  it('rules route new tickets, and the dry run explains the decision without creating anything', async () => {
    const { user, id } = await mailbox();
    const group = await t.seed.technicianGroup('VIP desk');
    const rule = await t.admin.execute(CreateRule, {
      input: { name: 'VIP customers', match: 'ANY', conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'urgent' }, { field: 'FROM', operator: 'ENDS_WITH', value: '@vip.example' }],
        actions: { technicianGroupId: group, priority: 'High' }, stopProcessing: true },
    });
    expect(rule.createIncomingEmailRule.__typename).toBe('IncomingEmailRuleSuccess');
    const bad = await t.admin.execute(CreateRule, {
      input: { name: '', conditions: [{ field: 'SUBJECT', operator: 'REGEX', value: '(a' }], actions: {} },
    });
    expect(ok(bad.createIncomingEmailRule, 'ValidationError').fieldErrors.map((e) => e.path.join('.'))).toEqual(expect.arrayContaining(['name', 'conditions.0.value', 'actions']));

    const raw = mail({ from: 'ceo@vip.example', to: user, subject: 'Quarterly numbers', body: 'x' });
    const dry = await t.admin.execute(DryRun, { id, raw });
    const run = ok(dry.dryRunIncomingEmail, 'EmailDryRunSuccess').dryRun;
    expect(run).toMatchObject({ outcome: 'TICKET_CREATED', route: { technicianGroup: { name: 'VIP desk' }, priority: 'High' }, matchedRules: [{ name: 'VIP customers' }] });
    expect(run.trace.map((s) => s.step)).toContain('filter');
    expect((await t.admin.execute(AuditLog, { id })).emailAuditLog.nodes).toEqual([]);
    // The dry run knows our own mailboxes too: mail from one of them is a loop, not a ticket.
    const fromUs = ok((await t.admin.execute(DryRun, { id, raw: mail({ from: user.toUpperCase(), to: user, subject: 'Quarterly numbers', body: 'x' }) })).dryRunIncomingEmail, 'EmailDryRunSuccess').dryRun;
    expect(fromUs).toMatchObject({ outcome: 'LOOP_SUSPECTED', reason: `sender ${user.toLowerCase()} is one of Mailroom's own mailboxes` });

    await getDovecot().deliver(user, raw);
    const [entry] = await audit(id, 1);
    const ticket = await t.admin.execute(TicketGroup, { id: entry!.ticket!.id });
    expect(ticket.ticket!.technicianGroup!.name).toBe('VIP desk');
    await t.admin.execute(DeleteRule, { id: (await t.admin.execute(Rules)).incomingEmailRules[0]!.id });
  });

  it('keeps attachments under random names, serves them safely, and shows inline images through our own URL', async () => {
    const { user, id } = await mailbox();
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    const raw = [
      'From: pat@customer.example', `To: ${user}`, 'Subject: Screenshot attached', `Message-ID: <att-${randomUUID()}@customer.example>`,
      'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="mix"', '',
      '--mix', 'Content-Type: multipart/related; boundary="rel"', '',
      '--rel', 'Content-Type: text/html; charset=utf-8', '',
      '<p>See <img src="cid:shot@x"> and <script>alert(1)</script><a href="javascript:alert(2)">this</a></p>',
      '--rel', 'Content-Type: image/png', 'Content-ID: <shot@x>', 'Content-Disposition: inline; filename="shot.png"', 'Content-Transfer-Encoding: base64', '',
      png.toString('base64'), '--rel--',
      '--mix', 'Content-Type: text/html; name="../../etc/passwd.html"', 'Content-Disposition: attachment; filename="../../etc/passwd.html"', '',
      '<script>alert("stored xss")</script>', '--mix--', '',
    ].join('\r\n');
    await getDovecot().deliver(user, raw);
    const [entry] = await audit(id, 1);
    const ticket = (await t.admin.execute(TicketFiles, { id: entry!.ticket!.id })).ticket!;
    expect(ticket.descriptionHtml).not.toMatch(/script|javascript:/i);
    const inline = ticket.attachments.find((a) => a.inline)!;
    expect(ticket.descriptionHtml).toContain(`/api/attachments/${inline.id}?inline=1`);
    const file = ticket.attachments.find((a) => !a.inline)!;
    expect(file.filename).not.toContain('/');
    const res = await fetch(`${t.url}${file.url}`, { headers: { authorization: `Bearer ${t.admin.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${t.url}${file.url}`)).status).toBe(401);
  });

  it('quarantined messages can be released into a ticket', async () => {
    const { user, id } = await mailbox();
    await getDovecot().deliver(user, ['Subject: who sent this?', `To: ${user}`, '', 'no From header at all', ''].join('\r\n'));
    expect((await audit(id, 1))[0]!.outcome).toBe('QUARANTINED');
    const q = await t.admin.execute(Quarantined);
    const entry = q.quarantinedMessages.find((m) => /sender/.test(m.reason));
    expect(entry).toBeTruthy();
    const released = await t.admin.execute(Release, { id: entry!.id });
    expect(released.releaseQuarantinedMessage.__typename, JSON.stringify(released)).toBe('QuarantineActionSuccess');
  });
});
