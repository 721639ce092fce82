// Fluent seeding through the public API, for every suite: `t.seed.incomingServer({ … })`,
// `t.seed.technician()`, `t.health(id)`. Each helper fails loudly unless the mutation succeeded;
// tests that expect a validation error run the typed documents themselves.
import { randomUUID } from 'node:crypto';
import { GraphQLClient, graphql, ok } from './client.ts';
import type { AppSettingsInput, IncomingEmailRuleInput, IncomingEmailServerInput, OutgoingEmailServerInput, Permission, ProxyServerInput } from './gql/graphql.ts';

graphql(`
  fragment SeededIncomingServer on IncomingEmailServer {
    id name email protocol provider host port security authType username passwordSet pop3DeleteAfterSave enabled outgoingServerId proxyServerId companyId technicianGroup { id }
  }
`);

graphql(`
  fragment HealthFields on ServerHealth {
    status connectionState lastSyncAt inboundQueueCount lagSeconds downSince outageCount consecutiveAuthFailures updatedAt
    lastError { kind message }
  }
`);

export const CreateIncomingServer = graphql(`
  mutation SeedCreateIncomingServer($input: IncomingEmailServerInput!) {
    createIncomingEmailServer(input: $input) {
      __typename
      ... on IncomingEmailServerSuccess { server { ...SeededIncomingServer } }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

export const UpdateIncomingServer = graphql(`
  mutation SeedUpdateIncomingServer($id: ID!, $input: IncomingEmailServerInput!) {
    updateIncomingEmailServer(id: $id, input: $input) {
      __typename
      ... on IncomingEmailServerSuccess { server { ...SeededIncomingServer } }
      ... on Error { message }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

export const DeleteIncomingServer = graphql(`
  mutation SeedDeleteIncomingServer($id: ID!) {
    deleteIncomingEmailServer(id: $id) { __typename ... on DeleteSuccess { id } ... on Error { message } }
  }
`);

export const CreateOutgoingServer = graphql(`
  mutation SeedCreateOutgoingServer($input: OutgoingEmailServerInput!) {
    createOutgoingServer(input: $input) {
      __typename
      ... on OutgoingEmailServerSuccess { server { id name host port security fromAddress fromName enabled primary } }
      ... on ValidationError { message fieldErrors { path message } }
    }
  }
`);

const CreateProxy = graphql(`
  mutation SeedCreateProxyServer($input: ProxyServerInput!) {
    createProxyServer(input: $input) {
      __typename ... on ProxyServerSuccess { proxyServer { id name type host port username passwordSet } } ... on Error { message }
    }
  }
`);

const CreateUser = graphql(`
  mutation SeedCreateUser($email: String!, $name: String!, $password: String!, $roleId: ID, $groups: [ID!]) {
    createUser(email: $email, name: $name, password: $password, roleId: $roleId, technicianGroupIds: $groups) {
      __typename ... on UserSuccess { user { id email name canManageSupportChannels } } ... on Error { message }
    }
  }
`);

const CreateRole = graphql(`
  mutation SeedCreateRole($name: String!, $permissions: [Permission!]!) {
    createRole(name: $name, permissions: $permissions) { __typename ... on RoleSuccess { role { id } } ... on Error { message } }
  }
`);

const CreateGroup = graphql(`
  mutation SeedCreateTechnicianGroup($name: String!) {
    createTechnicianGroup(name: $name) { __typename ... on TechnicianGroupSuccess { technicianGroup { id } } ... on Error { message } }
  }
`);

const CreateCategory = graphql(`
  mutation SeedCreateCategory($name: String!) {
    createCategory(name: $name) { __typename ... on CategorySuccess { category { id } } ... on Error { message } }
  }
`);

const CreateCompany = graphql(`
  mutation SeedCreateCompany($name: String!) {
    createCompany(name: $name) { __typename ... on CompanySuccess { company { id name } } ... on Error { message } }
  }
`);

const CreateRule = graphql(`
  mutation SeedCreateRule($input: IncomingEmailRuleInput!) {
    createIncomingEmailRule(input: $input) { __typename ... on IncomingEmailRuleSuccess { rule { id name position } } ... on Error { message } }
  }
`);

const UpdateAppSettings = graphql(`
  mutation SeedUpdateAppSettings($input: AppSettingsInput!) {
    updateAppSettings(input: $input) { mspEnabled }
  }
`);

export const ServerHealth = graphql(`
  query SeedServerHealth($id: ID!) {
    incomingEmailServer(id: $id) { id health { ...HealthFields } }
  }
`);

export const Tickets = graphql(`
  query SeedTickets($first: Int) {
    tickets(first: $first) {
      nodes {
        id number subject description status
        requester { email name } technicianGroup { id name } category { id name } company { id name } incomingEmailServer { id }
        messages { from subject bodyText direction }
      }
    }
  }
`);

export const TestConnection = graphql(`
  mutation SeedTestConnection($id: ID!) {
    testIncomingEmailServerConnection(id: $id) { ok failedStage message causes stages { stage ok skipped message } }
  }
`);

const short = () => randomUUID().slice(0, 8);

export interface SeededTechnician {
  id: string;
  email: string;
  password: string;
  canManageSupportChannels: boolean;
  /** A client signed in as this user. */
  signIn(): Promise<GraphQLClient>;
}

/** Seeding helpers acting as `client` (usually the Super Admin). */
export function seeder(client: GraphQLClient) {
  return {
    /** Any protocol; `name` defaults to the address. Servers are enabled unless `enabled: false`, as in the API. */
    async incomingServer(input: Omit<IncomingEmailServerInput, 'name'> & { name?: string }) {
      const res = await client.execute(CreateIncomingServer, { input: { name: input.email, ...input } });
      return ok(res.createIncomingEmailServer, 'IncomingEmailServerSuccess').server;
    },

    /** `count` disabled IMAP mailboxes nobody reads (their ids): for tests that drive ingestion or health by hand. */
    async unreadMailboxes(count: number, prefix: string): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const email = `${prefix}-${i}-${short()}@example.test`;
        ids.push((await this.incomingServer({ email, protocol: 'IMAP', host: '127.0.0.1', port: 1, security: 'NONE', password: 'x', enabled: false })).id);
      }
      return ids;
    },

    async updateIncomingServer(id: string, input: Omit<IncomingEmailServerInput, 'name'> & { name?: string }) {
      const res = await client.execute(UpdateIncomingServer, { id, input: { name: input.email, ...input } });
      return ok(res.updateIncomingEmailServer, 'IncomingEmailServerSuccess').server;
    },

    async outgoingServer(input: Omit<OutgoingEmailServerInput, 'name' | 'fromAddress'> & { name?: string; fromAddress?: string }) {
      const res = await client.execute(CreateOutgoingServer, { input: { name: `Relay ${short()}`, fromAddress: 'support@example.com', ...input } });
      return ok(res.createOutgoingServer, 'OutgoingEmailServerSuccess').server;
    },

    async proxyServer(input: Omit<ProxyServerInput, 'name'> & { name?: string }) {
      const res = await client.execute(CreateProxy, { input: { name: `Proxy ${short()}`, ...input } });
      return ok(res.createProxyServer, 'ProxyServerSuccess').proxyServer;
    },

    /** A user without Super Admin rights; a technician unless the role grants more. */
    async technician(opts: { email?: string; name?: string; password?: string; roleId?: string | null; groupIds?: string[] } = {}): Promise<SeededTechnician> {
      const email = opts.email ?? `tech-${short()}@mailroom.test`;
      const password = opts.password ?? 'tech-password';
      const res = await client.execute(CreateUser, { email, name: opts.name ?? 'Tess Technician', password, roleId: opts.roleId ?? null, groups: opts.groupIds ?? null });
      const user = ok(res.createUser, 'UserSuccess').user;
      return {
        id: user.id, email, password, canManageSupportChannels: user.canManageSupportChannels,
        async signIn() {
          const other = new GraphQLClient(client.url);
          await other.signIn(email, password);
          return other;
        },
      };
    },

    async role(name: string, permissions: Permission[]): Promise<string> {
      return ok((await client.execute(CreateRole, { name, permissions })).createRole, 'RoleSuccess').role.id;
    },

    async technicianGroup(name = `Group ${short()}`): Promise<string> {
      return ok((await client.execute(CreateGroup, { name })).createTechnicianGroup, 'TechnicianGroupSuccess').technicianGroup.id;
    },

    async category(name = `Category ${short()}`): Promise<string> {
      return ok((await client.execute(CreateCategory, { name })).createCategory, 'CategorySuccess').category.id;
    },

    /** Needs the Managed Services Provider switch on. */
    async company(name = `Company ${short()}`): Promise<string> {
      return ok((await client.execute(CreateCompany, { name })).createCompany, 'CompanySuccess').company.id;
    },

    async appSettings(input: AppSettingsInput) {
      return (await client.execute(UpdateAppSettings, { input })).updateAppSettings;
    },

    async rule(input: IncomingEmailRuleInput) {
      return ok((await client.execute(CreateRule, { input })).createIncomingEmailRule, 'IncomingEmailRuleSuccess').rule;
    },
  };
}

export type Seeder = ReturnType<typeof seeder>;

/** The newest tickets (up to `first`), as a technician's list shows them. */
export async function tickets(client: GraphQLClient, first = 500) {
  return (await client.execute(Tickets, { first })).tickets.nodes;
}

/** The subjects of a server's tickets (or all tickets), sorted. */
export async function ticketSubjects(client: GraphQLClient, serverId?: string): Promise<string[]> {
  return (await tickets(client)).filter((n) => !serverId || n.incomingEmailServer?.id === serverId).map((n) => n.subject).sort();
}

/** Test Connection with the server's saved settings. */
export async function testConnection(client: GraphQLClient, serverId: string) {
  return (await client.execute(TestConnection, { id: serverId })).testIncomingEmailServerConnection;
}

/** A server's health as the API shows it. */
export async function health(client: GraphQLClient, serverId: string) {
  const { incomingEmailServer } = await client.execute(ServerHealth, { id: serverId });
  if (!incomingEmailServer) throw new Error(`no incoming server ${serverId}`);
  return incomingEmailServer.health;
}
