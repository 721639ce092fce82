// Every argument of every query and mutation, as an attacker with an admin's session would fill
// it: read from the schema itself (introspection), so a field added later is covered without
// anyone writing its case. Each text or ID argument, also inside input objects, gets 300 KB of
// text and an ID that is not one; each Int the extremes; each DateTime a date PostgreSQL cannot
// store. The answer may be any typed error or a result, never "Unexpected error", and the process
// keeps serving. (NUL characters and unpaired surrogates: edge.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type GraphQLClient, type TestApp } from '../testkit/app.ts';

interface TypeRef { kind: string; name: string | null; ofType: TypeRef | null }
interface InputValue { name: string; type: TypeRef }
interface SchemaType { name: string; kind: string; enumValues: { name: string }[] | null; inputFields: InputValue[] | null; fields: { name: string; args: InputValue[]; type: TypeRef }[] | null }

const INTROSPECTION = `{ __schema { queryType { name } mutationType { name } types { name kind enumValues { name } inputFields { ...V } fields { name args { ...V } type { ...T } } } } }
  fragment V on __InputValue { name type { ...T } }
  fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }`;

/** Fields left out: they end the session the sweep runs on. */
const SKIPPED = new Set(['signOut']);

const HOSTILE: Record<string, unknown[]> = {
  String: ['x'.repeat(300_000), 'not-a-uuid'],
  ID: ['x'.repeat(300_000), 'not-a-uuid'],
  Int: [-2_147_483_648, 2_147_483_647],
  DateTime: ['+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00Z', 'garbage'],
};

const PLAIN: Record<string, unknown> = { String: 'x', ID: '00000000-0000-4000-8000-000000000000', Int: 1, Float: 1, Boolean: false, DateTime: '2026-01-01T00:00:00Z' };

describe('every argument of every root field', () => {
  let t: TestApp;
  let types: Map<string, SchemaType>;
  let roots: { operation: 'query' | 'mutation'; type: SchemaType }[];

  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
    const schema = (await t.admin.raw(INTROSPECTION)).data!.__schema;
    types = new Map((schema.types as SchemaType[]).map((type) => [type.name, type]));
    roots = [{ operation: 'query', type: types.get(schema.queryType.name)! }, { operation: 'mutation', type: types.get(schema.mutationType.name)! }];
  });

  afterAll(async () => {
    await t?.stop();
  });

  const unwrap = (type: TypeRef): TypeRef => (type.ofType ? unwrap(type.ofType) : type);
  const printed = (type: TypeRef): string => (type.kind === 'NON_NULL' ? `${printed(type.ofType!)}!` : type.kind === 'LIST' ? `[${printed(type.ofType!)}]` : type.name!);

  /** The paths (`input.filter.emails`) of the scalar leaves of one argument, input objects followed three deep. */
  function leaves(type: TypeRef, path: string, depth: number): { path: string; scalar: string }[] {
    const named = types.get(unwrap(type).name!)!;
    if (named.kind === 'SCALAR') return [{ path, scalar: named.name }];
    if (named.kind !== 'INPUT_OBJECT' || depth >= 3) return [];
    return named.inputFields!.flatMap((f) => leaves(f.type, `${path}.${f.name}`, depth + 1));
  }

  /** A value of `type` with the required parts plainly filled, and `target` (a leaf path) set to `hostile`. */
  function fill(type: TypeRef, path: string, target: string, hostile: unknown): unknown {
    if (type.kind === 'NON_NULL') return fill(type.ofType!, path, target, hostile);
    if (type.kind === 'LIST') return [fill(type.ofType!, path, target, hostile)];
    if (path === target) return hostile;
    const named = types.get(type.name!)!;
    if (named.kind === 'ENUM') return named.enumValues![0]!.name;
    if (named.kind === 'INPUT_OBJECT') {
      const wanted = named.inputFields!.filter((f) => f.type.kind === 'NON_NULL' || target.startsWith(`${path}.${f.name}`));
      return Object.fromEntries(wanted.map((f) => [f.name, fill(f.type, `${path}.${f.name}`, target, hostile)]));
    }
    return PLAIN[named.name] ?? null;
  }

  /** One request per hostile value per leaf of every root field; returns what went wrong. */
  async function sweep(who: string, client: GraphQLClient): Promise<{ tried: number; failures: string[] }> {
    const failures: string[] = [];
    let tried = 0;
    const cases = roots.flatMap(({ operation, type }) => type.fields!.filter((f) => !SKIPPED.has(f.name)).flatMap((field) =>
      field.args.flatMap((arg) => leaves(arg.type, arg.name, 0).flatMap((leaf) => (HOSTILE[leaf.scalar] ?? []).map((hostile) => ({ operation, field, arg, leaf, hostile }))))));
    for (const { operation, field, arg, leaf, hostile } of cases) {
      const used = field.args.filter((a) => a.type.kind === 'NON_NULL' || a === arg);
      const variables = Object.fromEntries(used.map((a) => [a.name, fill(a.type, a.name, leaf.path, hostile)]));
      const declared = used.map((a) => `$${a.name}: ${printed(a.type)}`).join(', ');
      const passed = used.map((a) => `${a.name}: $${a.name}`).join(', ');
      // A field of objects or unions gets `{ __typename }`; a scalar or enum result none.
      const selection = ['SCALAR', 'ENUM'].includes(types.get(unwrap(field.type).name!)!.kind) ? '' : ' { __typename }';
      const query = `${operation}${declared ? `(${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''}${selection} }`;
      const started = performance.now();
      const res = await client.raw(query, variables);
      tried++;
      const internal = res.errors?.find((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR' || /unexpected error/i.test(e.message));
      const label = `${who}: ${field.name}(${leaf.path} = ${String(hostile).slice(0, 30)})`;
      if (internal) failures.push(`${label}: ${internal.message}`);
      if (performance.now() - started > 5_000) failures.push(`${label}: took ${Math.round(performance.now() - started)} ms`);
    }
    return { tried, failures };
  }

  it('answers hostile values with a typed error or a result, never an internal error, to an admin and to a technician', async () => {
    const admin = await sweep('admin', t.admin);
    // A technician's reads are scoped to their groups: other code paths than the admin's.
    const technician = await sweep('technician', await (await t.seed.technician({ groupIds: [await t.seed.technicianGroup()] })).signIn());
    expect([...admin.failures, ...technician.failures]).toEqual([]);
    expect(admin.tried).toBeGreaterThan(200);
    expect(technician.tried).toBe(admin.tried);
    const health = await fetch(`${t.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
