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
let connectedBefore = false;

const wsClient = createWsClient({
  url: wsUrl,
  lazy: true,
  retryAttempts: Infinity,
  shouldRetry: () => true,
  on: {
    connected: (socket) => {
      activeSocket = socket as WebSocket;
      connectionListeners.forEach((listener) => listener(true));
      // Not on the first connection: the queries were just fetched.
      if (connectedBefore) reconnectListeners.forEach((listener) => listener());
      connectedBefore = true;
    },
    closed: (event) => {
      activeSocket = null;
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
