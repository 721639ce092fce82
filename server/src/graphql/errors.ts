import type { ObjectRef, UnionRef } from '@pothos/core';
import { ExpectedError, InUseError, InvalidCredentials, NotAllowedError, NotFoundError, TooManyAttempts, ValidationError, type FieldError, type Usage } from '../lib/errors.js';
import { builder } from './builder.js';

export const ErrorInterface = builder.interfaceRef<ExpectedError>('Error').implement({
  fields: (t) => ({ message: t.exposeString('message') }),
});

const FieldErrorRef = builder.objectRef<FieldError>('FieldError').implement({
  fields: (t) => ({ path: t.exposeStringList('path'), message: t.exposeString('message') }),
});

export const ValidationErrorRef = builder.objectRef<ValidationError>('ValidationError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof ValidationError,
  fields: (t) => ({ fieldErrors: t.field({ type: [FieldErrorRef], resolve: (e) => e.fieldErrors }) }),
});

export const NotFoundErrorRef = builder.objectRef<NotFoundError>('NotFoundError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof NotFoundError,
  fields: () => ({}),
});

export const NotAllowedErrorRef = builder.objectRef<NotAllowedError>('NotAllowedError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof NotAllowedError,
  fields: () => ({}),
});

export const InvalidCredentialsRef = builder.objectRef<InvalidCredentials>('InvalidCredentials').implement({
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof InvalidCredentials,
  fields: () => ({}),
});

const UsageKindRef = builder.enumType('UsageKind', { values: ['INCOMING_SERVER', 'RULE', 'TICKET', 'TECHNICIAN', 'QUEUED_MAIL'] as const });
const UsageRef = builder.objectRef<Usage>('Usage').implement({
  fields: (t) => ({
    kind: t.field({ type: UsageKindRef, resolve: (u) => u.kind }),
    count: t.exposeInt('count'),
    names: t.exposeStringList('names', { description: 'The first few by name (ticket numbers for requests).' }),
  }),
});

export const InUseErrorRef = builder.objectRef<InUseError>('InUseError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof InUseError,
  description: 'The thing is still used: nothing was deleted. Delete again with a replacementId to move its users there.',
  fields: (t) => ({ usages: t.field({ type: [UsageRef], resolve: (e) => e.usages }) }),
});

export const TooManyAttemptsRef = builder.objectRef<TooManyAttempts>('TooManyAttempts').implement({
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof TooManyAttempts,
  fields: (t) => ({ retryAfterSeconds: t.exposeInt('retryAfterSeconds') }),
});

type ErrorRef = typeof ValidationErrorRef | typeof NotFoundErrorRef | typeof NotAllowedErrorRef | typeof InvalidCredentialsRef | typeof TooManyAttemptsRef;

/**
 * `<Name>Success { <field>: T }` plus a `<Name>Result` union of it and the given error types.
 * Resolvers return either the success payload object or an error instance.
 */
export function resultUnion<T extends object, K extends string>(
  name: string,
  field: K,
  ref: ObjectRef<any, T> | [ObjectRef<any, any>],
  errors: ErrorRef[] = [ValidationErrorRef],
) {
  const marker = Symbol(name);
  type Success = { [P in K]: T } & { [marker]: true };
  const success = builder.objectRef<Success>(`${name}Success`).implement({
    isTypeOf: (v) => typeof v === 'object' && v !== null && marker in v,
    fields: (t) => ({ [field]: t.field({ type: ref as ObjectRef<any, unknown>, resolve: (s) => s[field] as never }) }),
  });
  const union = builder.unionType(`${name}Result`, { types: [success, ...errors] as never }) as unknown as UnionRef<typeof builder.$inferSchemaTypes, Success | ExpectedError>;
  const ok = (value: T) => ({ [field]: value, [marker]: true }) as Success;
  return { union, ok };
}

export const DeleteSuccessRef = builder.objectRef<{ id: string }>('DeleteSuccess').implement({
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'id' in v && !(v instanceof ExpectedError),
  fields: (t) => ({ id: t.exposeID('id') }),
});
export const DeleteResultRef = builder.unionType('DeleteResult', { types: [DeleteSuccessRef, NotFoundErrorRef, ValidationErrorRef, InUseErrorRef] });

export function okOrError<T extends object, S>(value: T | ExpectedError, ok: (v: T) => S): S | ExpectedError {
  return value instanceof ExpectedError ? value : ok(value);
}
