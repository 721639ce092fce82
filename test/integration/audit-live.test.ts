// The email audit as an admin searches and watches it (issue 14, item 12): search by sender,
// subject or Message-ID, one entry in detail, new entries live over a subscription narrowed like
// the list, and the sent mail a page at a time, newest first, with a count.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, subscribe, startTestApp, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { mail } from '../testkit/mail.ts';
import { startSmtpSink, type SmtpSink } from '../testkit/services/smtp-sink.ts';
import { waitFor } from '../testkit/services/util.ts';

const Search = graphql(`
  query AuditLiveSearch($search: String, $serverId: ID) {
    emailAuditLog(search: $search, serverId: $serverId, first: 50) { nodes { id from subject messageId outcome } }
  }
`);
const Entry = graphql(`query AuditLiveEntry($id: ID!) { emailAuditEntry(id: $id) { id from subject to size rawUrl server { name } ticket { number } } }`);
const Added = graphql(`subscription AuditLiveAdded($search: String) { emailAuditEntryAdded(search: $search) { id from subject outcome } }`);
const Page = graphql(`
  query AuditLivePage($first: Int, $after: String) {
    outboundMailPage(first: $first, after: $after) { totalCount nodes { id toAddress subject createdAt } pageInfo { hasNextPage endCursor } }
  }
`);

describe('email audit: search, details, live; sent mail paged', () => {
  let t: TestApp;
  let sink: SmtpSink;
  const dovecot = getDovecot();
  const mailbox = `live-audit-${randomUUID().slice(0, 8)}@example.test`;
  let serverId: string;

  const search = async (text: string) => (await t.admin.execute(Search, { search: text, serverId })).emailAuditLog.nodes;

  beforeAll(async () => {
    [t, sink] = await Promise.all([startTestApp(), startSmtpSink()]);
    await dovecot.addUser(mailbox, 'audit-pass');
    await t.seed.outgoingServer({ name: 'Relay', host: '127.0.0.1', port: sink.port, security: 'NONE', authType: 'NONE', fromAddress: mailbox });
    serverId = (await t.seed.incomingServer({ name: 'Live desk', email: mailbox, protocol: 'IMAP', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE', password: 'audit-pass', realTimeScanning: true })).id;
    const sent = [
      mail({ from: 'Ada <ada@bigcustomer.example>', to: mailbox, subject: 'Invoice 50% too high', body: 'Please check.', messageId: '<invoice-1@bigcustomer.example>' }),
      mail({ from: 'Grace <grace@customer.example>', to: mailbox, subject: 'Printer jam', body: 'Again.', messageId: '<printer-2@customer.example>' }),
      mail({ from: 'Linus <linus@kernel.example>', to: mailbox, subject: 'Discount 50 percent', body: 'Hello.', messageId: '<discount-3@kernel.example>' }),
    ];
    for (const raw of sent) await dovecot.deliver(mailbox, raw);
    await waitFor('three entries', async () => (await search('')).length === 3, 30_000, 100);
  });
  afterAll(async () => {
    await Promise.all([t?.stop(), sink?.close()]);
  });

  it('finds entries by part of the sender, the subject or the Message-ID, case-insensitive', async () => {
    expect((await search('BIGCUSTOMER')).map((e) => e.subject)).toEqual(['Invoice 50% too high']);
    expect((await search('printer')).map((e) => e.from)).toEqual(['grace@customer.example']);
    expect((await search('<discount-3@kernel.example>')).map((e) => e.subject)).toEqual(['Discount 50 percent']);
    // LIKE's wildcards are taken literally.
    expect((await search('50%')).map((e) => e.subject)).toEqual(['Invoice 50% too high']);
    expect(await search('nothing like this')).toEqual([]);
  });

  it('shows one entry with its recipients, size and request', async () => {
    const [found] = await search('printer-2@');
    const { emailAuditEntry } = await t.admin.execute(Entry, { id: found!.id });
    expect(emailAuditEntry).toMatchObject({ from: 'grace@customer.example', subject: 'Printer jam', to: [mailbox], server: { name: 'Live desk' }, ticket: { number: expect.stringMatching(/^REQ-\d+$/) } });
    expect(emailAuditEntry!.size).toBeGreaterThan(100);
    expect(emailAuditEntry!.rawUrl).toBe(`/api/email-audit/${found!.id}/raw`);
    expect((await t.admin.execute(Entry, { id: randomUUID() })).emailAuditEntry).toBeNull();
  });

  it('pushes new entries as they are written, narrowed by the search', async () => {
    const ws = t.admin.ws();
    const live = subscribe(ws, Added, { search: 'urgent' });
    try {
      // Give the subscription a moment to be registered before mail arrives.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await dovecot.deliver(mailbox, mail({ from: 'Bob <bob@customer.example>', to: mailbox, subject: 'Not this one', body: '.' }));
      await dovecot.deliver(mailbox, mail({ from: 'Eve <eve@customer.example>', to: mailbox, subject: 'URGENT: server down', body: '.' }));
      const { emailAuditEntryAdded } = await live.next(20_000);
      expect(emailAuditEntryAdded).toMatchObject({ from: 'eve@customer.example', subject: 'URGENT: server down', outcome: 'TICKET_CREATED' });
    } finally {
      live.dispose();
      await ws.dispose();
    }
  });

  it('pages the sent mail newest first, with the count', async () => {
    await waitFor('five acknowledgments', async () => (await t.admin.execute(Page, { first: 1 })).outboundMailPage.totalCount === 5, 20_000, 100);
    const first = (await t.admin.execute(Page, { first: 2 })).outboundMailPage;
    expect(first.totalCount).toBe(5);
    expect(first.nodes).toHaveLength(2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await t.admin.execute(Page, { first: 10, after: first.pageInfo.endCursor })).outboundMailPage;
    expect(rest.nodes).toHaveLength(3);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const all = [...first.nodes, ...rest.nodes];
    expect(new Set(all.map((m) => m.id)).size).toBe(5);
    const times = all.map((m) => Date.parse(m.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // The last two mails may arrive in one batch, whose acknowledgments share a commit and so a time.
    expect(all[0]!.subject).toMatch(/URGENT: server down|Not this one/);
    expect(all.slice(2).map((m) => m.subject).join('\n')).not.toMatch(/URGENT: server down/);
  });
});
