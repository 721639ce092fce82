import { ref, watch, type Ref } from 'vue';

/**
 * A list shown from a query and edited in a drawer: it takes each fresh answer, puts a saved
 * item in its place (or at the end) and forgets a deleted one without waiting for a refetch.
 */
export function useEditableList<T extends { id: string }>(fresh: () => readonly T[] | undefined) {
  const items = ref([]) as Ref<T[]>;
  watch(fresh, (list) => list && (items.value = [...list]), { immediate: true });
  const drawerOpen = ref(false);
  const editing = ref(null) as Ref<T | null>;

  function open(item: T | null): void {
    editing.value = item;
    drawerOpen.value = true;
  }

  function upsert(item: T): void {
    const exists = items.value.some((existing) => existing.id === item.id);
    items.value = exists ? items.value.map((existing) => (existing.id === item.id ? item : existing)) : [...items.value, item];
  }

  /** The drawer saved `item`: it closes and the list shows the stored version. */
  function saved(item: T): void {
    drawerOpen.value = false;
    upsert(item);
  }

  function removed(id: string): void {
    items.value = items.value.filter((item) => item.id !== id);
  }

  return { items, drawerOpen, editing, open, upsert, saved, removed };
}
