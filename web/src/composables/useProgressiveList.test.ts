import { describe, expect, it } from 'vitest';
import { effectScope, ref } from 'vue';
import { useProgressiveList } from '@/composables/useProgressiveList';

function setup(count: number, pageSize = 60) {
  const items = ref(Array.from({ length: count }, (_, i) => i));
  const scope = effectScope();
  const list = scope.run(() => useProgressiveList(items, pageSize))!;
  return { items, list, stop: () => scope.stop() };
}

describe('useProgressiveList', () => {
  it('draws a page, then a page more at a time, and says how many are left', () => {
    const { list, stop } = setup(1000);
    expect(list.shown.value).toHaveLength(60);
    expect(list.remaining.value).toBe(940);
    list.more();
    expect(list.shown.value.at(-1)).toBe(119);
    list.reset();
    expect(list.shown.value).toHaveLength(60);
    stop();
  });

  it('reveals whole pages up to an item further down, and never more than there is', () => {
    const { items, list, stop } = setup(130);
    list.reveal(61);
    expect(list.shown.value).toHaveLength(120);
    list.reveal(-1);
    expect(list.shown.value).toHaveLength(120);
    list.more();
    list.more();
    expect([list.shown.value.length, list.remaining.value]).toEqual([130, 0]);
    items.value = items.value.slice(0, 10);
    expect([list.shown.value.length, list.remaining.value]).toEqual([10, 0]);
    stop();
  });
});
