// The GraphQL side of the test kit: a client that runs typed documents (generated from
// schema/schema.graphql by `pnpm --filter @mailroom/test codegen`), subscriptions over graphql-ws,
// and `raw()` for the tests that deliberately send what no typed document can.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { graphql } from './gql/index.ts';

export { graphql } from './gql/index.ts';

export const ADMIN = { email: 'admin@mailroom.test', password: 'correct horse battery' };

export interface GraphQLErrorEntry { message: string; extensions?: Record<string, unknown> }
export interface GqlResponse<T = any> { data?: T | null; errors?: GraphQLErrorEntry[] }

/** The variables argument: optional when the operation has no required variable. */
export type VariablesArg<V> = Record<string, never> extends V ? [variables?: V] : [variables: V];

/** The data of a response that must have no GraphQL errors; fails with all of them otherwise. */
export function expectNoGraphQLErrors<T>(res: GqlResponse<T>): T {
  if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
  if (res.data == null) throw new Error('GraphQL response without data');
  return res.data;
}

/** Narrows a result union to the member the test expects (its `__typename` must be selected). */
export function ok<T extends { __typename?: string }, N extends NonNullable<T['__typename']>>(result: T, typename: N): Extract<T, { __typename?: N }> {
  if (result.__typename !== typename) throw new Error(`expected ${typename}, got ${JSON.stringify(result)}`);
  return result as Extract<T, { __typename?: N }>;
}

const SignIn = graphql(`
  mutation TestKitSignIn($email: String!, $password: String!) {
    signIn(email: $email, password: $password) { __typename ... on SignInSuccess { token } ... on Error { message } }
  }
`);

export class GraphQLClient {
  constructor(readonly url: string, public token: string | null = null) {}

  /** Any query text, answered as it comes (errors included). For odd queries on purpose; otherwise use execute(). */
  async raw<T = any>(query: string, variables?: Record<string, unknown>, token = this.token): Promise<GqlResponse<T>> {
    const res = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GqlResponse<T>;
  }

  /** A typed document, answered as it comes: for tests that expect errors (not signed in, not allowed). */
  request<T, V>(document: TypedDocumentNode<T, V>, ...[variables]: VariablesArg<V>): Promise<GqlResponse<T>> {
    return this.raw<T>(print(document), variables as Record<string, unknown> | undefined);
  }

  /** Runs a typed document and fails loudly on GraphQL errors. */
  async execute<T, V>(document: TypedDocumentNode<T, V>, ...variables: VariablesArg<V>): Promise<T> {
    return expectNoGraphQLErrors(await this.request(document, ...variables));
  }

  /**
   * A typed document with files, as the GraphQL multipart request spec sends them: `files` maps a
   * variable path (`input.attachments.0`) to a file, whose variable is sent as null and filled in
   * by the server. Answered as it comes, like request().
   */
  async upload<T, V>(document: TypedDocumentNode<T, V>, variables: V, files: Record<string, { name: string; type: string; content: Buffer | string }>): Promise<GqlResponse<T>> {
    const form = new FormData();
    const paths = Object.keys(files);
    form.set('operations', JSON.stringify({ query: print(document), variables }));
    form.set('map', JSON.stringify(Object.fromEntries(paths.map((p, i) => [String(i), [`variables.${p}`]]))));
    paths.forEach((p, i) => {
      const { content, type, name } = files[p]!;
      form.set(String(i), new Blob([typeof content === 'string' ? content : new Uint8Array(content)], { type }), name);
    });
    const res = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'x-graphql-yoga-csrf': '1', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: form,
    });
    if (!res.headers.get('content-type')?.includes('json')) return { errors: [{ message: `HTTP ${res.status}` }] };
    return (await res.json()) as GqlResponse<T>;
  }

  async signIn(email = ADMIN.email, password = ADMIN.password): Promise<string> {
    const { signIn } = await this.execute(SignIn, { email, password });
    if (signIn.__typename !== 'SignInSuccess') throw new Error(`sign-in failed: ${JSON.stringify(signIn)}`);
    this.token = signIn.token;
    return signIn.token;
  }

  /** graphql-ws client authenticated with this client's token. */
  ws(token = this.token): Client {
    return createClient({
      url: `${this.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
      lazy: true,
    });
  }
}

/** A subscription's events, collected; `next()` waits for the next one. */
export interface Subscription<T> {
  next(timeoutMs?: number): Promise<T>;
  dispose(): void;
}

/** Subscribes with a typed document; events with errors fail the waiting `next()`. */
export function subscribe<T, V>(client: Client, document: TypedDocumentNode<T, V>, ...[variables]: VariablesArg<V>): Subscription<T> {
  const queue: T[] = [];
  const waiters: ((v: T) => void)[] = [];
  let failure: unknown = null;
  let onError: ((e: unknown) => void) | null = null;
  const dispose = client.subscribe<T>({ query: print(document), variables: variables as Record<string, unknown> | undefined }, {
    next: (v) => {
      if (v.errors?.length) {
        failure = new Error(`subscription error: ${JSON.stringify(v.errors)}`);
        onError?.(failure);
        return;
      }
      const value = v.data as T;
      const w = waiters.shift();
      if (w) w(value);
      else queue.push(value);
    },
    error: (e) => {
      failure = e;
      onError?.(e);
    },
    complete: () => {},
  });
  return {
    next(timeoutMs = 15_000): Promise<T> {
      if (queue.length) return Promise.resolve(queue.shift()!);
      if (failure) return Promise.reject(failure);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no subscription event within ${timeoutMs} ms`)), timeoutMs);
        onError = (e) => { clearTimeout(timer); reject(e); };
        waiters.push((v) => { clearTimeout(timer); resolve(v); });
      });
    },
    dispose,
  };
}
