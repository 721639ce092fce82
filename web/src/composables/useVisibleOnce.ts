import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

const callbacks = new WeakMap<Element, () => void>();
let observer: IntersectionObserver | null = null;

function shared(): IntersectionObserver {
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        callbacks.get(entry.target)?.();
        callbacks.delete(entry.target);
        observer?.unobserve(entry.target);
      }
    },
    { rootMargin: '200px' },
  );
  return observer;
}

/** True once `element` has come near the viewport; one observer serves every caller. */
export function useVisibleOnce(element: Ref<HTMLElement | null>): Ref<boolean> {
  const visible = ref(false);
  onMounted(() => {
    const el = element.value;
    if (!el || !('IntersectionObserver' in window)) {
      visible.value = true;
      return;
    }
    callbacks.set(el, () => (visible.value = true));
    shared().observe(el);
  });
  onBeforeUnmount(() => {
    const el = element.value;
    if (el && callbacks.has(el)) {
      callbacks.delete(el);
      observer?.unobserve(el);
    }
  });
  return visible;
}
