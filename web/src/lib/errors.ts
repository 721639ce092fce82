import type { CombinedError } from '@urql/core';

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
