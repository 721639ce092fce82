export interface FieldErrorLike {
  path: string | readonly (string | number)[];
  message: string;
}

export type FieldErrorMap = Record<string, string[]>;

const isIndex = (segment: string): boolean => /^\d+$/.test(segment);

function segmentsOf(path: FieldErrorLike['path']): string[] {
  const raw = typeof path === 'string' ? path.split('.') : path.map(String);
  return raw[0] === 'input' && raw.length > 1 ? raw.slice(1) : raw;
}

/**
 * Server paths look like ["input", "filter", "emails", "2"] or "port". An error is filed
 * under its dotted path without the leading "input" ("filter.emails.2"), that path without
 * trailing list indices ("filter.emails"), and its last non-index segment ("emails"), so a
 * field can find it by its own name whichever form the server used.
 */
export function keysForPath(path: FieldErrorLike['path']): string[] {
  const segments = segmentsOf(path);
  const named = [...segments];
  while (named.length > 0 && isIndex(named[named.length - 1] ?? '')) named.pop();
  const keys = new Set<string>([segments.join('.'), named.join('.')]);
  const last = named[named.length - 1];
  if (last) keys.add(last);
  keys.delete('');
  return [...keys];
}

/** For list entries the message says which line it is about. */
export function describeFieldError(error: FieldErrorLike): string {
  const last = segmentsOf(error.path).at(-1) ?? '';
  return isIndex(last) ? `Line ${Number(last) + 1}: ${error.message}` : error.message;
}

export function groupFieldErrors(errors: readonly FieldErrorLike[]): FieldErrorMap {
  const map: FieldErrorMap = {};
  for (const error of errors) {
    const message = describeFieldError(error);
    for (const key of keysForPath(error.path)) (map[key] ??= []).push(message);
  }
  return map;
}

/** Messages filed under any of `keys`, each once. */
export function errorsFor(map: FieldErrorMap, ...keys: string[]): string[] {
  return [...new Set(keys.flatMap((key) => map[key] ?? []))];
}

/** Errors that none of the form's field names would display. */
export function unclaimedFieldErrors(
  errors: readonly FieldErrorLike[],
  fieldNames: readonly string[],
): FieldErrorLike[] {
  const names = new Set(fieldNames);
  return errors.filter((error) => !keysForPath(error.path).some((key) => names.has(key)));
}
