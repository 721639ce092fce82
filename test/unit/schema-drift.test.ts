import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_PATH, printedSchema } from '../../server/src/graphql/print-schema.ts';

describe('schema/schema.graphql', () => {
  it('matches the Pothos schema (run `pnpm schema:print` after changing the API)', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(printedSchema());
  });

  it('keeps the API.md contract names', () => {
    const sdl = printedSchema();
    for (const name of [
      'signIn(email: String!, password: String!): SignInResult!', 'createApiToken(name: String!): CreateApiTokenResult!', 'me: User',
      'incomingEmailServers: [IncomingEmailServer!]!', 'incomingEmailServer(id: ID!): IncomingEmailServer',
      'createIncomingEmailServer(input: IncomingEmailServerInput!): IncomingEmailServerResult!',
      'updateIncomingEmailServer(id: ID!, input: IncomingEmailServerInput!): IncomingEmailServerResult!',
      'deleteIncomingEmailServer(id: ID!): DeleteResult!', 'testIncomingEmailServerConnection(id: ID!): ConnectionTestResult!',
      'createTechnicianGroup(name: String!): TechnicianGroupResult!', 'createCategory(name: String!): CategoryResult!',
      'ticketCreated: Ticket!', 'ticketUpdated: Ticket!', 'incomingEmailServerUpdated: IncomingEmailServer!',
      'emailPreference: EmailPreference!', 'updateEmailPreference(input: EmailPreferenceInput!): EmailPreferenceResult!',
    ]) expect(sdl).toContain(name);
  });
});
