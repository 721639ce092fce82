import { describe, expect, it } from 'vitest';
import { useResultMutation } from '@/composables/useResultMutation';
import { CreateCategoryDocument, DeleteCategoryDocument } from '@/graphql/generated/graphql';
import { mountComposable } from '@/testing/mountComposable';
import { schemaClient, type Root } from '@/testing/schemaClient';

const categories = new Map([['c1', 'Billing']]);
const root: Root = {
  createCategory: ({ name }) => {
    const trimmed = String(name).trim();
    if (!trimmed) {
      return {
        __typename: 'ValidationError',
        message: 'The category was not saved.',
        fieldErrors: [{ path: ['name'], message: 'Enter a name.' }],
      };
    }
    return { __typename: 'CategorySuccess', category: { id: 'c2', name: trimmed } };
  },
  deleteCategory: ({ id }) =>
    categories.has(String(id))
      ? { __typename: 'DeleteSuccess', id }
      : { __typename: 'NotFoundError', message: 'No such category.' },
};

describe('useResultMutation', () => {
  it('resolves with the success member', async () => {
    const { result, unmount } = mountComposable(schemaClient(root), () =>
      useResultMutation(CreateCategoryDocument, 'createCategory', 'CategorySuccess'),
    );
    const pending = result.run({ name: ' Hardware ' });
    expect(result.fetching.value).toBe(true);
    const outcome = await pending;
    expect(result.fetching.value).toBe(false);
    expect(outcome).toEqual({ ok: true, value: { __typename: 'CategorySuccess', category: { id: 'c2', name: 'Hardware' } } });
    expect(result.error.value).toBeNull();
    unmount();
  });

  it('gives a ValidationError its message, its field errors and the member', async () => {
    const { result, unmount } = mountComposable(schemaClient(root), () =>
      useResultMutation(CreateCategoryDocument, 'createCategory', 'CategorySuccess'),
    );
    const outcome = await result.run({ name: '  ' });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.member?.__typename).toBe('ValidationError');
    expect(outcome.fieldErrors).toEqual([{ path: ['name'], message: 'Enter a name.' }]);
    // Nothing is swallowed: the field messages follow the sentence.
    expect(outcome.message).toBe('The category was not saved. Enter a name.');
    expect(result.error.value).toBe(outcome.message);
    unmount();
  });

  it('refuses members it was not told to accept, and accepts the ones it was', async () => {
    const client = schemaClient(root);
    const { result, unmount } = mountComposable(client, () => ({
      strict: useResultMutation(DeleteCategoryDocument, 'deleteCategory', 'DeleteSuccess'),
      lenient: useResultMutation(DeleteCategoryDocument, 'deleteCategory', ['DeleteSuccess', 'NotFoundError']),
    }));
    const refused = await result.strict.run({ id: 'gone' });
    expect(refused).toMatchObject({ ok: false, message: 'No such category.', member: { __typename: 'NotFoundError' } });
    const accepted = await result.lenient.run({ id: 'gone' });
    expect(accepted).toEqual({ ok: true, value: { __typename: 'NotFoundError', message: 'No such category.' } });
    expect(result.lenient.error.value).toBeNull();
    unmount();
  });

  it('turns an unreachable server into a sentence and clears it on the next run', async () => {
    let down = true;
    const { result, unmount } = mountComposable(schemaClient(root, { failNetwork: () => down }), () =>
      useResultMutation(DeleteCategoryDocument, 'deleteCategory', 'DeleteSuccess'),
    );
    const failed = await result.run({ id: 'c1' });
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    expect(failed.member).toBeNull();
    expect(failed.error?.networkError).toBeDefined();
    expect(failed.message).toBe('Mailroom could not be reached. Check the connection and try again.');
    expect(result.error.value).toBe(failed.message);

    down = false;
    const pending = result.run({ id: 'c1' });
    expect(result.error.value).toBeNull();
    expect((await pending).ok).toBe(true);
    unmount();
  });
});
