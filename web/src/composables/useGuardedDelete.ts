import { ref, shallowRef } from 'vue';
import type { AnyVariables, TypedDocumentNode } from '@urql/vue';
import { useResultMutation } from '@/composables/useResultMutation';
import type { ErrorFieldsFragment } from '@/graphql/generated/graphql';
import type { Typename } from '@/lib/errors';

type InUse = Extract<ErrorFieldsFragment, { __typename: 'InUseError' }>;

/**
 * Deleting something other things may use (groups, categories, companies, outgoing servers,
 * proxies): ask first; when the server answers that it is in use, keep the dialog open with what
 * uses it, and delete again with the replacement the admin picks.
 */
export function useGuardedDelete<
  Data,
  Variables extends AnyVariables & { id: string; replacementId?: string | null },
  Field extends keyof Data,
>(document: TypedDocumentNode<Data, Variables>, field: Field, onDeleted: (id: string) => void) {
  // Not found means someone else deleted it already: the list forgets it all the same.
  const mutation = useResultMutation(document, field, ['DeleteSuccess', 'NotFoundError'] as unknown as Typename<NonNullable<Data[Field]>>[]);
  const target = ref<{ id: string; name: string } | null>(null);
  const inUse = shallowRef<InUse | null>(null);
  const error = ref<string | null>(null);

  function ask(item: { id: string; name: string }): void {
    target.value = item;
    inUse.value = null;
    error.value = null;
  }

  function cancel(): void {
    target.value = null;
    inUse.value = null;
    error.value = null;
  }

  async function confirm(replacementId: string | null): Promise<void> {
    const item = target.value;
    if (!item) return;
    error.value = null;
    const outcome = await mutation.run({ id: item.id, replacementId } as Variables);
    if (outcome.ok) {
      onDeleted(item.id);
      cancel();
      return;
    }
    const member = outcome.member as { __typename?: string } | null;
    if (member?.__typename === 'InUseError') inUse.value = member as InUse;
    else error.value = outcome.message;
  }

  return { target, inUse, error, busy: mutation.fetching, ask, cancel, confirm };
}

export type GuardedDelete = ReturnType<typeof useGuardedDelete>;
