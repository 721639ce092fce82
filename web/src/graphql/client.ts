import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import { refetchOnReconnectExchange } from '@/graphql/refetchOnReconnect';

// The session is an httpOnly cookie set by `signIn`, so HTTP requests only need to be
// same-origin and the WebSocket upgrade carries the cookie by itself.
const httpUrl = '/graphql';

function wsUrl(): string {
  const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${protocol}//${location.host}/graphql`;
}

let activeSocket: WebSocket | null = null;
let unauthenticatedHandler: (() => void) | null = null;
const connectionListeners = new Set<(connected: boolean) => void>();
const reconnectListeners = new Set<() => void>();
/** A socket closed since the last connection: whatever happened meanwhile was not pushed. */
let dropped = false;

const wsClient = createWsClient({
  url: wsUrl,
  lazy: true,
  retryAttempts: Infinity,
  shouldRetry: () => true,
  on: {
    connected: (socket) => {
      activeSocket = socket as WebSocket;
      connectionListeners.forEach((listener) => listener(true));
      // Not on a first connection that nothing interrupted (the queries were just fetched), but
      // after any close — also one before the first acknowledgment, when the page's queries were
      // answered over HTTP and no subscription had been set up yet.
      if (dropped) reconnectListeners.forEach((listener) => listener());
      dropped = false;
    },
    closed: (event) => {
      activeSocket = null;
      dropped = true;
      connectionListeners.forEach((listener) => listener(false));
      // 4403: the upgrade carried no valid session (it expired or was revoked).
      if ((event as CloseEvent | undefined)?.code === 4403) unauthenticatedHandler?.();
    },
  },
});

/**
 * The cookie is only read on the upgrade, so after signing in or out the socket has to be
 * reopened for the server to see the new session. 4205 is not a fatal close code for
 * graphql-ws: it reconnects and resubscribes whatever is still active.
 */
export function restartSubscriptions(): void {
  if (activeSocket && activeSocket.readyState === WebSocket.OPEN) {
    activeSocket.close(4205, 'Client Restart');
  }
}

/** Live-update connection state, for the "Live" / "Reconnecting…" indicators. */
export function onLiveConnection(listener: (connected: boolean) => void): () => void {
  connectionListeners.add(listener);
  return () => connectionListeners.delete(listener);
}

/** Called each time the live connection is back after a drop (or a restart after signing in). */
export function onLiveReconnect(listener: () => void): () => void {
  reconnectListeners.add(listener);
  return () => reconnectListeners.delete(listener);
}

/** Called when the server answers UNAUTHENTICATED, i.e. the session cookie expired or was revoked. */
export function onUnauthenticated(handler: () => void): void {
  unauthenticatedHandler = handler;
}

/** Queries on their way to or from the server (subscriptions aside): what the page still waits for. */
const inFlight = new Set<number>();
let onSettled: (() => void)[] = [];
function settle(key: number): void {
  if (!inFlight.delete(key) || inFlight.size) return;
  const waiting = onSettled;
  onSettled = [];
  waiting.forEach((run) => run());
}
const trackInFlight = mapExchange({
  onOperation(operation) {
    if (operation.kind === 'query') inFlight.add(operation.key);
    else if (operation.kind === 'teardown') settle(operation.key);
  },
  onResult(result) {
    settle(result.operation.key);
  },
});

/**
 * Runs `callback` once the page has its data: no query in flight and the main thread idle (or
 * after `maxWaitMs` whatever happens). For what the page can do without, like the bell's list,
 * which otherwise fetched at the first idle moment — while the page waited for its own data.
 */
export function afterPageQueries(callback: () => void, maxWaitMs = 3000): void {
  const idle = window.requestIdleCallback ?? ((run: () => void) => setTimeout(run, 200));
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    callback();
  };
  const check = () => idle(() => (inFlight.size ? onSettled.push(check) : finish()));
  setTimeout(finish, maxWaitMs);
  check();
}

export const client = new Client({
  url: httpUrl,
  preferGetMethod: false,
  // The header tells the server's CSRF guard this is our SPA (a form post from another site can't set it).
  fetchOptions: { credentials: 'same-origin', headers: { 'x-graphql-yoga-csrf': '1' } },
  exchanges: [
    mapExchange({
      onError(error) {
        if (error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) unauthenticatedHandler?.();
      },
    }),
    refetchOnReconnectExchange(onLiveReconnect),
    cacheExchange,
    trackInFlight,
    fetchExchange,
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query ?? '' };
        return {
          subscribe(sink) {
            const unsubscribe = wsClient.subscribe(input, sink);
            return { unsubscribe };
          },
        };
      },
    }),
  ],
});
