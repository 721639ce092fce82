import { makeOperation, type Exchange, type Operation } from '@urql/core';
import { makeSubject, merge, pipe, tap } from 'wonka';

/**
 * Keeps the queries the screens are showing and, each time `onReconnect` fires, asks for all of
 * them again from the network. Subscriptions only carry what happens while the socket is open:
 * whatever was created or changed while it was down reaches the screens through this refetch.
 *
 * The refetches go straight down the exchanges rather than through `client.reexecuteOperation`:
 * the client drops a re-executed query whose key it still counts as dispatched (sent, no answer
 * yet), so a refetch could be lost behind a request that left before the socket came back. Their
 * answers carry the query's key, so they reach the screen showing it all the same.
 */
export function refetchOnReconnectExchange(onReconnect: (listener: () => void) => unknown): Exchange {
  return ({ forward }) => {
    const active = new Map<number, Operation>();
    const refetches = makeSubject<Operation>();
    onReconnect(() => {
      for (const operation of active.values()) {
        refetches.next(makeOperation('query', operation, { ...operation.context, requestPolicy: 'network-only' }));
      }
    });
    return (operations$) =>
      forward(
        merge([
          pipe(
            operations$,
            tap((operation) => {
              if (operation.kind === 'query') active.set(operation.key, operation);
              else if (operation.kind === 'teardown') active.delete(operation.key);
            }),
          ),
          refetches.source,
        ]),
      );
  };
}
