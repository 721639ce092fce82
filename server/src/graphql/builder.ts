import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import type { Upload } from '../lib/upload.js';
import type { Context } from './context.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: { authenticated: boolean; manageSupportChannels: boolean; superAdmin: boolean };
  Scalars: { DateTime: { Input: Date; Output: Date }; File: { Input: Upload; Output: never } };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      authenticated: ctx.viewer !== null,
      manageSupportChannels: ctx.viewer?.canManageSupportChannels ?? false,
      superAdmin: ctx.viewer?.user.isSuperAdmin ?? false,
    }),
    unauthorizedError: (_parent, ctx) =>
      new GraphQLError(ctx.viewer ? 'Not allowed' : 'Not signed in', {
        extensions: { code: ctx.viewer ? 'FORBIDDEN' : 'UNAUTHENTICATED' },
      }),
  },
});

builder.scalarType('DateTime', {
  serialize: (value) => (value instanceof Date ? value : new Date(value as string)).toISOString(),
  // Years 1–9999 only: PostgreSQL cannot read what Date.toISOString() writes beyond them ("+275760-09-13…").
  parseValue: (value) => {
    const date = typeof value === 'string' || typeof value === 'number' ? new Date(value) : new Date(Number.NaN);
    const year = date.getUTCFullYear();
    if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) throw new GraphQLError('Invalid DateTime: expected an ISO 8601 date and time between the years 1 and 9999');
    return date;
  },
});

builder.scalarType('File', {
  description: 'A file uploaded with the GraphQL multipart request spec (an operations field, a map field, then the files).',
  serialize: () => {
    throw new GraphQLError('File is an input type');
  },
  parseValue: (value) => {
    const file = value as Partial<Upload> | null;
    if (!file || typeof file.arrayBuffer !== 'function' || typeof file.size !== 'number') throw new GraphQLError('Expected an uploaded file (multipart request)');
    return file as Upload;
  },
});

/** Types that only channel managers (and Super Admins, who have every permission) may read, however they are reached. */
export const ADMIN_ONLY = { manageSupportChannels: true } as const;

// Every root field needs at least a signed-in viewer; fields that must be public opt out with skipTypeScopes.
builder.queryType({ authScopes: { authenticated: true } });
builder.mutationType({ authScopes: { authenticated: true } });
builder.subscriptionType({ authScopes: { authenticated: true } });
