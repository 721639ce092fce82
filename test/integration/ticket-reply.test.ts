// SPEC §10, the conversation loop over real peers: requester mail (Dovecot, LMTP) → ticket →
// technician's reply by email (smtp-server catches it) → the requester's answer → the same
// ticket, re-opened; late answers become linked follow-ups; an unreachable relay ends in
// SEND_FAILED; bad input writes and sends nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, ok, startTestApp, subscribe, type GraphQLClient, type TestApp } from '../testkit/app.ts';
import { startSmtpSink, type SmtpSink } from '../testkit/services/smtp-sink.ts';
import { freePorts, waitFor } from '../testkit/services/util.ts';
import { ticketMailbox, type TicketMailbox } from '../testkit/tickets.ts';

const Reply = graphql(`
  mutation ReplyTestReply($ticketId: ID!, $input: TicketReplyInput!) {
    replyToTicket(ticketId: $ticketId, input: $input) {
      __typename
      ... on TicketReplySuccess { message { id kind messageId subject bodyText bodyHtml cc author { id } attachments { filename size } delivery { status } } }
      ... on ValidationError { fieldErrors { path message } }
      ... on Error { error: message }
    }
  }
`);
const Update = graphql(`
  mutation ReplyTestUpdate($id: ID!, $input: UpdateTicketInput!) {
    updateTicket(id: $id, input: $input) { __typename ... on UpdateTicketSuccess { ticket { status } } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }
  }
`);
const AssignToMe = graphql(`mutation ReplyTestAssign($id: ID!) { assignTicketToMe(id: $id) { __typename } }`);
const Retry = graphql(`mutation ReplyTestRetry($id: ID!) { retryTicketMessage(messageId: $id) { __typename ... on TicketReplySuccess { message { delivery { status attempts } } } } }`);
const Ticket = graphql(`
  query ReplyTestTicket($id: ID!) {
    ticket(id: $id) {
      id number status unread lastActivityAt
      previousTicket { id number } followUps { id }
      messages { id kind from bodyText messageId delivery { status attempts lastError } }
      history { field from to actor { id } }
    }
  }
`);
const Notifications = graphql(`query ReplyTestNotifications { notifications { kind title body ticket { id } } }`);
const Outbound = graphql(`query ReplyTestOutbound($ticketId: ID) { outboundMail(ticketId: $ticketId, first: 100) { id kind status } }`);
const Preference = graphql(`mutation ReplyTestPreference($input: EmailPreferenceInput!) { updateEmailPreference(input: $input) { __typename } }`);
const FixRelay = graphql(`mutation ReplyTestFix($id: ID!, $input: OutgoingEmailServerInput!) { updateOutgoingServer(id: $id, input: $input) { __typename } }`);
const Updated = graphql(`subscription ReplyTestUpdated($id: ID!) { ticketUpdated(filter: { ticketId: $id }) { id status messages { kind } } }`);

describe('working a ticket by email', () => {
  let t: TestApp;
  let primary: SmtpSink;
  let linked: SmtpSink;
  let desk: TicketMailbox;
  let unlinked: TicketMailbox;
  let tech: GraphQLClient;
  let techId: string;
  let linkedId: string;

  beforeAll(async () => {
    [t, primary, linked] = await Promise.all([startTestApp(), startSmtpSink(), startSmtpSink()]);
    await t.seed.outgoingServer({ name: 'Primary', host: '127.0.0.1', port: primary.port, security: 'NONE', authType: 'NONE', fromAddress: 'relay@helpdesk.example', fromName: 'Help Desk', primary: true });
    linkedId = (await t.seed.outgoingServer({ name: 'Linked', host: '127.0.0.1', port: linked.port, security: 'NONE', authType: 'NONE', fromAddress: 'relay@helpdesk.example' })).id;
    const group = await t.seed.technicianGroup('Printers');
    desk = await ticketMailbox(t, { name: 'Printer desk', technicianGroupId: group, outgoingServerId: linkedId });
    unlinked = await ticketMailbox(t, { technicianGroupId: group });
    const seeded = await t.seed.technician({ name: 'Tess Tech', groupIds: [group] });
    techId = seeded.id;
    tech = await seeded.signIn();
  });
  afterAll(async () => {
    await Promise.all([t?.stop(), primary?.close(), linked?.close()]);
  });

  const ticket = async (id: string, client = tech) => (await client.execute(Ticket, { id })).ticket!;
  /** The mail a sink got for `to` whose subject starts with `prefix`, once it is there. */
  const mailTo = async (sink: SmtpSink, to: string, prefix: string) => {
    const find = () => sink.received.find((m) => m.envelope.to.includes(to) && m.parsed.subject?.startsWith(prefix));
    await waitFor(`mail to ${to}`, async () => Boolean(find()));
    return find()!;
  };

  it('replies from the mailbox\'s address through its linked server, threads the answer back and re-opens the ticket', async () => {
    const opened = await desk.newTicket({ from: 'Ada Lovelace <ada@customer.example>', subject: 'Printer on fire', body: 'Smoke everywhere.' });
    const [ack] = (await linked.waitFor(1)).slice(-1);
    expect(ack!.parsed.subject).toBe(`[#${opened.number}] Printer on fire`);
    await tech.execute(AssignToMe, { id: opened.id });
    const live = subscribe(tech.ws(), Updated, { id: opened.id });
    await new Promise((r) => setTimeout(r, 300));

    const sent = await tech.upload(Reply, {
      ticketId: opened.id,
      input: { body: 'Please unplug it.\n\nThen call us & wait <here>.', cc: ['Boss@Customer.example'], attachments: [null], setStatus: 'PENDING' },
    }, { 'input.attachments.0': { name: 'steps.txt', type: 'text/plain', content: 'step 1: unplug\n' } });
    expect(sent.errors).toBeUndefined();
    const message = ok(sent.data!.replyToTicket, 'TicketReplySuccess').message;
    expect(message).toMatchObject({
      kind: 'OUTGOING', subject: `Re: Printer on fire [#${opened.number}]`, cc: ['boss@customer.example'], author: { id: techId },
      attachments: [{ filename: 'steps.txt', size: 15 }], bodyText: 'Please unplug it.\n\nThen call us & wait <here>.',
    });
    expect(message.bodyHtml).toBe('<p>Please unplug it.</p>\n<p>Then call us &#38; wait &#60;here&#62;.</p>');

    const [mail] = (await linked.waitFor(2)).slice(-1);
    const identity = t.app.services.mailIdentity;
    expect(primary.received).toHaveLength(0);
    expect(mail!.envelope.to.sort()).toEqual(['ada@customer.example', 'boss@customer.example']);
    // From: the mailbox's address, named after the mailbox (the linked server sets no name).
    expect(mail!.parsed.from?.value).toEqual([{ address: desk.address, name: 'Printer desk' }]);
    expect(mail!.parsed.subject).toBe(`Re: Printer on fire [#${opened.number}]`);
    expect(mail!.parsed.messageId).toBe(message.messageId);
    expect(mail!.parsed.messageId).toMatch(new RegExp(`^<reply-${opened.number.slice(4)}\\.[0-9a-f]{16}@${identity.messageIdDomain.replace(/\./g, '\\.')}>$`));
    expect(mail!.parsed.inReplyTo).toBe(ack!.parsed.messageId);
    expect(mail!.parsed.references).toEqual([opened.messageId, ack!.parsed.messageId]);
    expect(mail!.parsed.headers.get('x-loop')).toBe(identity.loopValue);
    expect(mail!.parsed.headers.has('auto-submitted')).toBe(false);
    expect(mail!.parsed.text?.trim()).toBe('Please unplug it.\n\nThen call us & wait <here>.');
    expect(mail!.parsed.html).toContain('<p>Then call us &#38; wait &#60;here&#62;.</p>');
    expect(mail!.parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['steps.txt', 'step 1: unplug\n']]);

    await waitFor('the reply marked sent', async () => (await ticket(opened.id)).messages.at(-1)!.delivery?.status === 'SENT');
    let now = await ticket(opened.id);
    expect(now.status).toBe('PENDING');
    expect(now.unread).toBe(false);
    expect(now.history).toEqual([{ field: 'ASSIGNEE', from: null, to: 'Tess Tech', actor: { id: techId } }, { field: 'STATUS', from: 'OPEN', to: 'PENDING', actor: { id: techId } }]);

    // The requester answers our reply (In-Reply-To only, no number): same ticket, open again.
    await desk.reply(opened.id, { from: 'ada@customer.example', subject: 'Re: your mail', body: 'Unplugged. Still smoking.', headers: `In-Reply-To: ${message.messageId}` });
    now = await ticket(opened.id);
    expect(now.messages.map((m) => m.kind)).toEqual(['INCOMING', 'ACKNOWLEDGMENT', 'OUTGOING', 'INCOMING']);
    expect(now.messages.at(-1)!.bodyText).toBe('Unplugged. Still smoking.');
    expect(now.status).toBe('OPEN');
    expect(now.unread).toBe(true);
    expect(now.history.at(-1)).toEqual({ field: 'STATUS', from: 'PENDING', to: 'OPEN', actor: null });
    // The technician's notifications are written after the commit, so they may trail the reply by a moment.
    let listed = await tech.execute(Notifications);
    await waitFor('the requester-replied notification', async () =>
      (listed = await tech.execute(Notifications)).notifications.some((n) => n.kind === 'REQUESTER_REPLIED'));
    expect(listed.notifications).toEqual(expect.arrayContaining([
      { kind: 'REQUESTER_REPLIED', title: `${opened.number}: the requester replied`, body: 'ada@customer.example replied on "Printer on fire"', ticket: { id: opened.id } },
      expect.objectContaining({ kind: 'NEW_TICKET', ticket: { id: opened.id } }),
    ]));

    // Live: the reply, its delivery and the answer reached the technician's subscription.
    const seen: string[][] = [];
    while (!seen.some((kinds) => kinds.length === 4)) seen.push((await live.next()).ticketUpdated.messages.map((m) => m.kind));
    live.dispose();
  });

  it('sends through the primary server when the mailbox links none', async () => {
    const opened = await unlinked.newTicket({ from: 'bob@customer.example', subject: '[#REQ-1] Re: Fwd: Toner', body: 'Empty.' });
    ok((await tech.execute(Reply, { ticketId: opened.id, input: { body: 'On its way.' } })).replyToTicket, 'TicketReplySuccess');
    const mail = await mailTo(primary, 'bob@customer.example', 'Re: ');
    expect(mail!.parsed.from?.value).toEqual([{ address: unlinked.address, name: 'Help Desk' }]);
    // One tag, ours: the quoted reference and the prefixes are gone.
    expect(mail!.parsed.subject).toBe(`Re: Toner [#${opened.number}]`);
  });

  it('opens a linked follow-up for an answer to a ticket closed longer than the reopen window', async () => {
    const old = await desk.newTicket({ from: 'cy@customer.example', subject: 'VPN', body: 'Down.' });
    ok((await tech.execute(Update, { id: old.id, input: { status: 'CLOSED' } })).updateTicket, 'UpdateTicketSuccess');
    // Within the window: re-opened.
    await desk.reply(old.id, { from: 'cy@customer.example', subject: `Re: [#${old.number}] VPN`, body: 'Down again.' });
    expect((await ticket(old.id)).status).toBe('OPEN');

    // A window of 0 days: the ticket closed a moment ago is closed for longer than that.
    ok((await tech.execute(Update, { id: old.id, input: { status: 'CLOSED' } })).updateTicket, 'UpdateTicketSuccess');
    expect((await t.admin.execute(Preference, { input: { reopenWindowDays: 0 } })).updateEmailPreference.__typename).toBe('EmailPreferenceSuccess');
    const followUp = await desk.newTicket({ from: 'cy@customer.example', subject: `Re: [#${old.number}] VPN`, body: 'Down for good now.' });
    expect(followUp.id).not.toBe(old.id);
    const linkedTicket = await ticket(followUp.id);
    expect(linkedTicket.previousTicket).toEqual({ id: old.id, number: old.number });
    expect(linkedTicket.messages[0]!.bodyText).toBe('Down for good now.');
    expect((await ticket(old.id)).followUps).toEqual([{ id: followUp.id }]);
    expect((await ticket(old.id)).status).toBe('CLOSED');

    // A later answer quoting the old number lands on the follow-up, not in a third ticket.
    await desk.reply(followUp.id, { from: 'cy@customer.example', subject: `Re: [#${old.number}] VPN`, body: 'Any news?' });
    expect((await ticket(followUp.id)).messages.at(-1)!.bodyText).toBe('Any news?');

    // Back to 14 days: the old ticket, closed a minute ago, re-opens.
    await t.admin.execute(Preference, { input: { reopenWindowDays: 14 } });
    await desk.reply(old.id, { from: 'cy@customer.example', subject: `Re: [#${old.number}] VPN`, body: 'Within 14 days.' });
    expect((await ticket(old.id)).status).toBe('OPEN');
  });

  it('retries a reply while the relay is down, then raises SEND_FAILED to its author and the channel managers', async () => {
    const [closedPort] = await freePorts(1);
    const dead = await t.seed.outgoingServer({ name: 'Down', host: '127.0.0.1', port: closedPort, security: 'NONE', authType: 'NONE', fromAddress: 'relay@helpdesk.example' });
    const downDesk = await ticketMailbox(t, { technicianGroupId: (await t.seed.technicianGroup()), outgoingServerId: dead.id, name: 'Down desk' });
    const opened = await downDesk.newTicket({ from: 'dee@customer.example', subject: 'No mail', body: 'Nothing arrives.' });
    const reply = ok((await t.admin.execute(Reply, { ticketId: opened.id, input: { body: 'Trying.' } })).replyToTicket, 'TicketReplySuccess').message;
    const delivery = async () => (await ticket(opened.id, t.admin)).messages.find((m) => m.id === reply.id)!.delivery!;
    await waitFor('the first attempt', async () => (await delivery()).attempts >= 1);
    expect(await delivery()).toMatchObject({ status: 'SENDING', lastError: expect.stringMatching(/refused the connection; attempt 1 of 6, next in 1 min$/) });

    const worker = t.app.services.outboundWorker;
    for (let day = 1; (await delivery()).status === 'SENDING' && day < 10; day++) await worker.runOnce(new Date(Date.now() + day * 86_400_000));
    expect(await delivery()).toMatchObject({ status: 'FAILED', attempts: 6, lastError: expect.stringMatching(/gave up after 6 attempts$/) });
    // The admin replied, and is a channel manager: one notification, with the reason.
    const failedReply = async (client: GraphQLClient) => (await client.execute(Notifications)).notifications.filter((n) => n.kind === 'SEND_FAILED' && n.title.startsWith(`A reply on ${opened.number}`));
    await waitFor('SEND_FAILED', async () => (await failedReply(t.admin)).length > 0);
    expect(await failedReply(t.admin)).toEqual([{
      kind: 'SEND_FAILED', title: `A reply on ${opened.number} to dee@customer.example could not be sent`, body: expect.stringMatching(/gave up after 6 attempts$/), ticket: { id: opened.id },
    }]);

    // Fixed relay, retried from the ticket: sent.
    const { updateOutgoingServer } = await t.admin.execute(FixRelay, {
      id: dead.id, input: { name: 'Down', host: '127.0.0.1', port: primary.port, security: 'NONE', authType: 'NONE', fromAddress: 'relay@helpdesk.example' },
    });
    expect(updateOutgoingServer.__typename).toBe('OutgoingEmailServerSuccess');
    expect((await t.admin.execute(Retry, { id: reply.id })).retryTicketMessage).toEqual({ __typename: 'TicketReplySuccess', message: { delivery: { status: 'SENDING', attempts: 0 } } });
    await waitFor('sent after the retry', async () => (await delivery()).status === 'SENT');
  });

  describe('bad input: a typed error, nothing written, nothing sent', () => {
    it('refuses an empty body, an unknown assignee, a transition that does not exist, an attachment over the cap', async () => {
      const opened = await desk.newTicket({ from: 'eve@customer.example', subject: 'Bad input', body: 'x' });
      await waitFor('the acknowledgment sent', async () => (await t.admin.execute(Outbound, { ticketId: opened.id })).outboundMail.every((m) => m.status === 'SENT'));
      const sentBefore = linked.received.length + primary.received.length;
      const conversation = (await ticket(opened.id)).messages.length;

      const empty = await tech.execute(Reply, { ticketId: opened.id, input: { body: '  \n ' } });
      expect(ok(empty.replyToTicket, 'ValidationError').fieldErrors).toEqual([{ path: ['body'], message: 'Write something' }]);
      const badCc = await tech.execute(Reply, { ticketId: opened.id, input: { body: 'x', cc: ['not-an-address', desk.address] } });
      expect(ok(badCc.replyToTicket, 'ValidationError').fieldErrors).toEqual([
        { path: ['cc', '0'], message: 'not-an-address is not an email address' },
        { path: ['cc', '1'], message: `${desk.address} is one of Mailroom's own addresses` },
      ]);
      const nobody = await tech.execute(Update, { id: opened.id, input: { assigneeId: '00000000-0000-4000-8000-000000000000' } });
      expect(ok(nobody.updateTicket, 'ValidationError').fieldErrors).toEqual([{ path: ['assigneeId'], message: 'No such user' }]);
      ok((await tech.execute(Update, { id: opened.id, input: { status: 'CLOSED' } })).updateTicket, 'UpdateTicketSuccess');
      const back = await tech.execute(Update, { id: opened.id, input: { status: 'PENDING' } });
      expect(ok(back.updateTicket, 'ValidationError').fieldErrors).toEqual([{ path: ['status'], message: "A CLOSED ticket can't become PENDING; it can become OPEN" }]);
      const withStatus = await tech.execute(Reply, { ticketId: opened.id, input: { body: 'x', setStatus: 'RESOLVED' } });
      expect(ok(withStatus.replyToTicket, 'ValidationError').fieldErrors).toEqual([{ path: ['setStatus'], message: "A CLOSED ticket can't become RESOLVED; it can become OPEN" }]);

      await t.admin.execute(Preference, { input: { maxAttachmentBytes: 1024 } });
      const big = await tech.upload(Reply, { ticketId: opened.id, input: { body: 'see attached', attachments: [null] } }, {
        'input.attachments.0': { name: 'big.bin', type: 'application/octet-stream', content: Buffer.alloc(2048, 1) },
      });
      expect(ok(big.data!.replyToTicket, 'ValidationError').fieldErrors).toEqual([{ path: ['attachments', '0'], message: 'big.bin (2.0 KB) is over the 1.0 KB limit' }]);
      await t.admin.execute(Preference, { input: { maxAttachmentBytes: 20 * 1024 * 1024 } });

      await new Promise((r) => setTimeout(r, 500));
      const after = await ticket(opened.id);
      expect(after.messages).toHaveLength(conversation);
      expect(after.status).toBe('CLOSED');
      expect((await t.admin.execute(Outbound, { ticketId: opened.id })).outboundMail.filter((m) => m.kind === 'REPLY')).toEqual([]);
      expect(linked.received.length + primary.received.length).toBe(sentBefore);
    });

    it('refuses to mail a requester that is one of Mailroom\'s own addresses', async () => {
      const echo = await desk.newTicket({ from: 'relay@helpdesk.example', subject: 'Echo', body: 'from our own relay address' });
      const res = await tech.execute(Reply, { ticketId: echo.id, input: { body: 'hello me' } });
      expect(ok(res.replyToTicket, 'ValidationError').fieldErrors).toEqual([
        { path: ['ticketId'], message: 'The requester relay@helpdesk.example is one of Mailroom\'s own mailboxes: a reply would go back into Mailroom' },
      ]);
      expect((await t.admin.execute(Outbound, { ticketId: echo.id })).outboundMail).toEqual([]);
    });
  });
});
