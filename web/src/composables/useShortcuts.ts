import { onBeforeUnmount, onMounted } from 'vue';

/** Where typing goes into a field: single-key shortcuts stay out of the way there. */
type TargetLike = { tagName?: string; type?: string; isContentEditable?: boolean; closest?: (selector: string) => unknown };

export function isTypingTarget(target: EventTarget | null): boolean {
  const element = target as TargetLike | null;
  if (!element?.tagName) return false;
  if (element.isContentEditable) return true;
  const tag = element.tagName.toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = element.type ?? 'text';
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'range', 'color'].includes(type);
}

/** The single-key shortcut an event stands for, or null (modifiers, held keys, typing in a field). */
export function shortcutKey(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'repeat' | 'defaultPrevented' | 'target'>): string | null {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || event.defaultPrevented) return null;
  if (isTypingTarget(event.target)) return null;
  // An open dialog (a drawer) owns the keyboard.
  if ((event.target as TargetLike | null)?.closest?.('[role="dialog"]')) return null;
  return event.key.length === 1 ? event.key.toLowerCase() : null;
}

/** Page shortcuts (`r` reply, `n` note, `/` search) while the component is mounted. */
export function useShortcuts(handlers: Record<string, () => void>): void {
  function onKeydown(event: KeyboardEvent): void {
    const key = shortcutKey(event);
    const handler = key ? handlers[key] : undefined;
    if (!handler) return;
    event.preventDefault();
    handler();
  }
  onMounted(() => document.addEventListener('keydown', onKeydown));
  onBeforeUnmount(() => document.removeEventListener('keydown', onKeydown));
}
