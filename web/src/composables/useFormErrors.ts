import { computed, ref, watch } from 'vue';
import type { Outcome } from '@/lib/errors';
import {
  errorsFor,
  groupFieldErrors,
  unclaimedFieldErrors,
  type FieldErrorLike,
  type FieldErrorMap,
} from '@/lib/fieldErrors';

export const NEEDS_ATTENTION = 'Some fields need attention.';

/**
 * A form's errors: those its fields show (`errs('name')`), those no field claims (listed in the
 * summary so that none is swallowed), and the summary sentence. `claims` is the form's field
 * names (see lib/fieldErrors.ts) or a test of its own.
 */
export function useFormErrors(claims: readonly string[] | ((error: FieldErrorLike) => boolean)) {
  const fieldErrors = ref<FieldErrorMap>({});
  const formError = ref<string | null>(null);
  const unclaimed = ref<FieldErrorLike[]>([]);

  const errs = (...keys: string[]): string[] => errorsFor(fieldErrors.value, ...keys);
  // "Some fields need attention" goes once the fields it spoke of are fixed.
  watch(fieldErrors, (errors) => {
    if (formError.value === NEEDS_ATTENTION && Object.keys(errors).length === 0 && unclaimed.value.length === 0) formError.value = null;
  });
  /** The sentence and every unclaimed message, for forms that show them as one line. */
  const summary = computed(() => [formError.value, ...unclaimed.value.map((e) => e.message)].filter(Boolean).join(' ') || null);

  function show(errors: readonly FieldErrorLike[], message: string | null): void {
    fieldErrors.value = groupFieldErrors(errors);
    unclaimed.value =
      typeof claims === 'function' ? errors.filter((error) => !claims(error)) : unclaimedFieldErrors(errors, claims);
    formError.value = message;
  }

  /**
   * A refused save: field errors go to their fields under `fieldsMessage`; otherwise the server's
   * sentence, with `notFoundHint` after a NotFoundError.
   */
  function showFailure(
    failure: Extract<Outcome<unknown, string>, { ok: false }>,
    { fieldsMessage = NEEDS_ATTENTION as string | null, notFoundHint = '' } = {},
  ): void {
    const notFound = (failure.member as { __typename?: string } | null)?.__typename === 'NotFoundError';
    if (failure.fieldErrors.length) show(failure.fieldErrors, fieldsMessage);
    else show([], notFound ? `${failure.message}${notFoundHint}` : failure.message);
  }

  function clear(): void {
    show([], null);
  }

  return { fieldErrors, formError, unclaimed, summary, errs, show, showFailure, clear };
}
