import { describe, expect, it } from 'vitest';
import { NEEDS_ATTENTION, useFormErrors } from '@/composables/useFormErrors';
import { readOutcome } from '@/lib/errors';

type Member =
  | { __typename: 'ThingSuccess'; id: string }
  | { __typename: 'NotFoundError'; message: string }
  | { __typename: 'ValidationError'; message: string; fieldErrors: { path: string[]; message: string }[] };

const refuse = (member: Member) => {
  const outcome = readOutcome<Member, 'ThingSuccess'>(member, null, ['ThingSuccess']);
  if (outcome.ok) throw new Error('expected a refusal');
  return outcome;
};

describe('useFormErrors', () => {
  it('files field errors under their fields and lists the ones no field shows', () => {
    const form = useFormErrors(['name', 'port']);
    form.showFailure(
      refuse({
        __typename: 'ValidationError',
        message: 'Not saved.',
        fieldErrors: [
          { path: ['input', 'port'], message: 'Port must be a whole number.' },
          { path: ['input', 'limits', 'max'], message: 'Too large.' },
        ],
      }),
    );
    expect(form.errs('port')).toEqual(['Port must be a whole number.']);
    expect(form.errs('name')).toEqual([]);
    expect(form.formError.value).toBe(NEEDS_ATTENTION);
    expect(form.unclaimed.value.map((e) => e.message)).toEqual(['Too large.']);
    expect(form.summary.value).toBe(`${NEEDS_ATTENTION} Too large.`);
  });

  it('shows the server’s sentence when no field is named, with a hint after NotFoundError', () => {
    const form = useFormErrors(['name']);
    form.showFailure(refuse({ __typename: 'NotFoundError', message: 'No such thing.' }), { notFoundHint: ' It may be gone.' });
    expect(form.summary.value).toBe('No such thing. It may be gone.');
    form.showFailure(refuse({ __typename: 'ValidationError', message: 'Refused.', fieldErrors: [] }), { fieldsMessage: null });
    expect(form.formError.value).toBe('Refused.');
    form.clear();
    expect(form.summary.value).toBeNull();
    expect(form.fieldErrors.value).toEqual({});
  });

  it('lets a form decide which errors it claims', () => {
    const form = useFormErrors((error) => String(error.path).startsWith('conditions'));
    form.show([{ path: 'conditions.0.value', message: 'Bad pattern.' }, { path: 'other', message: 'Odd.' }], null);
    expect(form.summary.value).toBe('Odd.');
  });
});
