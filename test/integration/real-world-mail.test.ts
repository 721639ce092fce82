// Issue 12 end to end: each class of real-world mail delivered byte for byte over LMTP into
// Dovecot, taken by the IMAP connector, and read back through the API as a technician would.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, ok, startTestApp, type GraphQLClient, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import * as mail from '../testkit/real-world-mail.ts';
import { waitFor } from '../testkit/services/util.ts';

graphql(`fragment RealWorldAttachment on Attachment { id filename contentType size inline url inlineUrl }`);
const Ticket = graphql(`
  query RealWorldTicket($id: ID!) {
    ticket(id: $id) {
      id number subject description descriptionHtml requester { email name }
      attachments { ...RealWorldAttachment }
      messages { id from bodyText bodyHtml attachments { ...RealWorldAttachment } }
    }
  }
`);
const Subjects = graphql(`query RealWorldSubjects { tickets(first: 200) { nodes { id subject } } }`);
const Audit = graphql(`query RealWorldAudit($id: ID!) { emailAuditLog(serverId: $id, first: 200) { nodes { outcome reason subject from ticket { number } } } }`);
const Quarantined = graphql(`query RealWorldQuarantine($all: Boolean) { quarantinedMessages(includeResolved: $all) { id reason from subject resolution } }`);
graphql(`
  fragment RealWorldQuarantineAction on QuarantineActionResult {
    __typename ... on QuarantineActionSuccess { result { outcome message ticket { id number requester { email } } entry { id resolution reason } } } ... on Error { message }
  }
`);
const Release = graphql(`mutation RealWorldRelease($id: ID!) { releaseQuarantinedMessage(id: $id) { ...RealWorldQuarantineAction } }`);
const Reprocess = graphql(`mutation RealWorldReprocess($id: ID!) { reprocessQuarantinedMessage(id: $id) { ...RealWorldQuarantineAction } }`);
const UpdatePreference = graphql(`mutation RealWorldPreference($input: EmailPreferenceInput!) { updateEmailPreference(input: $input) { __typename } }`);

describe('real-world mail over Dovecot and LMTP', () => {
  let t: TestApp;
  let tech: GraphQLClient;
  let serverId: string;
  const user = `realworld-${randomUUID().slice(0, 8)}@example.test`;
  const tag = randomUUID().slice(0, 6);

  /** Delivers the raw message and returns the ticket with that subject as a technician reads it. */
  async function deliverAs(raw: Buffer, subject: string) {
    await getDovecot().deliver(user, raw);
    let id: string | undefined;
    await waitFor(`the ticket "${subject}"`, async () => {
      id = (await t.admin.execute(Subjects)).tickets.nodes.find((n) => n.subject === subject)?.id;
      return Boolean(id);
    }, 30_000);
    return (await tech.execute(Ticket, { id: id! })).ticket!;
  }

  /** The same with a subject made unique to this run. */
  const deliver = (build: (o: mail.MailOptions) => Buffer, subject: string, o: mail.MailOptions = {}) =>
    deliverAs(build({ subject: `${subject} ${tag}`, to: user, ...o }), `${subject} ${tag}`);

  const get = (url: string) => fetch(`${t.url}${url}`, { headers: { authorization: `Bearer ${tech.token}` } });

  beforeAll(async () => {
    await getDovecot().addUser(user, 'imap-secret-1');
    t = await startTestApp();
    const dovecot = getDovecot();
    serverId = (await t.seed.incomingServer({
      name: 'Real world', email: user, protocol: 'IMAP', provider: 'OTHER', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE', authType: 'BASIC',
      password: 'imap-secret-1', realTimeScanning: true,
    })).id;
    tech = await (await t.seed.technician()).signIn();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('1. Outlook, Apple Mail, Gmail and Thunderbird inline images show, whatever their Content-ID case', async () => {
    const outlook = await deliver(mail.outlookInlineImages, 'Outlook');
    const html = outlook.messages[0]!.bodyHtml!;
    expect(html).not.toContain('cid:');
    const images = outlook.attachments.filter((a) => a.inline);
    expect(images.map((a) => a.filename).sort()).toEqual(['image001.png', 'image002.png']);
    for (const image of images) {
      expect(html).toContain(`src="${image.inlineUrl}"`);
      const res = await get(image.inlineUrl!);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await res.arrayBuffer())).toEqual(image.filename === 'image001.png' ? mail.RED_PNG : mail.BLUE_PNG);
    }
    expect(outlook.attachments.find((a) => a.filename === 'Printer report.pdf')).toMatchObject({ inline: false, contentType: 'application/pdf' });
    expect(outlook.descriptionHtml).toBe(html);

    for (const [build, name] of [[mail.appleMailInlineImage, 'Apple Mail'], [mail.gmailInlineImage, 'Gmail'], [mail.percentEncodedCid, 'Thunderbird']] as const) {
      const ticket = await deliver(build, name);
      expect(ticket.messages[0]!.bodyHtml, name).not.toContain('cid:');
      expect(ticket.attachments, name).toEqual([expect.objectContaining({ inline: true })]);
      expect(ticket.messages[0]!.bodyHtml).toContain(`src="${ticket.attachments[0]!.inlineUrl}"`);
    }
  });

  it('2. HTML-only mail gets its description from the HTML', async () => {
    expect((await deliver(mail.htmlOnlyRelated, 'HTML only')).description)
      .toBe('Server down\n\nThe mail server stopped at 09:00.\n\nHost    mx1\nSince   09:00\n\nStatus page [https://status.example.com/]');
    expect((await deliver(mail.alternativeEmptyText, 'Empty text part')).description).toBe('Line one\nLine two\n\nPlease call +44 12345 [tel:+4412345].');
  });

  it('3. an inline PDF is listed as an attachment and downloads', async () => {
    const ticket = await deliver(mail.inlinePdf, 'Inline PDF');
    expect(ticket.attachments).toEqual([expect.objectContaining({ filename: 'invoice-0042.pdf', inline: false, contentType: 'application/pdf' })]);
    const res = await get(ticket.attachments[0]!.url);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(mail.PDF);
  });

  it('4. nameless parts and attached mails get names', async () => {
    const nameless = await deliver(mail.namelessParts, 'Nameless');
    expect(nameless.attachments.map((a) => a.filename).sort()).toEqual(['file.bin', 'file.pdf', 'image.jpg', 'image001.png', 'scan.pdf', 'scan.pdf']);
    expect(nameless.attachments.every((a) => !a.inline)).toBe(true);
    const forwarded = await deliver(mail.attachedEmail, 'Forwarded');
    expect(forwarded.attachments.map((a) => [a.filename, a.contentType]).sort()).toEqual([
      ['Drucker im 3. Stock fällt aus.eml', 'message/rfc822'], ['Second report.eml', 'message/rfc822'],
    ]);
  });

  it('5. unlabelled GBK, mislabelled Shift_JIS and unlabelled Latin-1 read right', async () => {
    expect((await deliverAs(mail.unlabelledGbk({ to: user }), mail.GBK_SUBJECT)).description).toBe(mail.GBK_BODY);
    expect((await deliverAs(mail.mislabelledShiftJis({ to: user }), mail.SJIS_SUBJECT)).description).toBe(mail.SJIS_BODY);
    expect((await deliverAs(mail.unlabelledLatin1({ to: user }), "Problème avec l'imprimante")).description).toBe(mail.LATIN1_BODY);
  });

  it('6. the sender comes from the first header with an address, and the audit says which', async () => {
    expect((await deliver(mail.twoFromHeaders, 'Two From')).requester).toEqual({ email: 'dan@customer.example', name: 'Dan' });
    expect((await deliver(mail.noFromWithReplyTo, 'Reply-To only')).requester.email).toBe('erin@customer.example');
    const audit = (await t.admin.execute(Audit, { id: serverId })).emailAuditLog.nodes;
    expect(audit.find((e) => e.subject === `Two From ${tag}`)).toMatchObject({ outcome: 'TICKET_CREATED', from: 'dan@customer.example', reason: expect.stringContaining('sender from the second From header') });
    expect(audit.find((e) => e.subject === `Reply-To only ${tag}`)).toMatchObject({ outcome: 'TICKET_CREATED', reason: expect.stringContaining('sender from Reply-To') });
  });

  it('7. text and HTML parts around an attachment all show, in order', async () => {
    const html = (await deliver(mail.mixedTextHtml, 'Mixed parts')).messages[0]!.bodyHtml!;
    const at = ['Part one (text).', 'Part <b>two</b> (HTML).', 'Part three (text) &lt;not a tag&gt;.', 'Part <i>four</i> (HTML).'].map((s) => html.indexOf(s));
    expect(at.every((i) => i >= 0) && at.every((i, n) => n === 0 || i > at[n - 1]!)).toBe(true);
  });

  it('8. background colours stay, unreadable text colours go, remote images wait for a click', async () => {
    const html = (await deliver(mail.colouredBanner, 'Banner')).messages[0]!.bodyHtml!;
    expect(html).toContain('background-color:#1a73e8');
    expect(html).toContain('<p>White on a dropped image</p>');
    expect(html).toContain('data-remote-src="https://tracker.example.com/open.gif?u=42"');
    expect(html).not.toMatch(/\ssrc="https?:/);
  });

  it('10. attachments keep their full type and size for the card', async () => {
    const ticket = await deliver(mail.excelAttachment, 'Excel');
    expect(ticket.attachments).toEqual([expect.objectContaining({
      filename: 'Budget 2024 – Q3 forecast (final, reviewed by finance).xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', size: mail.XLSX.length, inline: false,
    })]);
  });

  it('9. quarantine: entries named from the raw headers; release makes one ticket and closes its one entry; reprocess says it still holds', async () => {
    const nobody = (subject: string) => mail.noFromWithReplyTo({ to: user, subject, headers: [] }).toString().replace(/^Reply-To: .*\r\n/m, 'From: Support Portal\r\n');
    const entryFor = async (subject: string) => (await t.admin.execute(Quarantined, { all: true })).quarantinedMessages.filter((q) => q.subject === subject);
    const held = `Nobody ${tag}`;
    await getDovecot().deliver(user, nobody(held));
    await waitFor('the quarantine entry', async () => (await entryFor(held)).length === 1, 30_000);

    const [entry] = await entryFor(held);
    expect(entry).toMatchObject({ reason: 'no sender address (From) in the message', resolution: null });
    const again = ok((await t.admin.execute(Reprocess, { id: entry!.id })).reprocessQuarantinedMessage, 'QuarantineActionSuccess').result;
    expect(again).toMatchObject({ outcome: 'QUARANTINED', message: 'Still held: no sender address (From) in the message.', ticket: null, entry: { id: entry!.id, resolution: null } });
    expect(await entryFor(held)).toHaveLength(1);

    const released = ok((await t.admin.execute(Release, { id: entry!.id })).releaseQuarantinedMessage, 'QuarantineActionSuccess').result;
    expect(released).toMatchObject({ outcome: 'TICKET_CREATED', entry: { id: entry!.id, resolution: 'RELEASED' }, ticket: { requester: { email: 'unknown-sender@invalid' } } });
    expect(released.message).toMatch(new RegExp(`^Created ${released.ticket!.number}: released by an admin`));
    expect(await entryFor(held)).toEqual([expect.objectContaining({ id: entry!.id, resolution: 'RELEASED' })]);
    const twice = (await t.admin.execute(Release, { id: entry!.id })).releaseQuarantinedMessage;
    expect(twice).toEqual({ __typename: 'ValidationError', message: 'This message was already released' });

    // Over the size limit: never parsed, yet the entry names subject and sender from the raw headers.
    const big = `Too big ${tag}`;
    await t.admin.execute(UpdatePreference, { input: { maxMessageBytes: 2048 } });
    try {
      await getDovecot().deliver(user, mail.outlookInlineImages({ to: user, subject: big, from: 'Frank <frank@customer.example>' }));
      await waitFor('the oversized entry', async () => (await entryFor(big)).length === 1, 30_000);
    } finally {
      await t.admin.execute(UpdatePreference, { input: { maxMessageBytes: 26214400 } });
    }
    const [oversized] = await entryFor(big);
    expect(oversized).toMatchObject({ from: 'frank@customer.example', subject: big, reason: expect.stringMatching(/over the .* limit/) });
    const bigRelease = ok((await t.admin.execute(Release, { id: oversized!.id })).releaseQuarantinedMessage, 'QuarantineActionSuccess').result;
    expect(bigRelease).toMatchObject({ outcome: 'TICKET_CREATED', ticket: { requester: { email: 'frank@customer.example' } }, entry: { resolution: 'RELEASED' } });
    const bigTicket = (await tech.execute(Ticket, { id: bigRelease.ticket!.id })).ticket!;
    expect(bigTicket.attachments.filter((a) => a.inline).length).toBe(2);
    expect(await entryFor(big)).toHaveLength(1);
  });
});
