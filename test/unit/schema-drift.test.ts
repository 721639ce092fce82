import { readFileSync } from 'node:fs';
import { buildSchema, isNonNullType, type GraphQLField, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SCHEMA_PATH, printedSchema } from '../../server/src/graphql/print-schema.ts';

/**
 * The fixed core of ../shared/API.md, as `Type.field(arg: Type, ...): Return`. Integrators' calls
 * must keep working: the field, these arguments and the return type stay; arguments added around
 * them must be optional.
 */
const CONTRACT = [
  'Mutation.signIn(email: String!, password: String!): SignInResult!',
  'Mutation.createApiToken(name: String!): CreateApiTokenResult!',
  'Query.me: User',
  'Query.incomingEmailServers: [IncomingEmailServer!]!',
  'Query.incomingEmailServer(id: ID!): IncomingEmailServer',
  'Mutation.createIncomingEmailServer(input: IncomingEmailServerInput!): IncomingEmailServerResult!',
  'Mutation.updateIncomingEmailServer(id: ID!, input: IncomingEmailServerInput!): IncomingEmailServerResult!',
  'Mutation.deleteIncomingEmailServer(id: ID!): DeleteResult!',
  'Mutation.testIncomingEmailServerConnection(id: ID!): ConnectionTestResult!',
  'Mutation.createTechnicianGroup(name: String!): TechnicianGroupResult!',
  'Mutation.createCategory(name: String!): CategoryResult!',
  'Query.technicianGroups: [TechnicianGroup!]!',
  'Query.categories: [Category!]!',
  'Query.tickets(first: Int, after: String, filter: TicketFilter): TicketConnection!',
  'Query.ticket(id: ID!): Ticket',
  'Subscription.ticketCreated: Ticket!',
  'Subscription.ticketUpdated: Ticket!',
  'Query.emailAuditLog(serverId: ID, outcome: EmailOutcome, first: Int, after: String): EmailAuditConnection!',
  'Query.emailPreference: EmailPreference!',
  'Mutation.updateEmailPreference(input: EmailPreferenceInput!): EmailPreferenceResult!',
  'Subscription.incomingEmailServerUpdated: IncomingEmailServer!',
  'Query.notifications(unreadOnly: Boolean): [Notification!]!',
  'Subscription.notificationAdded: Notification!',
  // Working a ticket (SPEC §10)
  'Ticket.status: TicketStatus!',
  'Ticket.assignee: User',
  'Ticket.priority: String',
  'Ticket.requestType: String',
  'Ticket.lastActivityAt: DateTime!',
  'TicketMessage.kind: TicketMessageKind!',
  'Mutation.replyToTicket(ticketId: ID!, input: TicketReplyInput!): TicketReplyResult!',
  'Mutation.addTicketNote(ticketId: ID!, body: String!): TicketNoteResult!',
  'Mutation.updateTicket(id: ID!, input: UpdateTicketInput!): UpdateTicketResult!',
  'Query.tickets(first: Int, after: String, filter: TicketFilter, orderBy: TicketOrder): TicketConnection!',
  'Subscription.ticketCreated(filter: TicketSubscriptionFilter): Ticket!',
];

const parse = (entry: string) => {
  const m = /^(\w+)\.(\w+)(?:\((.*)\))?: (.+)$/.exec(entry)!;
  const args = (m[3] ?? '').split(',').map((a) => a.trim()).filter(Boolean).map((a) => a.split(':').map((s) => s.trim()) as [string, string]);
  return { type: m[1]!, field: m[2]!, args, returns: m[4]! };
};

describe('schema/schema.graphql', () => {
  it('matches the Pothos schema (run `pnpm schema:print` after changing the API)', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(printedSchema());
  });

  it('keeps the API.md contract: fields, arguments and return types; anything added is optional', () => {
    const schema = buildSchema(printedSchema());
    for (const entry of CONTRACT) {
      const c = parse(entry);
      const field = (schema.getType(c.type) as GraphQLObjectType | undefined)?.getFields()[c.field] as GraphQLField<unknown, unknown> | undefined;
      expect(field, entry).toBeDefined();
      expect(String(field!.type), entry).toBe(c.returns);
      for (const [name, type] of c.args) expect(String(field!.args.find((a) => a.name === name)?.type), `${entry}: ${name}`).toBe(type);
      for (const extra of field!.args.filter((a) => !c.args.some(([n]) => n === a.name))) {
        expect(!isNonNullType(extra.type) || extra.defaultValue !== undefined, `${entry}: added argument ${extra.name} must be optional`).toBe(true);
      }
    }
  });
});
