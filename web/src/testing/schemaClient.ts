import { readFileSync } from 'node:fs';
import { Client, fetchExchange, type Exchange } from '@urql/core';
import { buildSchema, graphql } from 'graphql';

/** The printed API schema, as the server serves it. */
const schema = buildSchema(readFileSync(new URL('../../../schema/schema.graphql', import.meta.url), 'utf8'));

export type Root = Record<string, (args: Record<string, unknown>) => unknown>;

/**
 * A urql client for unit tests of composables: requests go through urql's own fetch exchange
 * and are executed with graphql-js against the printed schema, so every document is validated
 * as the server would; the test's `root` resolvers give the answers (union members by their
 * `__typename`); `exchanges` go before the fetch. `failNetwork` makes every request fail as an unreachable server does.
 */
export function schemaClient(root: Root, options: { failNetwork?: () => boolean; exchanges?: Exchange[] } = {}): Client {
  return new Client({
    url: 'http://mailroom.test/graphql',
    exchanges: [...(options.exchanges ?? []), fetchExchange],
    preferGetMethod: false,
    fetch: async (_url, init) => {
      if (options.failNetwork?.()) throw new TypeError('fetch failed');
      const body = JSON.parse(String(init?.body)) as { query: string; variables?: Record<string, unknown> };
      const result = await graphql({ schema, source: body.query, variableValues: body.variables, rootValue: root });
      return new Response(JSON.stringify(result), { headers: { 'content-type': 'application/json' } });
    },
  });
}
