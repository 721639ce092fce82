import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, ok, startTestApp, type GraphQLClient, type TestApp } from '../testkit/app.ts';

graphql(`
  fragment CompanyResultFields on CompanyResult {
    __typename ... on CompanySuccess { company { id name } } ... on ValidationError { message fieldErrors { path message } } ... on NotFoundError { message }
  }
`);
const SetMsp = graphql(`mutation MspSet($on: Boolean) { updateAppSettings(input: { mspEnabled: $on }) { mspEnabled } }`);
const CreateCompany = graphql(`mutation MspCreateCompany($n: String!) { createCompany(name: $n) { ...CompanyResultFields } }`);
const RenameCompany = graphql(`mutation MspRenameCompany($id: ID!, $name: String!) { renameCompany(id: $id, name: $name) { ...CompanyResultFields } }`);
const DeleteCompany = graphql(`mutation MspDeleteCompany($id: ID!) { deleteCompany(id: $id) { __typename ... on DeleteSuccess { id } ... on InUseError { usages { kind count names } } } }`);
const Companies = graphql(`query MspCompanies { companies { name } }`);
const Settings = graphql(`query MspSettings { appSettings { mspEnabled } }`);
const CreateServer = graphql(`
  mutation MspCreateServer($input: IncomingEmailServerInput!) {
    createIncomingEmailServer(input: $input) {
      __typename ... on IncomingEmailServerSuccess { server { id companyId company { name } } } ... on ValidationError { fieldErrors { path message } }
    }
  }
`);
const ServerCompany = graphql(`query MspServerCompany($id: ID!) { incomingEmailServer(id: $id) { companyId company { name } } }`);

describe('Managed Services Provider switch and companies', () => {
  let t: TestApp;
  let channelAdmin: GraphQLClient;

  const setMsp = (client: GraphQLClient, on: boolean) => client.request(SetMsp, { on });
  const createCompany = async (name: string) => (await t.admin.execute(CreateCompany, { n: name })).createCompany;
  const createDesk = async (companyId: string | null) =>
    (await t.admin.execute(
      CreateServer,
      { input: { name: 'Client desk', email: 'desk@client.example', protocol: 'IMAP', host: 'imap.client.example', password: 'x', enabled: false, companyId } },
    )).createIncomingEmailServer;

  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
    const roleId = await t.seed.role('Channels', ['MANAGE_SUPPORT_CHANNELS']);
    channelAdmin = await (await t.seed.technician({ email: 'chan-msp@mailroom.test', name: 'Chan', password: 'chan-password', roleId })).signIn();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('starts off, and refuses companies while it is off', async () => {
    expect((await channelAdmin.execute(Settings)).appSettings).toEqual({ mspEnabled: false });
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
    const contoso = ok(await createCompany('Contoso'), 'CompanySuccess');
    expect(contoso).toMatchObject({ __typename: 'CompanySuccess', company: { name: 'Contoso' } });
    expect(await createCompany(' contoso ')).toMatchObject({ __typename: 'ValidationError', fieldErrors: [{ path: ['name'], message: 'A company with this name exists' }] });
    const renamed = (await channelAdmin.execute(RenameCompany, { id: contoso.company.id, name: 'Contoso Ltd' })).renameCompany;
    expect(renamed).toEqual({ __typename: 'CompanySuccess', company: { id: contoso.company.id, name: 'Contoso Ltd' } });
    expect((await t.admin.execute(Companies)).companies).toEqual([{ name: 'Contoso Ltd' }]);

    const server = ok(await createDesk(contoso.company.id), 'IncomingEmailServerSuccess');
    expect(server).toMatchObject({ __typename: 'IncomingEmailServerSuccess', server: { companyId: contoso.company.id, company: { name: 'Contoso Ltd' } } });

    const refused = await t.admin.execute(DeleteCompany, { id: contoso.company.id });
    expect(refused.deleteCompany).toEqual({ __typename: 'InUseError', usages: [{ kind: 'INCOMING_SERVER', count: 1, names: ['Client desk'] }] });
    await t.seed.updateIncomingServer(server.server.id, { name: 'Client desk', email: 'desk@client.example', protocol: 'IMAP', host: 'imap.client.example', enabled: false, companyId: null });
    const deleted = await t.admin.execute(DeleteCompany, { id: contoso.company.id });
    expect(deleted.deleteCompany).toEqual({ __typename: 'DeleteSuccess', id: contoso.company.id });
    const after = await t.admin.execute(ServerCompany, { id: server.server.id });
    expect(after.incomingEmailServer).toEqual({ companyId: null, company: null });
    const actions = (await t.app.services.db.query.configAudit.findMany({ where: (c, { eq }) => eq(c.entityType, 'Company') })).map((c) => c.action).sort();
    expect(actions).toEqual(['CREATE', 'DELETE', 'UPDATE']);
  });

  it('refuses a company on a server once it is off again', async () => {
    const acme = ok(await createCompany('Acme'), 'CompanySuccess');
    expect((await setMsp(t.admin, false)).data).toEqual({ updateAppSettings: { mspEnabled: false } });
    expect(await createDesk(acme.company.id)).toEqual({
      __typename: 'ValidationError',
      fieldErrors: [{ path: ['companyId'], message: 'Companies are available only with the Managed Services Provider feature on' }],
    });
    expect(await createDesk(null)).toMatchObject({ __typename: 'IncomingEmailServerSuccess', server: { companyId: null } });
  });
});
