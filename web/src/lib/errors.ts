import type { CombinedError } from '@urql/core';
import type { FieldErrorLike } from '@/lib/fieldErrors';

/** urql prefixes messages with "[GraphQL]" / "[Network]"; people only need the sentence. */
export function errorMessage(error: CombinedError | Error | null | undefined): string {
  if (!error) return '';
  if ('networkError' in error && error.networkError) {
    return 'Mailroom could not be reached. Check the connection and try again.';
  }
  return error.message.replace(/^\[(GraphQL|Network)\] /, '');
}

export interface ErrorMember {
  __typename: string;
  message?: string;
  fieldErrors?: readonly { path: readonly string[]; message: string }[];
}

/**
 * For result unions (Success | ValidationError | NotFoundError): the error text to show, or null
 * on success. Field errors are listed so that none is swallowed when no field shows them.
 */
export function outcomeError(outcome: ErrorMember | null | undefined, successTypename: string): string | null {
  if (!outcome) return 'The server sent an empty answer.';
  if (outcome.__typename === successTypename) return null;
  const details = outcome.fieldErrors?.map((error) => error.message) ?? [];
  return [outcome.message, ...details].filter(Boolean).join(' ') || 'The change was refused.';
}

/** A member's `__typename`, for each member of a result union. */
export type Typename<M> = M extends { __typename: infer T extends string } ? T : never;

export type Outcome<M, S extends string> =
  | { ok: true; value: Extract<M, { __typename: S }> }
  | {
      ok: false;
      /** The error member the server answered with; null when no answer came (network, GraphQL error, empty). */
      member: Exclude<M, { __typename: S }> | null;
      /** Everything to tell the user, field errors included. */
      message: string;
      fieldErrors: readonly FieldErrorLike[];
      error: CombinedError | null;
    };

/** Reads a result union off a mutation's answer: the accepted member, or what went wrong. */
export function readOutcome<M extends ErrorMember, S extends Typename<M>>(
  member: M | null | undefined,
  error: CombinedError | null | undefined,
  accepted: readonly S[],
): Outcome<M, S> {
  if (error) return { ok: false, member: null, message: errorMessage(error), fieldErrors: [], error };
  if (member && (accepted as readonly string[]).includes(member.__typename)) {
    return { ok: true, value: member as Extract<M, { __typename: S }> };
  }
  return {
    ok: false,
    member: (member ?? null) as Exclude<M, { __typename: S }> | null,
    message: outcomeError(member, accepted[0] ?? '') ?? '',
    fieldErrors: member?.fieldErrors ?? [],
    error: null,
  };
}
