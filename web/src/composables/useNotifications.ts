import { computed, ref } from 'vue';
import type { NotificationFieldsFragment } from '@/graphql/generated/graphql';

const items = ref<NotificationFieldsFragment[]>([]);
/** Unread notifications beyond the (at most 200) the list holds. */
const unreadOutsideList = ref(0);

const unreadInList = computed(() => items.value.filter((n) => !n.read).length);
const unreadCount = computed(() => unreadInList.value + unreadOutsideList.value);

function load(list: readonly NotificationFieldsFragment[], serverUnread: number): void {
  items.value = [...list];
  unreadOutsideList.value = Math.max(0, serverUnread - list.filter((n) => !n.read).length);
}

/** Adds or replaces one (repeated outages update the same notification), newest first. */
function upsert(notification: NotificationFieldsFragment): 'added' | 'updated' {
  const index = items.value.findIndex((n) => n.id === notification.id);
  const rest = index === -1 ? items.value : items.value.filter((n) => n.id !== notification.id);
  items.value = [notification, ...rest].sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt));
  return index === -1 ? 'added' : 'updated';
}

function markAllReadLocally(): void {
  items.value = items.value.map((n) => (n.read ? n : { ...n, read: true }));
  unreadOutsideList.value = 0;
}

export function useNotifications() {
  return { items, unreadCount, load, upsert, markAllReadLocally };
}
