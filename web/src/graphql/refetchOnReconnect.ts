import { makeOperation, type Exchange, type Operation } from '@urql/core';
import { pipe, tap } from 'wonka';

/**
 * Keeps the queries the screens are showing and, each time `onReconnect` fires, asks for all of
 * them again from the network. Subscriptions only carry what happens while the socket is open:
 * whatever was created or changed while it was down reaches the screens through this refetch.
 */
export function refetchOnReconnectExchange(onReconnect: (listener: () => void) => unknown): Exchange {
  return ({ client, forward }) => {
    const active = new Map<number, Operation>();
    onReconnect(() => {
      for (const operation of active.values()) {
        client.reexecuteOperation(makeOperation('query', operation, { ...operation.context, requestPolicy: 'network-only' }));
      }
    });
    return (operations$) =>
      forward(
        pipe(
          operations$,
          tap((operation) => {
            if (operation.kind === 'query') active.set(operation.key, operation);
            else if (operation.kind === 'teardown') active.delete(operation.key);
          }),
        ),
      );
  };
}
