import { GraphQLError, defaultFieldResolver, getNullableType, isObjectType, isUnionType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { unstorableTextReason } from '../lib/text.js';
import { ValidationError } from '../lib/errors.js';

interface Unstorable { path: string[]; reason: string }

function findUnstorable(value: unknown, path: string[]): Unstorable | null {
  if (typeof value === 'string') {
    const reason = unstorableTextReason(value);
    return reason ? { path, reason } : null;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = findUnstorable(v, [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      const found = findUnstorable(v, [...path, k]);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Every string argument of every field is checked before its resolver runs: a NUL or an
 * unpaired surrogate can't be stored in PostgreSQL, and would otherwise surface as a masked
 * "Unexpected error" from deep inside a service. Fields returning a result union answer with its
 * ValidationError member (the argument's path as the field error); others with a typed
 * BAD_USER_INPUT error. One wrapper here instead of a check in every service.
 */
export function refuseUnstorableText(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!field.args.length) continue;
      const returnType = getNullableType(field.type);
      const answersWithData = isUnionType(returnType) && returnType.getTypes().some((t) => t.name === 'ValidationError');
      const guard = <T extends GraphQLFieldResolver<unknown, unknown>>(inner: T): T =>
        ((source, args, context, info) => {
          const bad = findUnstorable(args, []);
          if (!bad) return inner(source, args, context, info);
          if (answersWithData) return ValidationError.of([{ path: bad.path, message: bad.reason }]);
          throw new GraphQLError(`${bad.path.join('.')}: ${bad.reason}`, { extensions: { code: 'BAD_USER_INPUT', path: bad.path } });
        }) as T;
      if (field.subscribe) field.subscribe = guard(field.subscribe);
      else field.resolve = guard(field.resolve ?? defaultFieldResolver);
    }
  }
  return schema;
}
