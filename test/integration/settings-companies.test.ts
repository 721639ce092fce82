import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, startTestApp, type TestApp } from '../testkit/app.ts';

const COMPANY = `__typename ... on CompanySuccess { company { id name } } ... on ValidationError { message fieldErrors { path message } } ... on NotFoundError { message }`;

describe('Managed Services Provider switch and companies', () => {
  let t: TestApp;
  let channelAdmin: GraphQLClient;

  const setMsp = (client: GraphQLClient, on: boolean) => client.raw('mutation($on: Boolean) { updateAppSettings(input: { mspEnabled: $on }) { mspEnabled } }', { on });
  const createCompany = async (name: string) => (await t.admin.execute(`mutation($n: String!) { createCompany(name: $n) { ${COMPANY} } }`, { n: name })).createCompany;
  const createServer = async (companyId: string | null) =>
    (await t.admin.execute(
      `mutation($input: IncomingEmailServerInput!) { createIncomingEmailServer(input: $input) { __typename ... on IncomingEmailServerSuccess { server { id companyId company { name } } } ... on ValidationError { fieldErrors { path message } } } }`,
      { input: { name: 'Client desk', email: 'desk@client.example', protocol: 'IMAP', host: 'imap.client.example', password: 'x', enabled: false, companyId } },
    )).createIncomingEmailServer;

  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
    const role = await t.admin.execute('mutation { createRole(name: "Channels", permissions: [MANAGE_SUPPORT_CHANNELS]) { ... on RoleSuccess { role { id } } } }');
    await t.admin.execute(`mutation { createUser(email: "chan-msp@mailroom.test", name: "Chan", password: "chan-password", roleId: "${role.createRole.role.id}") { __typename } }`);
    channelAdmin = new GraphQLClient(t.url);
    await channelAdmin.signIn('chan-msp@mailroom.test', 'chan-password');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('starts off, and refuses companies while it is off', async () => {
    expect((await channelAdmin.execute('{ appSettings { mspEnabled } }')).appSettings).toEqual({ mspEnabled: false });
    expect(await createCompany('Contoso')).toEqual({
      __typename: 'ValidationError', message: expect.any(String),
      fieldErrors: [{ path: ['name'], message: 'Companies are available only with the Managed Services Provider feature on' }],
    });
  });

  it('is switched by a super admin only, and audited', async () => {
    expect((await setMsp(channelAdmin, true)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await setMsp(t.admin, true)).data).toEqual({ updateAppSettings: { mspEnabled: true } });
    const audit = await t.app.services.db.query.configAudit.findMany({ where: (c, { eq }) => eq(c.entityType, 'AppSettings') });
    expect(audit).toEqual([expect.objectContaining({ action: 'UPDATE', before: expect.objectContaining({ mspEnabled: false }), after: expect.objectContaining({ mspEnabled: true }) })]);
  });

  it('manages companies and lets servers name one while it is on', async () => {
    const contoso = await createCompany('Contoso');
    expect(contoso).toMatchObject({ __typename: 'CompanySuccess', company: { name: 'Contoso' } });
    expect(await createCompany(' contoso ')).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: ['name'], message: 'A company with this name exists' }] });
    const renamed = (await channelAdmin.execute(`mutation($id: ID!) { renameCompany(id: $id, name: "Contoso Ltd") { ${COMPANY} } }`, { id: contoso.company.id })).renameCompany;
    expect(renamed).toEqual({ __typename: 'CompanySuccess', company: { id: contoso.company.id, name: 'Contoso Ltd' } });
    expect((await t.admin.execute('{ companies { name } }')).companies).toEqual([{ name: 'Contoso Ltd' }]);

    const server = await createServer(contoso.company.id);
    expect(server).toMatchObject({ __typename: 'IncomingEmailServerSuccess', server: { companyId: contoso.company.id, company: { name: 'Contoso Ltd' } } });

    const refused = await t.admin.execute('mutation($id: ID!) { deleteCompany(id: $id) { __typename ... on InUseError { usages { kind count names } } } }', { id: contoso.company.id });
    expect(refused.deleteCompany).toEqual({ __typename: 'InUseError', usages: [{ kind: 'INCOMING_SERVER', count: 1, names: ['Client desk'] }] });
    await t.admin.execute('mutation($id: ID!, $input: IncomingEmailServerInput!) { updateIncomingEmailServer(id: $id, input: $input) { __typename } }', {
      id: server.server.id, input: { name: 'Client desk', email: 'desk@client.example', protocol: 'IMAP', host: 'imap.client.example', enabled: false, companyId: null },
    });
    const deleted = await t.admin.execute('mutation($id: ID!) { deleteCompany(id: $id) { __typename ... on DeleteSuccess { id } } }', { id: contoso.company.id });
    expect(deleted.deleteCompany).toEqual({ __typename: 'DeleteSuccess', id: contoso.company.id });
    const after = await t.admin.execute('query($id: ID!) { incomingEmailServer(id: $id) { companyId company { name } } }', { id: server.server.id });
    expect(after.incomingEmailServer).toEqual({ companyId: null, company: null });
    const actions = (await t.app.services.db.query.configAudit.findMany({ where: (c, { eq }) => eq(c.entityType, 'Company') })).map((c) => c.action).sort();
    expect(actions).toEqual(['CREATE', 'DELETE', 'UPDATE']);
  });

  it('refuses a company on a server once it is off again', async () => {
    const acme = await createCompany('Acme');
    expect((await setMsp(t.admin, false)).data).toEqual({ updateAppSettings: { mspEnabled: false } });
    expect(await createServer(acme.company.id)).toEqual({
      __typename: 'ValidationError',
      fieldErrors: [{ path: ['companyId'], message: 'Companies are available only with the Managed Services Provider feature on' }],
    });
    expect(await createServer(null)).toMatchObject({ __typename: 'IncomingEmailServerSuccess', server: { companyId: null } });
  });
});
