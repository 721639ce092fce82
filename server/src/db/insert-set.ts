import { getTableColumns, getTableName, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Queryable } from './client.js';

/**
 * `insert into t (…) select … from json_to_recordset($1)`: any number of rows in one statement
 * with one parameter. A multi-row VALUES list costs a parameter per cell (thousands for one ingest
 * batch), each built by drizzle, bound and planned by PostgreSQL; and JSON.stringify escapes
 * megabytes of mail text natively, where any escaping in JavaScript holds the event loop.
 * Rows are keyed like drizzle's `.values()` (property names). A column no row names takes its SQL
 * default; one that only some rows name is NULL in the others.
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
  const columns = keys.map((key) => ({ key, column: all[key]!, type: recordType(all[key]!) }));
  const records = rows.map((row) => {
    const record: Record<string, unknown> = {};
    for (const { key, column, type } of columns) {
      const value = (row as Record<string, unknown>)[key];
      record[column.name] = type === 'bytea' && value != null ? (value as Buffer).toString('base64') : value;
    }
    return record;
  });
  const name = (c: PgColumn) => sql.identifier(c.name);
  const select = columns.map(({ column, type }) => (type === 'bytea' ? sql`decode(u.${name(column)}, 'base64')` : sql`u.${name(column)}`));
  const definition = columns.map(({ column, type }) => sql`${name(column)} ${sql.raw(type === 'bytea' ? 'text' : type)}`);
  const query = sql`insert into ${sql.identifier(getTableName(table))} (${sql.join(columns.map((c) => name(c.column)), sql`, `)}) select ${sql.join(select, sql`, `)} from json_to_recordset(${JSON.stringify(records)}::json) as u(${sql.join(definition, sql`, `)})${suffix ? sql` ${suffix}` : sql``}`;
  return (await q.execute(query)) as unknown as Record<string, unknown>[];
}

/** `on conflict (target) do update set c = excluded.c, …`: insertSet's suffix for an upsert of `columns`. */
export function updateOnConflict(target: readonly PgColumn[], columns: readonly PgColumn[]): SQL {
  const set = columns.filter((c) => !target.includes(c)).map((c) => sql`${sql.identifier(c.name)} = excluded.${sql.identifier(c.name)}`);
  return sql`on conflict (${sql.join(target.map((c) => sql.identifier(c.name)), sql`, `)}) do update set ${sql.join(set, sql`, `)}`;
}

type RecordType = 'uuid' | 'text' | 'integer' | 'bigint' | 'boolean' | 'timestamptz' | 'jsonb' | 'bytea' | 'text[]';

function recordType(column: PgColumn): RecordType {
  const type = column.getSQLType();
  if (type === 'serial' || type === 'integer') return 'integer';
  if (type === 'bigserial' || type === 'bigint') return 'bigint';
  if (type.startsWith('timestamp')) return 'timestamptz';
  if (type === 'uuid' || type === 'text' || type === 'boolean' || type === 'jsonb' || type === 'bytea' || type === 'text[]') return type;
  throw new Error(`insertSet: no JSON encoding for column type ${type}`);
}

/** PostgreSQL's array input syntax: every element quoted, `"` and `\` escaped, NULL unquoted. */
export function arrayLiteral(values: readonly (string | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${v.replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
}

/** `expr = any($1::text[])`: drizzle's inArray with one parameter instead of one per value. */
export function inTextSet(expr: SQLWrapper, values: readonly string[]): SQL {
  return sql`${expr} = any(${arrayLiteral(values)}::text[])`;
}
