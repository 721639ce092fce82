import type { z } from 'zod';

export interface FieldError { path: string[]; message: string }

/**
 * Expected failures are returned as data, as members of a result union, never thrown. They are not
 * `Error`s on purpose: graphql-js treats a resolver that returns an Error as one that threw it.
 */
export abstract class ExpectedError {
  constructor(readonly message: string) {}
}

export class ValidationError extends ExpectedError {
  readonly kind = 'ValidationError';
  constructor(message: string, readonly fieldErrors: FieldError[] = []) {
    super(message);
  }
  static of(fieldErrors: FieldError[]): ValidationError {
    return new ValidationError(fieldErrors.map((e) => `${e.path.join('.')}: ${e.message}`).join('; ') || 'Invalid input', fieldErrors);
  }
}
export class NotFoundError extends ExpectedError {
  readonly kind = 'NotFoundError';
}
export class InvalidCredentials extends ExpectedError {
  readonly kind = 'InvalidCredentials';
}
/** The viewer may see this, but not change it (a ticket of another technician group). */
export class NotAllowedError extends ExpectedError {
  readonly kind = 'NotAllowedError';
}

export type UsageKind = 'INCOMING_SERVER' | 'RULE' | 'TICKET' | 'TECHNICIAN' | 'QUEUED_MAIL';
/** What refers to a thing about to be deleted: how many of a kind, and the first few by name. */
export interface Usage { kind: UsageKind; count: number; names: string[] }

/** A delete refused because other things still use the target; a replacement lets it go ahead. */
export class InUseError extends ExpectedError {
  readonly kind = 'InUseError';
  constructor(message: string, readonly usages: Usage[]) {
    super(message);
  }
}

export function zodFieldErrors(error: z.ZodError, prefix: string[] = []): FieldError[] {
  return error.issues.map((issue) => ({ path: [...prefix, ...issue.path.map(String)], message: issue.message }));
}

/** Too many sign-in attempts for the account or from the address; try again after `retryAfterSeconds`. */
export class TooManyAttempts extends ExpectedError {
  readonly kind = 'TooManyAttempts';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many sign-in attempts. Try again in ${retryAfterSeconds >= 120 ? `${Math.ceil(retryAfterSeconds / 60)} minutes` : `${retryAfterSeconds} seconds`}.`);
  }
}
