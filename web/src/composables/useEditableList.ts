import { ref, watch, type Ref } from 'vue';

/**
 * An answer to the list query that was on its way when a save or a delete went through can arrive
 * after it, without that change: what was saved (or deleted) here is kept over such answers until
 * one agrees with it, or this long has passed (an answer asked for after the change has come by then).
 */
const HOLD_MS = 15_000;

/**
 * A list shown from a query and edited in a drawer: it takes each fresh answer, puts a saved
 * item in its place (or at the end) and forgets a deleted one without waiting for a refetch.
 */
export function useEditableList<T extends { id: string }>(fresh: () => readonly T[] | undefined) {
  const items = ref([]) as Ref<T[]>;
  const held = new Map<string, { item: T | null; until: number }>();
  const same = (a: T, b: T) => JSON.stringify(a) === JSON.stringify(b);

  function answer(list: readonly T[]): T[] {
    const now = Date.now();
    for (const [id, hold] of held) if (hold.until < now) held.delete(id);
    const shown = list.flatMap((item) => {
      const hold = held.get(item.id);
      if (!hold) return [item];
      if (hold.item && same(hold.item, item)) {
        held.delete(item.id); // the list caught up
        return [item];
      }
      return hold.item ? [hold.item] : [];
    });
    // Saved here but not in this answer yet (just created).
    for (const [id, hold] of held) if (hold.item && !list.some((item) => item.id === id)) shown.push(hold.item);
    return shown;
  }

  watch(fresh, (list) => list && (items.value = answer(list)), { immediate: true });
  const drawerOpen = ref(false);
  const editing = ref(null) as Ref<T | null>;

  function open(item: T | null): void {
    editing.value = item;
    drawerOpen.value = true;
  }

  function upsert(item: T): void {
    held.set(item.id, { item, until: Date.now() + HOLD_MS });
    const exists = items.value.some((existing) => existing.id === item.id);
    items.value = exists ? items.value.map((existing) => (existing.id === item.id ? item : existing)) : [...items.value, item];
  }

  /** The drawer saved `item`: it closes and the list shows the stored version. */
  function saved(item: T): void {
    drawerOpen.value = false;
    upsert(item);
  }

  function removed(id: string): void {
    held.set(id, { item: null, until: Date.now() + HOLD_MS });
    items.value = items.value.filter((item) => item.id !== id);
  }

  return { items, drawerOpen, editing, open, upsert, saved, removed };
}
