import { getTableColumns, getTableName, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Queryable } from './client.js';

/**
 * `insert into t (…) select … from unnest($1::type[], $2::type[], …)`: any number of rows in one
 * statement with one parameter per column. A multi-row VALUES list costs a parameter per cell
 * (thousands for one ingest batch), each built by drizzle, bound and planned by PostgreSQL.
 *
 * Every array goes over as one text parameter in PostgreSQL's array syntax: postgres.js infers an
 * array's type from its first element, which fails for a leading null, a Date or a Buffer.
 * Rows are keyed like drizzle's `.values()` (property names). A column no row names takes its SQL
 * default; one that only some rows name is NULL (or `{}` for arrays) in the others.
 */
export async function insertSet<T extends PgTable>(
  q: Queryable,
  table: T,
  rows: readonly Partial<T['$inferInsert']>[],
  suffix?: SQL,
): Promise<Record<string, unknown>[]> {
  if (!rows.length) return [];
  const all = getTableColumns(table) as Record<string, PgColumn>;
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row).filter((k) => all[k] && (row as Record<string, unknown>)[k] !== undefined)))];
  const columns = keys.map((key) => {
    const column = all[key]!;
    const type = setType(column);
    const values = rows.map((row) => encode((row as Record<string, unknown>)[key], type));
    const name = sql.identifier(column.name);
    const select = type === 'bytea' ? sql`decode(u.${name}, 'base64')` : type === 'text[]' ? sql`array(select jsonb_array_elements_text(u.${name}))` : sql`u.${name}`;
    const arrayType = type === 'bytea' ? 'text' : type === 'text[]' ? 'jsonb' : type;
    return { name, select, param: sql`${arrayLiteral(values)}::${sql.raw(arrayType)}[]` };
  });
  const query = sql`insert into ${sql.identifier(getTableName(table))} (${sql.join(columns.map((c) => c.name), sql`, `)}) select ${sql.join(columns.map((c) => c.select), sql`, `)} from unnest(${sql.join(columns.map((c) => c.param), sql`, `)}) as u(${sql.join(columns.map((c) => c.name), sql`, `)})${suffix ? sql` ${suffix}` : sql``}`;
  return (await q.execute(query)) as unknown as Record<string, unknown>[];
}

type SetType = 'uuid' | 'text' | 'integer' | 'bigint' | 'boolean' | 'timestamptz' | 'jsonb' | 'bytea' | 'text[]';

function setType(column: PgColumn): SetType {
  const type = column.getSQLType();
  if (type === 'serial' || type === 'integer') return 'integer';
  if (type === 'bigserial' || type === 'bigint') return 'bigint';
  if (type.startsWith('timestamp')) return 'timestamptz';
  if (type === 'uuid' || type === 'text' || type === 'boolean' || type === 'jsonb' || type === 'bytea' || type === 'text[]') return type;
  throw new Error(`insertSet: no array encoding for column type ${type}`);
}

function encode(value: unknown, type: SetType): string | null {
  if (value === null || value === undefined) return type === 'text[]' ? '[]' : null;
  if (type === 'bytea') return (value as Buffer).toString('base64');
  if (type === 'text[]' || type === 'jsonb') return JSON.stringify(value);
  if (type === 'timestamptz') return (value as Date).toISOString();
  return String(value);
}

/** PostgreSQL's array input syntax: every element quoted, `"` and `\` escaped, NULL unquoted. */
export function arrayLiteral(values: readonly (string | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${v.replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
}

/** `expr = any($1::text[])`: drizzle's inArray with one parameter instead of one per value. */
export function inTextSet(expr: SQLWrapper, values: readonly string[]): SQL {
  return sql`${expr} = any(${arrayLiteral(values)}::text[])`;
}
