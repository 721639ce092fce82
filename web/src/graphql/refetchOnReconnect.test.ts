import { describe, expect, it } from 'vitest';
import { pipe, subscribe } from 'wonka';
import { TicketListsDocument } from '@/graphql/generated/graphql';
import { refetchOnReconnectExchange } from '@/graphql/refetchOnReconnect';
import { schemaClient } from '@/testing/schemaClient';

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * A client with the exchange, showing the priorities list; `answer(call)` waits as long as it
 * likes before the server answers its n-th request. `seen`: the names the screen got, in order.
 */
function showingPriorities(answer: (call: number) => Promise<void> | void = () => {}) {
  let reconnect = () => {};
  const state = { calls: 0, seen: [] as string[] };
  const client = schemaClient(
    {
      priorities: async () => {
        const call = ++state.calls;
        await answer(call);
        return [{ id: 'p1', name: `High ${call}`, position: 1 }];
      },
      requestTypes: () => [],
    },
    { exchanges: [refetchOnReconnectExchange((listener) => (reconnect = listener))] },
  );
  const shown = pipe(
    client.query(TicketListsDocument, {}),
    subscribe((result) => state.seen.push(result.data?.priorities[0]?.name ?? '')),
  );
  return { state, shown, reconnect: () => reconnect() };
}

describe('refetchOnReconnectExchange', () => {
  it('asks the network again for every query on screen after a reconnect, and only for those', async () => {
    const { state, shown, reconnect } = showingPriorities();
    await settle();
    expect(state.seen).toEqual(['High 1']);

    reconnect();
    await settle();
    expect(state.calls).toBe(2);
    expect(state.seen.at(-1)).toBe('High 2');

    shown.unsubscribe();
    reconnect();
    await settle();
    expect(state.calls).toBe(2);
  });

  it('refetches a query whose earlier request is still on its way when the socket comes back', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const { state, shown, reconnect } = showingPriorities((call) => (call === 1 ? held : undefined));
    await settle();
    expect(state.calls).toBe(1);

    // urql's client would drop this re-execution: the key still waits for its first answer.
    reconnect();
    await settle();
    expect(state.calls).toBe(2);
    expect(state.seen).toContain('High 2');
    release();
    shown.unsubscribe();
  });
});
