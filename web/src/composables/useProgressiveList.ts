import { computed, nextTick, onBeforeUnmount, ref, watch, type Ref } from 'vue';

/**
 * A long list drawn a page at a time: the first `pageSize` items at once, the next page whenever
 * the element after them (`sentinel`, a "Show more" button) comes near the viewport or is pressed.
 * A thousand mailbox cards drawn at once kept the page busy for seconds; the data stays whole, so
 * counts, search and filters still see every item. A page of 24 fills a large screen (six columns
 * of four) while a laptop's shows four to six, and each card drawn before the page can be used
 * costs a few milliseconds. `reset()` goes back to the first page (a new
 * filter); `reveal(i)` draws at least up to item i (a card to scroll to).
 *
 * A virtual scroller was considered and refused: cards of varying height in a responsive grid
 * would need measuring, and what is drawn once stays (find-in-page, screen readers).
 */
export function useProgressiveList<T>(items: Ref<readonly T[]>, pageSize = 24) {
  const limit = ref(pageSize);
  const shown = computed(() => items.value.slice(0, limit.value));
  const remaining = computed(() => Math.max(0, items.value.length - limit.value));
  const sentinel = ref<HTMLElement | null>(null);

  function more(): void {
    if (remaining.value > 0) limit.value += pageSize;
  }

  let observer: IntersectionObserver | null = null;
  if (typeof IntersectionObserver !== 'undefined') {
    observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) more();
    }, { rootMargin: '400px' });
  }
  // Observed afresh after every page: a sentinel still in view after drawing asks for the next one.
  watch([sentinel, limit], async ([el]) => {
    observer?.disconnect();
    await nextTick();
    if (el) observer?.observe(el);
  });
  onBeforeUnmount(() => observer?.disconnect());

  return {
    shown,
    remaining,
    /** For the template: `:ref="bindSentinel"` on the "Show more" element. */
    bindSentinel: (el: unknown) => void (sentinel.value = el instanceof HTMLElement ? el : null),
    more,
    reset: () => (limit.value = pageSize),
    reveal: (index: number) => (limit.value = Math.max(limit.value, Math.ceil((index + 1) / pageSize) * pageSize)),
  };
}
