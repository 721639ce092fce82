// SPEC §10 visibility, tried every way the API allows: two technician groups, a technician in
// each, a Super Admin and a channel manager. With group scoping on, a technician reaches the
// other group's tickets by no path — list, ticket, search, subscriptions, attachment and raw
// downloads, notifications, mutations — and gets "not found", never the data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, ok, startTestApp, subscribe, type GraphQLClient, type TestApp } from '../testkit/app.ts';
import { waitFor } from '../testkit/services/util.ts';
import { ticketMailbox, type TicketMailbox } from '../testkit/tickets.ts';

const List = graphql(`query VisibilityList($search: String) { tickets(first: 200, filter: { search: $search }) { totalCount nodes { id } } }`);
const One = graphql(`
  query VisibilityOne($id: ID!) {
    ticket(id: $id) { id subject attachments { url } messages { id rawUrl bodyText } }
  }
`);
const Created = graphql(`subscription VisibilityCreated { ticketCreated { id subject } }`);
const Updated = graphql(`subscription VisibilityUpdated($filter: TicketSubscriptionFilter) { ticketUpdated(filter: $filter) { id messages { bodyText } } }`);
const Notifications = graphql(`query VisibilityNotifications { notifications { kind title ticket { id } } unreadNotificationCount }`);
const Note = graphql(`mutation VisibilityNote($id: ID!, $body: String!) { addTicketNote(ticketId: $id, body: $body) { __typename } }`);
const Reply = graphql(`mutation VisibilityReply($id: ID!) { replyToTicket(ticketId: $id, input: { body: "let me in" }) { __typename } }`);
const Update = graphql(`
  mutation VisibilityUpdate($id: ID!, $input: UpdateTicketInput!) {
    updateTicket(id: $id, input: $input) { __typename ... on ValidationError { fieldErrors { path message } } ... on Error { message } }
  }
`);
const Assign = graphql(`mutation VisibilityAssign($id: ID!) { assignTicketToMe(id: $id) { __typename } }`);
const Seen = graphql(`mutation VisibilitySeen($id: ID!) { markTicketSeen(id: $id) { __typename } }`);
const Retry = graphql(`mutation VisibilityRetry($id: ID!) { retryTicketMessage(messageId: $id) { __typename } }`);
const Scoping = graphql(`mutation VisibilityScoping($on: Boolean) { updateEmailPreference(input: { technicianGroupScoping: $on }) { __typename } }`);
const MyGroups = graphql(`query VisibilityMyGroups { me { technicianGroups { id } } }`);
const ScopingNow = graphql(`query VisibilityScopingNow { emailPreference { technicianGroupScoping technicianGroupScopingAutomatic } }`);

describe('technician group visibility', () => {
  let t: TestApp;
  let first: TicketMailbox;
  let second: TicketMailbox;
  let one: GraphQLClient;
  let two: GraphQLClient;
  let manager: GraphQLClient;
  let ids: { one: string; two: string; secondGroup: string; techOne: string; techTwo: string };
  let tickets: { one: { id: string; number: string }; two: { id: string; number: string } };

  beforeAll(async () => {
    t = await startTestApp();
    const [g1, g2] = [await t.seed.technicianGroup('First line'), await t.seed.technicianGroup('Second line')];
    const [techOne, techTwo] = [await t.seed.technician({ name: 'One', groupIds: [g1] }), await t.seed.technician({ name: 'Two', groupIds: [g2] })];
    const managerRole = await t.seed.role('Channel managers', ['MANAGE_SUPPORT_CHANNELS']);
    [one, two, manager] = [await techOne.signIn(), await techTwo.signIn(), await (await t.seed.technician({ roleId: managerRole })).signIn()];
    first = await ticketMailbox(t, { technicianGroupId: g1 });
    second = await ticketMailbox(t, { technicianGroupId: g2 });
    tickets = {
      one: await first.newTicket({ from: 'ann@first.example', subject: 'Keyboard', body: 'alphaword', attachment: { filename: 'one.txt', type: 'text/plain', content: 'first secret' } }),
      two: await second.newTicket({ from: 'zed@second.example', subject: 'Payroll', body: 'omegaword', attachment: { filename: 'two.txt', type: 'text/plain', content: 'second secret' } }),
    };
    ids = { one: tickets.one.id, two: tickets.two.id, secondGroup: g2, techOne: techOne.id, techTwo: techTwo.id };
  });
  afterAll(async () => {
    await t?.stop();
  });

  const listed = async (client: GraphQLClient, search?: string) => (await client.execute(List, { search: search ?? null })).tickets;
  const get = (client: GraphQLClient, path: string) => fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${client.token}` } });

  it('is on by default once groups have members', async () => {
    expect((await t.admin.execute(ScopingNow)).emailPreference).toEqual({ technicianGroupScoping: true, technicianGroupScopingAutomatic: true });
  });

  it('lists, opens and searches only the tickets of one\'s groups; admins and channel managers see all', async () => {
    expect(await listed(one)).toEqual({ totalCount: 1, nodes: [{ id: ids.one }] });
    expect(await listed(two)).toEqual({ totalCount: 1, nodes: [{ id: ids.two }] });
    for (const admin of [t.admin, manager]) expect((await listed(admin)).nodes.map((n) => n.id).sort()).toEqual([ids.one, ids.two].sort());
    expect((await one.execute(One, { id: ids.two })).ticket).toBeNull();
    expect((await one.execute(One, { id: ids.one })).ticket?.subject).toBe('Keyboard');
    for (const search of ['omegaword', 'Payroll', tickets.two.number, 'zed@second.example']) {
      expect(await listed(one, search), search).toEqual({ totalCount: 0, nodes: [] });
      expect((await listed(two, search)).nodes, search).toEqual([{ id: ids.two }]);
    }
  });

  it('downloads attachments, raw mail and remote images of one\'s own tickets only', async () => {
    const mine = (await one.execute(One, { id: ids.one })).ticket!;
    const theirs = (await t.admin.execute(One, { id: ids.two })).ticket!;
    const ownFile = await get(one, mine.attachments[0]!.url);
    expect([ownFile.status, await ownFile.text()]).toEqual([200, 'first secret']);
    expect((await get(one, mine.messages[0]!.rawUrl!)).status).toBe(200);
    // The remote-image proxy answers by the same rule before it fetches anything.
    for (const path of [theirs.attachments[0]!.url, theirs.messages[0]!.rawUrl!, `/api/messages/${theirs.messages[0]!.id}/remote-images/0`]) {
      const res = await get(one, path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(await res.text()).not.toContain('second secret');
    }
    expect((await get(t.admin, theirs.attachments[0]!.url)).status).toBe(200);
  });

  it('refuses every change to the other group\'s ticket as not found, and writes nothing', async () => {
    const messageId = (await t.admin.execute(One, { id: ids.two })).ticket!.messages[0]!.id;
    const results = [
      (await one.execute(Note, { id: ids.two, body: 'sneaky note' })).addTicketNote.__typename,
      (await one.execute(Reply, { id: ids.two })).replyToTicket.__typename,
      (await one.execute(Update, { id: ids.two, input: { status: 'CLOSED' } })).updateTicket.__typename,
      (await one.execute(Assign, { id: ids.two })).assignTicketToMe.__typename,
      (await one.execute(Seen, { id: ids.two })).markTicketSeen.__typename,
      (await one.execute(Retry, { id: messageId })).retryTicketMessage.__typename,
    ];
    expect(results).toEqual(Array(6).fill('NotFoundError'));
    expect((await t.admin.execute(One, { id: ids.two })).ticket!.messages.map((m) => m.bodyText)).toEqual(['omegaword']);
  });

  it('keeps technicians to their groups when routing and assigning', async () => {
    const elsewhere = await one.execute(Update, { id: ids.one, input: { technicianGroupId: ids.secondGroup } });
    expect(ok(elsewhere.updateTicket, 'ValidationError').fieldErrors).toEqual([{ path: ['technicianGroupId'], message: 'You can move tickets only to your own groups' }]);
    const toStranger = await one.execute(Update, { id: ids.one, input: { assigneeId: ids.techTwo } });
    expect(ok(toStranger.updateTicket, 'ValidationError').fieldErrors).toEqual([{ path: ['assigneeId'], message: 'You can assign tickets only to yourself or to members of your groups' }]);
  });

  it('delivers over subscriptions only the tickets one may see', async () => {
    const ws = one.ws();
    const created = subscribe(ws, Created);
    const updated = subscribe(ws, Updated);
    const pinned = subscribe(ws, Updated, { filter: { ticketId: ids.two } });
    await new Promise((r) => setTimeout(r, 300));
    await second.newTicket({ from: 'zed@second.example', subject: 'Payroll again', body: 'x' });
    const next = await first.newTicket({ from: 'ann@first.example', subject: 'Mouse', body: 'x' });
    expect((await created.next()).ticketCreated).toEqual({ id: next.id, subject: 'Mouse' });

    await t.admin.execute(Note, { id: ids.two, body: 'not for first line' });
    await t.admin.execute(Note, { id: ids.one, body: 'for first line' });
    expect((await updated.next()).ticketUpdated).toEqual({ id: ids.one, messages: [{ bodyText: 'alphaword' }, { bodyText: 'for first line' }] });
    await expect(pinned.next(1500)).rejects.toThrow(/no subscription event/);
    await ws.dispose();
  });

  it('notifies each technician of new tickets in their groups only', async () => {
    const kinds = async (client: GraphQLClient) => (await client.execute(Notifications)).notifications.map((n) => `${n.kind} ${n.title}`).sort();
    await waitFor('notifications', async () => (await kinds(one)).length === 2 && (await kinds(two)).length === 2);
    expect(await kinds(one)).toEqual([expect.stringMatching(/^NEW_TICKET New request REQ-\d+ in First line$/), expect.stringMatching(/^NEW_TICKET New request REQ-\d+ in First line$/)]);
    expect((await kinds(two)).every((k) => k.endsWith('in Second line'))).toBe(true);
  });

  it('follows the ticket when it moves: out of reach with its notifications, or back in when assigned', async () => {
    expect((await t.admin.execute(Update, { id: ids.one, input: { technicianGroupId: ids.secondGroup } })).updateTicket.__typename).toBe('UpdateTicketSuccess');
    expect((await one.execute(One, { id: ids.one })).ticket).toBeNull();
    const left = (await one.execute(Notifications)).notifications;
    expect(left.map((n) => n.ticket?.id)).not.toContain(ids.one);
    expect(left).toHaveLength(1);
    expect((await one.execute(Notifications)).unreadNotificationCount).toBe(1);

    // Assigned to them, a ticket of another group is theirs to see and work.
    expect((await t.admin.execute(Update, { id: ids.two, input: { assigneeId: ids.techOne } })).updateTicket.__typename).toBe('UpdateTicketSuccess');
    expect((await one.execute(One, { id: ids.two })).ticket?.subject).toBe('Payroll');
    expect((await one.execute(Note, { id: ids.two, body: 'on it' })).addTicketNote.__typename).toBe('TicketNoteSuccess');
    await t.admin.execute(Update, { id: ids.two, input: { assigneeId: null } });
    await t.admin.execute(Update, { id: ids.one, input: { technicianGroupId: (await one.execute(MyGroups)).me!.technicianGroups[0]!.id } });
  });

  it('with scoping off, shows every ticket but still refuses changes outside one\'s groups', async () => {
    expect((await t.admin.execute(Scoping, { on: false })).updateEmailPreference.__typename).toBe('EmailPreferenceSuccess');
    expect((await one.execute(One, { id: ids.two })).ticket?.subject).toBe('Payroll');
    expect((await one.execute(Note, { id: ids.two, body: 'x' })).addTicketNote.__typename).toBe('NotAllowedError');
    expect(ok((await one.execute(Update, { id: ids.two, input: { status: 'CLOSED' } })).updateTicket, 'NotAllowedError').message).toBe('This ticket belongs to a technician group you are not in');
    expect((await t.admin.execute(Scoping, { on: null })).updateEmailPreference.__typename).toBe('EmailPreferenceSuccess');
    expect((await one.execute(One, { id: ids.two })).ticket).toBeNull();
  });
});
