import { computed, onScopeDispose, ref, shallowRef } from 'vue';
import { client } from '@/graphql/client';
import {
  IncomingEmailServerConnectionTestDocument,
  OutgoingServerConnectionTestDocument,
  type ConnectionStage,
  type ConnectionTestEventFieldsFragment,
  type ConnectionTestResultFieldsFragment,
  type ConnectionTestStageFieldsFragment,
  type IncomingEmailServerInput,
  type OutgoingEmailServerInput,
} from '@/graphql/generated/graphql';
import { errorMessage } from '@/lib/errors';
import type { FieldErrorLike } from '@/lib/fieldErrors';

export type ConnectionTestTarget =
  | { kind: 'incoming'; id?: string | null; input?: IncomingEmailServerInput | null }
  | { kind: 'outgoing'; id?: string | null; input?: OutgoingEmailServerInput | null };

/**
 * Test Connection over a subscription: each stage shows as it starts and ends (issue 14), for a
 * saved server (`id`) or a drawer's unsaved settings (`input`, with `id` for stored secrets).
 * `fieldErrors` holds what the server refused in unsaved settings before testing anything.
 */
export function useConnectionTest() {
  const running = ref<ConnectionStage | null>(null);
  const stages = shallowRef<readonly ConnectionTestStageFieldsFragment[]>([]);
  const result = shallowRef<ConnectionTestResultFieldsFragment | null>(null);
  const error = ref<string | null>(null);
  const fieldErrors = shallowRef<readonly FieldErrorLike[]>([]);
  const active = ref(false);
  const startedAt = ref(0);
  let subscription: { unsubscribe(): void } | null = null;

  function stop(): void {
    subscription?.unsubscribe();
    subscription = null;
    active.value = false;
    running.value = null;
  }

  function reset(): void {
    stop();
    stages.value = [];
    result.value = null;
    error.value = null;
    fieldErrors.value = [];
  }

  function onEvent(event: ConnectionTestEventFieldsFragment): void {
    if (event.__typename === 'ConnectionTestProgress') {
      stages.value = event.result?.stages ?? event.stages;
      running.value = event.running;
      if (event.result) {
        result.value = event.result;
        stop();
      }
      return;
    }
    if (event.__typename === 'ValidationError') fieldErrors.value = event.fieldErrors;
    error.value = event.__typename === 'ValidationError' && event.fieldErrors.length ? null : event.message;
    stop();
  }

  function start(target: ConnectionTestTarget): void {
    reset();
    active.value = true;
    startedAt.value = Date.now();
    const source =
      target.kind === 'incoming'
        ? client.subscription(IncomingEmailServerConnectionTestDocument, { id: target.id ?? null, input: target.input ?? null })
        : client.subscription(OutgoingServerConnectionTestDocument, { id: target.id ?? null, input: target.input ?? null });
    subscription = source.subscribe((answer) => {
      if (answer.error) {
        error.value = errorMessage(answer.error);
        stop();
        return;
      }
      const data = answer.data as Record<string, ConnectionTestEventFieldsFragment> | undefined;
      const event = data ? Object.values(data)[0] : undefined;
      if (event) onEvent(event);
    });
  }

  onScopeDispose(stop);

  return { start, reset, running, stages, result, error, fieldErrors, active, startedAt, idle: computed(() => !active.value && !result.value && !error.value) };
}

export type ConnectionTest = ReturnType<typeof useConnectionTest>;
