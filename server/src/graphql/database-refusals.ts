import { getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { GraphQLError, defaultFieldResolver, getNullableType, isUnionType, type GraphQLSchema } from 'graphql';
import * as tables from '../db/schema.js';
import { ValidationError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/**
 * PostgreSQL refusing a value the input brought (SQLSTATE class 22, data exceptions; 23, integrity
 * constraints; 54000, an index row too large). Each service validates what it takes; this catches
 * what slips past, e.g. two admins creating the same name at once, where both pass the "does it
 * exist" check and the unique index refuses the second.
 */
const INPUT_REFUSALS = /^(22|23)[0-9A-Z]{3}$|^54000$/;

interface PostgresFailure { code: string; constraint_name?: string; column_name?: string }

/** The PostgreSQL error behind a failure: postgres.js's own, or the cause drizzle wraps it in. */
function postgresFailure(err: unknown): PostgresFailure | null {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && INPUT_REFUSALS.test(code)) return e as PostgresFailure;
  }
  return null;
}

/** Our table names, longest first, so `technician_group_members` is tried before `technician_groups`. */
const TABLES = Object.values(tables).filter((t) => is(t, PgTable)).map((t) => getTableName(t as PgTable)).sort((a, b) => b.length - a.length);

/**
 * The field a unique constraint is about, from its name as drizzle and PostgreSQL make them
 * (`roles_name_unique`, `categories_name_lower`, `users_email_key`), camel-cased like the API's.
 */
function constrainedField(failure: PostgresFailure): string | null {
  const name = failure.constraint_name ?? '';
  const table = TABLES.find((t) => name.startsWith(`${t}_`));
  const column = table ? /^(.+)_(?:unique|lower|key)$/.exec(name.slice(table.length + 1))?.[1] : undefined;
  return column ? column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : null;
}

function refusal(failure: PostgresFailure): { path: string[]; message: string } {
  if (failure.code === '23505') {
    const field = constrainedField(failure);
    return { path: field ? [field] : [], message: field ? `Another one has this ${field} already` : 'This exists already' };
  }
  return { path: [], message: 'The input could not be stored (a value is out of range or malformed)' };
}

/**
 * Every query and mutation answers such a refusal as the caller's error, not a masked "Unexpected
 * error": the field's ValidationError when its result union has one, else BAD_USER_INPUT. Other
 * failures pass through unchanged, and each refusal is logged with what PostgreSQL said.
 */
export function answerDatabaseRefusals(schema: GraphQLSchema): GraphQLSchema {
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    if (!root) continue;
    for (const field of Object.values(root.getFields())) {
      const returnType = getNullableType(field.type);
      const answersWithData = isUnionType(returnType) && returnType.getTypes().some((t) => t.name === 'ValidationError');
      const inner = field.resolve ?? defaultFieldResolver;
      field.resolve = async (source, args, context, info) => {
        try {
          return await inner(source, args, context, info);
        } catch (err) {
          const failure = postgresFailure(err);
          if (!failure) throw err;
          (context as { services?: { logger?: Logger } }).services?.logger?.warn({ err, field: field.name, code: failure.code, constraint: failure.constraint_name }, 'PostgreSQL refused a value the input brought');
          const { path, message } = refusal(failure);
          if (answersWithData) return ValidationError.of([{ path, message }]);
          throw new GraphQLError(message, { extensions: { code: failure.code === '23505' ? 'CONFLICT' : 'BAD_USER_INPUT', path } });
        }
      };
    }
  }
  return schema;
}
