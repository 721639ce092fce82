import { onScopeDispose, ref, type Ref } from 'vue';

const now = ref(Date.now());
let subscribers = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** One shared clock for relative times ("2 min ago"); it only ticks while someone reads it. */
export function useNow(intervalMs = 5000): Readonly<Ref<number>> {
  subscribers++;
  if (!timer) {
    now.value = Date.now();
    timer = setInterval(() => (now.value = Date.now()), intervalMs);
  }
  onScopeDispose(() => {
    subscribers--;
    if (subscribers === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  });
  return now;
}
