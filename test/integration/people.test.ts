// SPEC §10 people and lists: users with their roles and groups, password reset and change (which
// end sessions), per-user notification switches, and the admin-managed priorities and request
// types that tickets and rules refer to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, graphql, ok, startTestApp, type TestApp } from '../testkit/app.ts';
import { waitFor } from '../testkit/services/util.ts';
import { ticketMailbox } from '../testkit/tickets.ts';

const CreateUser = graphql(`
  mutation PeopleCreateUser($email: String!, $groups: [ID!]) {
    createUser(email: $email, name: "Nina New", password: "long enough", technicianGroupIds: $groups) {
      __typename ... on UserSuccess { user { id technicianGroups { name } } } ... on ValidationError { fieldErrors { path message } }
    }
  }
`);
const Users = graphql(`query PeopleUsers { users { email } }`);
const UpdateUser = graphql(`
  mutation PeopleUpdateUser($id: ID!, $input: UpdateUserInput!) {
    updateUser(id: $id, input: $input) {
      __typename ... on UserSuccess { user { name email canManageSupportChannels role { name } } } ... on ValidationError { fieldErrors { path message } }
    }
  }
`);
const Reset = graphql(`mutation PeopleReset($id: ID!, $password: String!) { resetUserPassword(id: $id, password: $password) { __typename } }`);
const ChangeMine = graphql(`
  mutation PeopleChangeMine($current: String!, $next: String!) {
    changeMyPassword(currentPassword: $current, newPassword: $next) { __typename ... on ValidationError { fieldErrors { path message } } }
  }
`);
const Me = graphql(`query PeopleMe { me { id name notificationSettings { newTicketInMyGroups requesterRepliedOnMine } } }`);
const SetGroups = graphql(`mutation PeopleSetGroups($id: ID!, $groups: [ID!]!) { setUserGroups(userId: $id, technicianGroupIds: $groups) { __typename } }`);
const Members = graphql(`query PeopleMembers { technicianGroups { name members { name } } }`);
const UpdateRole = graphql(`
  mutation PeopleUpdateRole($id: ID!, $permissions: [Permission!]) { updateRole(id: $id, name: "Leads", permissions: $permissions) { __typename ... on RoleSuccess { role { name permissions } } } }
`);
const DeleteRole = graphql(`mutation PeopleDeleteRole($id: ID!) { deleteRole(id: $id) { __typename } }`);
const Roles = graphql(`query PeopleRoles { roles { name } }`);
const NotifySettings = graphql(`
  mutation PeopleNotify($on: Boolean) { updateMyNotificationSettings(input: { newTicketInMyGroups: $on }) { notificationSettings { newTicketInMyGroups requesterRepliedOnMine } } }
`);
const OthersSettings = graphql(`query PeopleOthersSettings { users { notificationSettings { newTicketInMyGroups } } }`);
const Notifications = graphql(`query PeopleNotifications { notifications { kind } }`);
const Lists = graphql(`query PeopleLists { priorities { id name position } requestTypes { id name } }`);
const CreatePriority = graphql(`
  mutation PeopleCreatePriority($name: String!) { createPriority(name: $name) { __typename ... on PrioritySuccess { priority { id position } } ... on ValidationError { fieldErrors { message } } } }
`);
const MovePriority = graphql(`mutation PeopleMovePriority($id: ID!) { updatePriority(id: $id, position: 0) { __typename ... on PrioritySuccess { priority { name position } } } }`);
const DeletePriority = graphql(`mutation PeopleDeletePriority($id: ID!) { deletePriority(id: $id) { __typename } }`);
const CreateRule = graphql(`
  mutation PeopleCreateRule($input: IncomingEmailRuleInput!) {
    createIncomingEmailRule(input: $input) {
      __typename ... on IncomingEmailRuleSuccess { rule { id actions { priority priorityId requestType } } } ... on ValidationError { fieldErrors { path message } }
    }
  }
`);
const Rule = graphql(`query PeopleRules { incomingEmailRules { id actions { priorityId } } }`);
const SetTicket = graphql(`
  mutation PeopleSetTicket($id: ID!, $input: UpdateTicketInput!) {
    updateTicket(id: $id, input: $input) {
      __typename ... on UpdateTicketSuccess { ticket { priority priorityId requestType history { field from to } } } ... on ValidationError { fieldErrors { path message } }
    }
  }
`);
const TicketPriority = graphql(`query PeopleTicketPriority($id: ID!) { ticket(id: $id) { priority priorityId } }`);

describe('people, roles and groups', () => {
  let t: TestApp;
  let groups: { a: string; b: string };

  beforeAll(async () => {
    t = await startTestApp();
    groups = { a: await t.seed.technicianGroup('Alpha'), b: await t.seed.technicianGroup('Beta') };
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates a user in their groups at once, or nobody when a group is unknown', async () => {
    const created = await t.admin.execute(CreateUser, { email: 'nina@mailroom.test', groups: [groups.b, groups.a] });
    expect(ok(created.createUser, 'UserSuccess').user.technicianGroups).toEqual([{ name: 'Alpha' }, { name: 'Beta' }]);
    const refused = await t.admin.execute(CreateUser, { email: 'nobody@mailroom.test', groups: ['00000000-0000-4000-8000-000000000000'] });
    expect(ok(refused.createUser, 'ValidationError').fieldErrors).toEqual([{ path: ['technicianGroupIds', '0'], message: 'No such technician group' }]);
    expect((await t.admin.execute(Users)).users.map((u) => u.email)).not.toContain('nobody@mailroom.test');
  });

  it('updates a user, their role and their groups; a role\'s permissions reach its users', async () => {
    const role = await t.seed.role('Helpers', []);
    const tech = await t.seed.technician({ name: 'Old Name', groupIds: [groups.a] });
    const updated = await t.admin.execute(UpdateUser, { id: tech.id, input: { name: 'New Name', roleId: role } });
    expect(ok(updated.updateUser, 'UserSuccess').user).toMatchObject({ name: 'New Name', role: { name: 'Helpers' }, canManageSupportChannels: false });
    const clash = await t.admin.execute(UpdateUser, { id: tech.id, input: { email: 'Nina@mailroom.test' } });
    expect(ok(clash.updateUser, 'ValidationError').fieldErrors).toEqual([{ path: ['email'], message: 'A user with this email exists' }]);
    const me = (await t.admin.execute(Me)).me!;
    expect(ok((await t.admin.execute(UpdateUser, { id: me.id, input: { isSuperAdmin: false } })).updateUser, 'ValidationError').fieldErrors[0]!.path).toEqual(['isSuperAdmin']);

    expect(ok((await t.admin.execute(UpdateRole, { id: role, permissions: ['MANAGE_SUPPORT_CHANNELS'] })).updateRole, 'RoleSuccess').role).toEqual({ name: 'Leads', permissions: ['MANAGE_SUPPORT_CHANNELS'] });
    expect(ok((await t.admin.execute(UpdateUser, { id: tech.id, input: {} })).updateUser, 'UserSuccess').user.canManageSupportChannels).toBe(true);
    expect((await t.admin.execute(DeleteRole, { id: role })).deleteRole.__typename).toBe('DeleteSuccess');
    expect((await t.admin.execute(Roles)).roles.map((r) => r.name)).not.toContain('Leads');
    expect(ok((await t.admin.execute(UpdateUser, { id: tech.id, input: {} })).updateUser, 'UserSuccess').user).toMatchObject({ role: null, canManageSupportChannels: false });

    expect((await t.admin.execute(SetGroups, { id: tech.id, groups: [groups.b] })).setUserGroups.__typename).toBe('UserSuccess');
    const members = (await t.admin.execute(Members)).technicianGroups;
    expect(members.find((g) => g.name === 'Beta')!.members.map((m) => m.name)).toContain('New Name');
    expect(members.find((g) => g.name === 'Alpha')!.members.map((m) => m.name)).not.toContain('New Name');
    // Only a Super Admin manages people.
    const asTech = await (await tech.signIn()).request(SetGroups, { id: tech.id, groups: [groups.a] });
    expect(asTech.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('creates a role under a name no other role has, whatever its case or length, and audits it', async () => {
    const create = async (name: string) => (await t.admin.raw(
      'mutation($name: String!) { createRole(name: $name, permissions: [MANAGE_SUPPORT_CHANNELS]) { __typename ... on RoleSuccess { role { id name } } ... on ValidationError { fieldErrors { path message } } } }',
      { name },
    )).data!.createRole;
    const made = await create('  Night shift ');
    expect(made).toMatchObject({ __typename: 'RoleSuccess', role: { name: 'Night shift' } });
    for (const [name, message] of [
      ['Night shift', 'A role with this name exists'], ['NIGHT SHIFT', 'A role with this name exists'],
      ['   ', 'Enter a name (1–200 characters)'], ['n'.repeat(201), 'Enter a name (1–200 characters)'], ['n'.repeat(300_000), 'Enter a name (1–200 characters)'],
    ] as const) {
      expect(await create(name), name.slice(0, 20)).toEqual({ __typename: 'ValidationError', fieldErrors: [{ path: ['name'], message }] });
    }
    const trail = await t.admin.raw('query($id: ID!) { configAuditTrail(entityType: "Role", entityId: $id) { edges { node { action } } } }', { id: made.role.id });
    expect(trail.data!.configAuditTrail.edges.map((e: { node: { action: string } }) => e.node.action)).toEqual(['CREATE']);
  });

  it('answers admins creating the same role or category at once with one success and typed refusals', async () => {
    // All may pass the "does it exist" check before any has inserted: the unique index refuses the
    // later ones, and that refusal is the caller's error, not an internal one.
    const selection = '__typename ... on ValidationError { fieldErrors { path message } }';
    for (const [field, args, success] of [['createRole', 'name: $name, permissions: []', 'RoleSuccess'], ['createCategory', 'name: $name', 'CategorySuccess']] as const) {
      const name = `Race ${field} ${Date.now()}`;
      const answers = await Promise.all(Array.from({ length: 8 }, () => t.admin.raw(`mutation($name: String!) { ${field}(${args}) { ${selection} } }`, { name })));
      expect(answers.flatMap((a) => a.errors ?? []), field).toEqual([]);
      const results = answers.map((a) => a.data![field] as { __typename: string; fieldErrors?: { path: string[]; message: string }[] });
      expect(results.filter((r) => r.__typename === success), field).toHaveLength(1);
      for (const r of results.filter((r) => r.__typename !== success)) {
        expect(r.__typename, field).toBe('ValidationError');
        expect(r.fieldErrors![0]!.path, field).toEqual(['name']);
      }
    }
  });

  it('ends the user\'s sessions on a reset, and the other sessions on a change of one\'s own password', async () => {
    const tech = await t.seed.technician({ password: 'first password' });
    const [laptop, phone] = [await tech.signIn(), await tech.signIn()];
    expect((await t.admin.execute(Reset, { id: tech.id, password: 'second password' })).resetUserPassword.__typename).toBe('UserSuccess');
    for (const session of [laptop, phone]) expect((await session.execute(Me)).me).toBeNull();

    const desk = new GraphQLClient(t.url);
    await desk.signIn(tech.email, 'second password');
    const other = new GraphQLClient(t.url);
    await other.signIn(tech.email, 'second password');
    expect((await desk.execute(ChangeMine, { current: 'wrong', next: 'third password' })).changeMyPassword.__typename).toBe('InvalidCredentials');
    expect(ok((await desk.execute(ChangeMine, { current: 'second password', next: 'short' })).changeMyPassword, 'ValidationError').fieldErrors).toEqual([{ path: ['newPassword'], message: 'At least 8 characters' }]);
    expect((await desk.execute(ChangeMine, { current: 'second password', next: 'third password' })).changeMyPassword.__typename).toBe('ChangePasswordSuccess');
    expect((await desk.execute(Me)).me?.id).toBe(tech.id);
    expect((await other.execute(Me)).me).toBeNull();
    await expect(new GraphQLClient(t.url).signIn(tech.email, 'second password')).rejects.toThrow(/InvalidCredentials/);
  });

  it('lets each technician switch their ticket notifications', async () => {
    const quiet = await t.seed.technician({ groupIds: [groups.a] });
    const keen = await t.seed.technician({ groupIds: [groups.a] });
    const [quietClient, keenClient] = [await quiet.signIn(), await keen.signIn()];
    expect((await quietClient.execute(Me)).me!.notificationSettings).toEqual({ newTicketInMyGroups: true, requesterRepliedOnMine: true });
    expect((await quietClient.execute(NotifySettings, { on: false })).updateMyNotificationSettings.notificationSettings).toEqual({ newTicketInMyGroups: false, requesterRepliedOnMine: true });
    // A channel manager lists users, but reads no one's settings but their own.
    const manager = await (await t.seed.technician({ roleId: await t.seed.role('Managers', ['MANAGE_SUPPORT_CHANNELS']) })).signIn();
    expect((await manager.request(OthersSettings)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.admin.execute(OthersSettings)).users.length).toBeGreaterThan(2);

    const desk = await ticketMailbox(t, { technicianGroupId: groups.a });
    await desk.newTicket({ from: 'x@customer.example', subject: 'Switched', body: 'x' });
    await waitFor('the keen one notified', async () => (await keenClient.execute(Notifications)).notifications.some((n) => n.kind === 'NEW_TICKET'));
    expect((await quietClient.execute(Notifications)).notifications).toEqual([]);
  });
});

describe('priorities and request types', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('starts with defaults that admins add to, order and delete', async () => {
    const lists = (await t.admin.execute(Lists));
    expect(lists.priorities.map((p) => p.name)).toEqual(['Low', 'Normal', 'High', 'Urgent']);
    expect(lists.requestTypes.map((r) => r.name)).toEqual(['Incident', 'Question', 'Service Request']);
    const blocker = ok((await t.admin.execute(CreatePriority, { name: 'Blocker' })).createPriority, 'PrioritySuccess').priority;
    expect(blocker.position).toBe(4);
    expect(ok((await t.admin.execute(CreatePriority, { name: ' high ' })).createPriority, 'ValidationError').fieldErrors).toEqual([{ message: 'A priority with this name exists' }]);
    expect(ok((await t.admin.execute(MovePriority, { id: blocker.id })).updatePriority, 'PrioritySuccess').priority).toEqual({ name: 'Blocker', position: 0 });
    const tech = await (await t.seed.technician()).signIn();
    expect((await tech.request(CreatePriority, { name: 'Mine' })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await tech.execute(Lists)).priorities.map((p) => p.name)).toContain('Blocker');
  });

  it('is what rules and tickets refer to, by id or by name', async () => {
    const { priorities } = await t.admin.execute(Lists);
    const urgent = priorities.find((p) => p.name === 'Urgent')!;
    const rule = await t.admin.execute(CreateRule, {
      input: { name: 'Outages', conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'outage' }], actions: { priority: 'urgent', requestType: 'Incident' } },
    });
    expect(ok(rule.createIncomingEmailRule, 'IncomingEmailRuleSuccess').rule.actions).toEqual({ priority: 'Urgent', priorityId: urgent.id, requestType: 'Incident' });
    const unknown = await t.admin.execute(CreateRule, { input: { name: 'Nope', conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'x' }], actions: { priority: 'Whenever' } } });
    expect(ok(unknown.createIncomingEmailRule, 'ValidationError').fieldErrors).toEqual([{ path: ['actions', 'priority'], message: 'Unknown priority "Whenever": add it to the list first' }]);

    const desk = await ticketMailbox(t);
    const ticket = await desk.newTicket({ from: 'x@customer.example', subject: 'Network outage', body: 'All down.' });
    expect((await t.admin.execute(TicketPriority, { id: ticket.id })).ticket).toEqual({ priority: 'Urgent', priorityId: urgent.id });

    const byName = await t.admin.execute(SetTicket, { id: ticket.id, input: { priority: 'low', requestType: 'Question' } });
    expect(ok(byName.updateTicket, 'UpdateTicketSuccess').ticket).toMatchObject({
      priority: 'Low', requestType: 'Question',
      history: [{ field: 'PRIORITY', from: 'Urgent', to: 'Low' }, { field: 'REQUEST_TYPE', from: 'Incident', to: 'Question' }],
    });
    const both = await t.admin.execute(SetTicket, { id: ticket.id, input: { priority: 'Low', priorityId: urgent.id } });
    expect(ok(both.updateTicket, 'ValidationError').fieldErrors).toEqual([{ path: ['priority'], message: 'Give priorityId or priority, not both' }]);
    expect(ok((await t.admin.execute(SetTicket, { id: ticket.id, input: { priority: 'Someday' } })).updateTicket, 'ValidationError').fieldErrors).toEqual([{ path: ['priority'], message: 'No such priority' }]);

    // Deleting an entry takes it off tickets and out of rules.
    expect(ok((await t.admin.execute(SetTicket, { id: ticket.id, input: { priorityId: urgent.id } })).updateTicket, 'UpdateTicketSuccess').ticket.priority).toBe('Urgent');
    expect((await t.admin.execute(DeletePriority, { id: urgent.id })).deletePriority.__typename).toBe('DeleteSuccess');
    expect((await t.admin.execute(TicketPriority, { id: ticket.id })).ticket).toEqual({ priority: null, priorityId: null });
    expect((await t.admin.execute(Rule)).incomingEmailRules.map((r) => r.actions.priorityId)).toEqual([null]);
  });
});
