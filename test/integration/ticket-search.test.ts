// SPEC §10 finding tickets: full-text search (websearch syntax) over subject, requester, every
// message and the notes, exact REQ-n and address look-ups, the views' filters, sort by last
// activity with keyset pages, and the per-user unread marker — over tickets from real mail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, ok, startTestApp, type TestApp } from '../testkit/app.ts';
import type { TicketFilter, TicketOrder } from '../testkit/gql/graphql.ts';
import { ticketMailbox, type TicketMailbox } from '../testkit/tickets.ts';

const Find = graphql(`
  query SearchTestFind($filter: TicketFilter, $orderBy: TicketOrder, $first: Int, $after: String) {
    tickets(filter: $filter, orderBy: $orderBy, first: $first, after: $after) { totalCount capped: totalCount(atMost: 2) nodes { id subject } pageInfo { hasNextPage endCursor } }
  }
`);
const Note = graphql(`mutation SearchTestNote($id: ID!, $body: String!) { addTicketNote(ticketId: $id, body: $body) { __typename } }`);
const Update = graphql(`mutation SearchTestUpdate($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { __typename } }`);
const AssignToMe = graphql(`mutation SearchTestAssign($id: ID!) { assignTicketToMe(id: $id) { __typename ... on TicketSuccess { ticket { assignee { email } } } } }`);
const Seen = graphql(`mutation SearchTestSeen($id: ID!) { markTicketSeen(id: $id) { __typename ... on TicketSuccess { ticket { unread } } } }`);
const Unread = graphql(`query SearchTestUnread($id: ID!) { ticket(id: $id) { unread lastActivityAt } }`);

describe('finding tickets', () => {
  let t: TestApp;
  let desk: TicketMailbox;
  let printer: { id: string; number: string };
  let vpn: { id: string; number: string };
  let invoice: { id: string; number: string };

  beforeAll(async () => {
    t = await startTestApp();
    desk = await ticketMailbox(t);
    printer = await desk.newTicket({ from: 'Ada Lovelace <ada@customer.example>', subject: 'Printer on fire', body: 'The paper tray melted.' });
    vpn = await desk.newTicket({ from: 'bob@other.example', subject: 'VPN keeps dropping', body: 'Since the update the tunnel drops every hour.', headers: 'Cc: Carol <carol@other.example>' });
    invoice = await desk.newTicket({ from: 'ada@customer.example', subject: 'Invoice question', body: 'Where is invoice 4711?' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const find = async (filter: TicketFilter, orderBy: TicketOrder = 'LAST_ACTIVITY') =>
    (await t.admin.execute(Find, { filter: { incomingEmailServerId: desk.id, ...filter }, orderBy })).tickets;
  const subjects = async (search: string) => (await find({ search })).nodes.map((n) => n.subject).sort();

  it('finds words anywhere in the conversation, in any case, with web search syntax', async () => {
    expect(await subjects('melted')).toEqual(['Printer on fire']);
    expect(await subjects('PRINTER')).toEqual(['Printer on fire']);
    expect(await subjects('tunnel hour')).toEqual(['VPN keeps dropping']);
    expect(await subjects('"tunnel drops"')).toEqual(['VPN keeps dropping']);
    expect(await subjects('"drops tunnel"')).toEqual([]);
    expect(await subjects('question -4711')).toEqual([]);
    expect(await subjects('tray or tunnel')).toEqual(['Printer on fire', 'VPN keeps dropping']);
    expect(await subjects('lovelace')).toEqual(['Printer on fire']);
    expect(await subjects('nothing-like-this')).toEqual([]);
    expect(await subjects('  ')).toEqual(['Invoice question', 'Printer on fire', 'VPN keeps dropping']);
  });

  it('finds a ticket by its number and by any address taking part in it', async () => {
    expect(await subjects(vpn.number)).toEqual(['VPN keeps dropping']);
    expect(await subjects(`[#${vpn.number}]`)).toEqual(['VPN keeps dropping']);
    expect(await subjects(`#${vpn.number.slice(4)}`)).toEqual(['VPN keeps dropping']);
    expect(await subjects('ada@customer.example')).toEqual(['Invoice question', 'Printer on fire']);
    expect(await subjects('Carol@Other.example')).toEqual(['VPN keeps dropping']);
  });

  it('finds replies and internal notes, and sorts by last activity', async () => {
    expect((await find({}, 'CREATED')).nodes.map((n) => n.id)).toEqual([invoice.id, vpn.id, printer.id]);
    const before = (await t.admin.execute(Unread, { id: printer.id })).ticket!.lastActivityAt;

    expect((await t.admin.execute(Note, { id: vpn.id, body: 'Escalated to the network team.' })).addTicketNote.__typename).toBe('TicketNoteSuccess');
    expect(await subjects('network team')).toEqual(['VPN keeps dropping']);
    expect((await find({})).nodes[0]!.id).toBe(vpn.id);

    await desk.reply(printer.id, { from: 'ada@customer.example', subject: `Re: [#${printer.number}] Printer on fire`, body: 'It smells of toast now.' });
    expect(await subjects('toast')).toEqual(['Printer on fire']);
    expect((await find({})).nodes.map((n) => n.id)).toEqual([printer.id, vpn.id, invoice.id]);
    expect(new Date((await t.admin.execute(Unread, { id: printer.id })).ticket!.lastActivityAt).getTime()).toBeGreaterThan(new Date(before).getTime());
    // Creation order is unchanged by activity.
    expect((await find({}, 'CREATED')).nodes.map((n) => n.id)).toEqual([invoice.id, vpn.id, printer.id]);
  });

  it('pages with a cursor in either order', async () => {
    for (const orderBy of ['LAST_ACTIVITY', 'CREATED'] as const) {
      const all = (await find({}, orderBy)).nodes.map((n) => n.id);
      const first = (await t.admin.execute(Find, { filter: { incomingEmailServerId: desk.id }, orderBy, first: 2 })).tickets;
      expect(first).toMatchObject({ totalCount: 3, capped: 2, pageInfo: { hasNextPage: true } });
      const rest = (await t.admin.execute(Find, { filter: { incomingEmailServerId: desk.id }, orderBy, first: 2, after: first.pageInfo.endCursor })).tickets;
      expect(rest.pageInfo.hasNextPage).toBe(false);
      expect([...first.nodes, ...rest.nodes].map((n) => n.id)).toEqual(all);
    }
  });

  it('filters the views: mine, unassigned, status', async () => {
    expect(ok((await t.admin.execute(AssignToMe, { id: vpn.id })).assignTicketToMe, 'TicketSuccess').ticket.assignee?.email).toBe('admin@mailroom.test');
    expect((await find({ mine: true })).nodes.map((n) => n.id)).toEqual([vpn.id]);
    expect((await find({ unassigned: true })).nodes.map((n) => n.id).sort()).toEqual([invoice.id, printer.id].sort());
    expect((await t.admin.execute(Update, { id: invoice.id, input: { status: 'PENDING' } })).updateTicket.__typename).toBe('UpdateTicketSuccess');
    expect((await find({ statuses: ['PENDING', 'RESOLVED'] })).nodes.map((n) => n.id)).toEqual([invoice.id]);
    expect((await find({ status: 'OPEN', search: 'ada@customer.example' })).nodes.map((n) => n.id)).toEqual([printer.id]);
    expect((await find({ myGroups: true })).totalCount).toBe(0);
  });

  it('marks a ticket unread for each user until they open it, and again when the requester writes', async () => {
    expect((await t.admin.execute(Unread, { id: invoice.id })).ticket!.unread).toBe(true);
    expect(ok((await t.admin.execute(Seen, { id: invoice.id })).markTicketSeen, 'TicketSuccess').ticket.unread).toBe(false);
    const other = await (await t.seed.technician()).signIn();
    expect((await other.execute(Unread, { id: invoice.id })).ticket!.unread).toBe(true);
    await desk.reply(invoice.id, { from: 'ada@customer.example', subject: `Re: [#${invoice.number}] Invoice question`, body: 'Found it, thanks.' });
    expect((await t.admin.execute(Unread, { id: invoice.id })).ticket!.unread).toBe(true);
  });
});
