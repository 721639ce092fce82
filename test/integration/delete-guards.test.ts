// Deleting what other things use (issue 14, item 9): a technician group, category, company,
// outgoing server or proxy in use is refused with a typed InUseError that names its users, and
// nothing changes; with a replacementId everything moves there in the same transaction.
// Requests come from real mail through Dovecot, not from inserted rows.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { technicianGroupMembers } from '../../server/src/db/schema.ts';
import { listConfigChanges } from '../../server/src/modules/config-audit/config-audit.service.ts';
import { graphql, startTestApp, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { mail } from '../testkit/mail.ts';
import { waitFor } from '../testkit/services/util.ts';

graphql(`
  fragment GuardedDelete on DeleteResult {
    __typename
    ... on DeleteSuccess { id }
    ... on InUseError { message usages { kind count names } }
    ... on ValidationError { message fieldErrors { path message } }
    ... on NotFoundError { message }
  }
`);
const DELETE = {
  group: graphql(`mutation GuardDeleteGroup($id: ID!, $r: ID) { result: deleteTechnicianGroup(id: $id, replacementId: $r) { ...GuardedDelete } }`),
  category: graphql(`mutation GuardDeleteCategory($id: ID!, $r: ID) { result: deleteCategory(id: $id, replacementId: $r) { ...GuardedDelete } }`),
  company: graphql(`mutation GuardDeleteCompany($id: ID!, $r: ID) { result: deleteCompany(id: $id, replacementId: $r) { ...GuardedDelete } }`),
  outgoing: graphql(`mutation GuardDeleteOutgoing($id: ID!, $r: ID) { result: deleteOutgoingServer(id: $id, replacementId: $r) { ...GuardedDelete } }`),
  proxy: graphql(`mutation GuardDeleteProxy($id: ID!, $r: ID) { result: deleteProxyServer(id: $id, replacementId: $r) { ...GuardedDelete } }`),
};
const Server = graphql(`
  query GuardServer($id: ID!) {
    incomingEmailServer(id: $id) { technicianGroup { name } category { name } company { name } proxyServer { name } outgoingServer { name primary } }
  }
`);
const Groups = graphql(`query GuardGroups { technicianGroups { name } }`);
const Trail = graphql(`
  query GuardTrail($id: ID!) { configAuditTrail(entityType: "IncomingEmailServer", entityId: $id, first: 50) { nodes { action changes { path before after beforeName afterName } } } }
`);
const Rules = graphql(`query GuardRules { incomingEmailRules { id actions { technicianGroup { name } } } }`);

describe('deleting what is in use', () => {
  let t: TestApp;
  const mailbox = `guards-${randomUUID().slice(0, 8)}@example.test`;
  const ids = {
    desk: '', billing: '', unused: '', hardware: '', accounts: '', contoso: '', fabrikam: '', office: '', backup: '', smtp: '', smtp2: '', tess: '', server: '', rule: '',
  };

  const del = async (kind: keyof typeof DELETE, id: string, replacementId?: string) => (await t.admin.execute(DELETE[kind], { id, r: replacementId ?? null })).result;
  const server = async () => (await t.admin.execute(Server, { id: ids.server })).incomingEmailServer!;
  const ticket = async () => (await t.tickets(5))[0]!;

  beforeAll(async () => {
    t = await startTestApp();
    const dovecot = getDovecot();
    await dovecot.addUser(mailbox, 'guards-pass');
    await t.seed.appSettings({ mspEnabled: true });
    ids.desk = await t.seed.technicianGroup('Service Desk');
    ids.billing = await t.seed.technicianGroup('Billing');
    ids.unused = await t.seed.technicianGroup('Nobody uses me');
    ids.hardware = await t.seed.category('Hardware');
    ids.accounts = await t.seed.category('Accounts');
    ids.contoso = await t.seed.company('Contoso');
    ids.fabrikam = await t.seed.company('Fabrikam');
    ids.office = (await t.seed.proxyServer({ name: 'Office proxy', type: 'SOCKS5', host: 'proxy.example.test', port: 1080 })).id;
    ids.backup = (await t.seed.proxyServer({ name: 'Backup proxy', type: 'HTTP', host: 'proxy2.example.test', port: 3128 })).id;
    ids.smtp = (await t.seed.outgoingServer({ name: 'Company SMTP', host: 'smtp.example.test', authType: 'NONE', enabled: false })).id;
    ids.smtp2 = (await t.seed.outgoingServer({ name: 'Relay', host: 'relay.example.test', authType: 'NONE', enabled: false })).id;
    ids.tess = (await t.seed.technician({ email: 'tess@guards.test', name: 'Tess' })).id;
    // Membership is written directly: createUser does not apply technicianGroupIds yet.
    await t.app.services.db.insert(technicianGroupMembers).values({ groupId: ids.desk, userId: ids.tess }).onConflictDoNothing();
    // The mailbox reads real mail (so a real request lands in the group) and names every kind of thing.
    const settings = {
      name: 'Support', email: mailbox, protocol: 'IMAP', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE', realTimeScanning: true,
      technicianGroupId: ids.desk, categoryId: ids.hardware, companyId: ids.contoso, outgoingServerId: ids.smtp,
    } as const;
    ids.server = (await t.seed.incomingServer({ ...settings, password: 'guards-pass' })).id;
    ids.rule = (await t.seed.rule({
      name: 'Printers', conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'printer' }],
      actions: { technicianGroupId: ids.desk, categoryId: ids.hardware, companyId: ids.contoso },
    })).id;
    await dovecot.deliver(mailbox, mail({ from: 'Ada <ada@customer.example>', to: mailbox, subject: 'Printer on fire', body: 'Help.' }));
    await waitFor('the request', async () => (await t.tickets(1)).length === 1, 40_000, 100);
    // The mailbox has done its part; the proxy below must not cut it off mid-test.
    await t.seed.updateIncomingServer(ids.server, { ...settings, enabled: false, proxyServerId: ids.office });
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('refuses to delete a group in use and names every user; nothing changes', async () => {
    const refused = await del('group', ids.desk);
    const { number } = await ticket();
    expect(refused).toEqual({
      __typename: 'InUseError',
      message: '“Service Desk” is used by 1 incoming email server (Support), 1 rule (Printers), 1 request and 1 technician (Tess). Choose another technician group to move them to, then delete; nothing was deleted.',
      usages: [
        { kind: 'INCOMING_SERVER', count: 1, names: ['Support'] },
        { kind: 'RULE', count: 1, names: ['Printers'] },
        { kind: 'TICKET', count: 1, names: [number] },
        { kind: 'TECHNICIAN', count: 1, names: ['Tess'] },
      ],
    });
    expect((await t.admin.execute(Groups)).technicianGroups.map((g) => g.name)).toContain('Service Desk');
    expect((await server()).technicianGroup).toEqual({ name: 'Service Desk' });
    expect((await ticket()).technicianGroup).toMatchObject({ name: 'Service Desk' });
  });

  it('refuses a replacement that is the group itself or does not exist', async () => {
    for (const replacement of [ids.desk, randomUUID(), 'not-an-id']) {
      expect(await del('group', ids.desk, replacement)).toMatchObject({
        __typename: 'ValidationError', fieldErrors: [{ path: ['replacementId'], message: 'Choose another existing technician group as the replacement' }],
      });
    }
  });

  it('moves the server, the rule’s action, the request and the technician to the replacement, then deletes', async () => {
    expect(await del('group', ids.desk, ids.billing)).toEqual({ __typename: 'DeleteSuccess', id: ids.desk });
    expect((await server()).technicianGroup).toEqual({ name: 'Billing' });
    expect((await ticket()).technicianGroup).toMatchObject({ name: 'Billing' });
    const rule = (await t.admin.execute(Rules)).incomingEmailRules.find((r) => r.id === ids.rule);
    expect(rule?.actions.technicianGroup).toEqual({ name: 'Billing' });
    const memberships = await t.app.services.db.query.technicianGroupMembers.findMany({ where: (m, { eq }) => eq(m.userId, ids.tess) });
    expect(memberships.map((m) => m.groupId)).toEqual([ids.billing]);

    const audit = await listConfigChanges(t.app.services.db, 500);
    const deletion = audit.find((c) => c.entityId === ids.desk && c.action === 'DELETE');
    expect(deletion?.after).toEqual({ replacedBy: 'Billing' });
    expect(audit.some((c) => c.entityType === 'IncomingEmailServer' && c.entityId === ids.server && (c.after as { technicianGroupId?: string })?.technicianGroupId === ids.billing)).toBe(true);
    expect(audit.some((c) => c.entityType === 'IncomingEmailRule' && c.entityId === ids.rule && c.action === 'UPDATE')).toBe(true);
    // The trail names the groups, the deleted one by the name it had.
    const trail = (await t.admin.execute(Trail, { id: ids.server })).configAuditTrail.nodes;
    const moved = trail.flatMap((e) => e.changes).find((c) => c.path === 'technicianGroupId' && c.afterName === 'Billing');
    expect(moved).toMatchObject({ beforeName: 'Service Desk (deleted)', afterName: 'Billing', after: JSON.stringify(ids.billing) });
  });

  it('deletes what nothing uses at once, and says NotFound the second time', async () => {
    expect(await del('group', ids.unused)).toEqual({ __typename: 'DeleteSuccess', id: ids.unused });
    expect((await del('group', ids.unused)).__typename).toBe('NotFoundError');
  });

  it('guards categories and companies the same way', async () => {
    const category = await del('category', ids.hardware);
    expect(category).toMatchObject({ __typename: 'InUseError', usages: [{ kind: 'INCOMING_SERVER' }, { kind: 'RULE' }, { kind: 'TICKET', count: 1 }] });
    expect(await del('category', ids.hardware, ids.accounts)).toEqual({ __typename: 'DeleteSuccess', id: ids.hardware });
    expect((await server()).category).toEqual({ name: 'Accounts' });
    expect((await ticket()).category).toMatchObject({ name: 'Accounts' });

    expect((await del('company', ids.contoso)).__typename).toBe('InUseError');
    expect(await del('company', ids.contoso, ids.fabrikam)).toEqual({ __typename: 'DeleteSuccess', id: ids.contoso });
    expect((await server()).company).toEqual({ name: 'Fabrikam' });
  });

  it('moves mailboxes to another proxy instead of silently connecting them directly', async () => {
    const refused = await del('proxy', ids.office);
    expect(refused).toMatchObject({ __typename: 'InUseError', usages: [{ kind: 'INCOMING_SERVER', count: 1, names: ['Support'] }] });
    expect((await server()).proxyServer).toEqual({ name: 'Office proxy' });
    expect(await del('proxy', ids.office, ids.backup)).toEqual({ __typename: 'DeleteSuccess', id: ids.office });
    expect((await server()).proxyServer).toEqual({ name: 'Backup proxy' });
  });

  it('moves linked mailboxes to another outgoing server, which becomes primary in place of the deleted one', async () => {
    const refused = await del('outgoing', ids.smtp);
    expect(refused).toMatchObject({ __typename: 'InUseError', usages: [{ kind: 'INCOMING_SERVER', count: 1 }] });
    expect(refused.__typename === 'InUseError' && refused.message).toContain('Choose another outgoing email server');
    expect(await del('outgoing', ids.smtp, ids.smtp2)).toEqual({ __typename: 'DeleteSuccess', id: ids.smtp });
    expect((await server()).outgoingServer).toEqual({ name: 'Relay', primary: true });
  });
});
