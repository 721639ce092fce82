import { readonly, ref } from 'vue';

export interface Toast {
  id: number;
  title: string;
  body?: string;
  tone: 'info' | 'success' | 'error' | 'warning';
  to?: string;
  /** The mailbox it is about: its outage toasts go when it is reachable again. */
  serverId?: string;
}

const toasts = ref<Toast[]>([]);
let nextId = 1;
const LIFETIME_MS = 7000;

function dismiss(id: number): void {
  toasts.value = toasts.value.filter((toast) => toast.id !== id);
}

function show(toast: Omit<Toast, 'id'>): void {
  const id = nextId++;
  // A burst (e.g. many mailboxes failing at once) shows the latest few, not a wall.
  toasts.value = [...toasts.value.slice(-3), { ...toast, id }];
  setTimeout(() => dismiss(id), LIFETIME_MS);
}

/** The mailbox works again: what said it was down is no longer true. */
function dismissOutage(serverId: string): void {
  toasts.value = toasts.value.filter((toast) => !(toast.serverId === serverId && (toast.tone === 'error' || toast.tone === 'warning')));
}

/** Short-lived messages in a corner, announced politely to screen readers. */
export function useToasts() {
  return { toasts: readonly(toasts), show, dismiss, dismissOutage };
}
