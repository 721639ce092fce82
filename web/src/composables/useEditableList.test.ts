import { describe, expect, it, vi } from 'vitest';
import { effectScope, nextTick, ref } from 'vue';
import { useEditableList } from '@/composables/useEditableList';

type Proxy = { id: string; name: string };

function setup(initial?: Proxy[]) {
  const fresh = ref<Proxy[] | undefined>(initial);
  const scope = effectScope();
  const list = scope.run(() => useEditableList(() => fresh.value))!;
  return { fresh, list, stop: () => scope.stop() };
}

describe('useEditableList', () => {
  it('shows each fresh answer, and keeps the last one while a refetch is on its way', async () => {
    const { fresh, list, stop } = setup([{ id: 'p1', name: 'Office' }]);
    expect(list.items.value).toEqual([{ id: 'p1', name: 'Office' }]);
    fresh.value = undefined;
    await nextTick();
    expect(list.items.value).toHaveLength(1);
    fresh.value = [{ id: 'p2', name: 'Branch' }];
    await nextTick();
    expect(list.items.value).toEqual([{ id: 'p2', name: 'Branch' }]);
    stop();
  });

  it('opens the drawer on an item or a new one, and puts what was saved in its place', () => {
    const { list, stop } = setup([{ id: 'p1', name: 'Office' }, { id: 'p2', name: 'Branch' }]);
    list.open(list.items.value[0]!);
    expect(list.drawerOpen.value).toBe(true);
    expect(list.editing.value?.id).toBe('p1');

    list.saved({ id: 'p1', name: 'Head office' });
    expect(list.drawerOpen.value).toBe(false);
    expect(list.items.value.map((p) => p.name)).toEqual(['Head office', 'Branch']);

    list.open(null);
    expect(list.editing.value).toBeNull();
    list.saved({ id: 'p3', name: 'Lab' });
    expect(list.items.value.map((p) => p.id)).toEqual(['p1', 'p2', 'p3']);
    stop();
  });

  it('forgets a deleted item at once', () => {
    const { list, stop } = setup([{ id: 'p1', name: 'Office' }, { id: 'p2', name: 'Branch' }]);
    list.removed('p1');
    expect(list.items.value.map((p) => p.id)).toEqual(['p2']);
    stop();
  });

  it('keeps what was saved or deleted over an answer that left before the change, until an answer agrees or 15 s pass', async () => {
    vi.useFakeTimers();
    try {
      const { fresh, list, stop } = setup([{ id: 'p1', name: 'Office' }, { id: 'p2', name: 'Branch' }]);
      list.saved({ id: 'p1', name: 'Head office' });
      list.removed('p2');
      list.saved({ id: 'p3', name: 'Lab' });
      // A refetch that was on its way: none of the three changes in it.
      fresh.value = [{ id: 'p1', name: 'Office' }, { id: 'p2', name: 'Branch' }];
      await nextTick();
      expect(list.items.value).toEqual([{ id: 'p1', name: 'Head office' }, { id: 'p3', name: 'Lab' }]);
      // The answer asked for after the changes agrees: from now on the list follows the answers again.
      fresh.value = [{ id: 'p1', name: 'Head office' }, { id: 'p3', name: 'Lab' }];
      await nextTick();
      fresh.value = [{ id: 'p1', name: 'Renamed elsewhere' }, { id: 'p3', name: 'Lab' }];
      await nextTick();
      expect(list.items.value.map((p) => p.name)).toEqual(['Renamed elsewhere', 'Lab']);
      // A hold no answer confirmed ends after 15 s.
      list.saved({ id: 'p3', name: 'Lab 2' });
      vi.advanceTimersByTime(16_000);
      fresh.value = [{ id: 'p1', name: 'Renamed elsewhere' }, { id: 'p3', name: 'Lab (changed by someone else)' }];
      await nextTick();
      expect(list.items.value.map((p) => p.name)).toEqual(['Renamed elsewhere', 'Lab (changed by someone else)']);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
