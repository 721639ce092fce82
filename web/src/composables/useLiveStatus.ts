import { readonly, ref } from 'vue';
import { onLiveConnection } from '@/graphql/client';

const connected = ref<boolean | null>(null);
let listening = false;

/**
 * Whether the live-update socket is open: null before it first connects, false while
 * graphql-ws reconnects (e.g. Mailroom restarting), true when updates flow.
 */
export function useLiveStatus() {
  if (!listening) {
    listening = true;
    onLiveConnection((value) => (connected.value = value));
  }
  return readonly(connected);
}
