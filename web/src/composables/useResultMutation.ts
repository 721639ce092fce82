import { ref } from 'vue';
import { useMutation, type AnyVariables, type OperationContext, type TypedDocumentNode } from '@urql/vue';
import { readOutcome, type ErrorMember, type Outcome, type Typename } from '@/lib/errors';

/**
 * A mutation whose field answers with a result union (`XSuccess | ValidationError | …`).
 * `run` resolves with the accepted member or with the message, field errors and error member
 * to show; `error` holds the last failure's message until the next run.
 *
 *   const remove = useResultMutation(DeleteProxyServerDocument, 'deleteProxyServer', ['DeleteSuccess', 'NotFoundError']);
 *   const outcome = await remove.run({ id });
 */
export function useResultMutation<
  Data,
  Variables extends AnyVariables,
  Field extends keyof Data,
  Success extends Typename<NonNullable<Data[Field]>>,
>(document: TypedDocumentNode<Data, Variables>, field: Field, accepted: Success | readonly Success[]) {
  type Member = NonNullable<Data[Field]> & ErrorMember;
  const mutation = useMutation(document);
  const error = ref<string | null>(null);
  const successes: readonly Success[] = Array.isArray(accepted) ? accepted : [accepted as Success];

  async function run(variables: Variables, context?: Partial<OperationContext>): Promise<Outcome<Member, Success & Typename<Member>>> {
    error.value = null;
    const result = await mutation.executeMutation(variables, context);
    const member = (result.data?.[field] ?? null) as Member | null;
    const outcome = readOutcome(member, result.error, successes as readonly (Success & Typename<Member>)[]);
    if (!outcome.ok) error.value = outcome.message;
    return outcome;
  }

  return { run, fetching: mutation.fetching, error };
}
