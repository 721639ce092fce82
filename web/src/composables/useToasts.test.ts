import { afterEach, describe, expect, it } from 'vitest';
import { useToasts } from '@/composables/useToasts';

const toasts = useToasts();

afterEach(() => {
  for (const toast of toasts.toasts.value) toasts.dismiss(toast.id);
});

describe('useToasts', () => {
  it('takes back what said a mailbox was down once it is reachable, and only that', () => {
    toasts.show({ title: 'Support is unreachable', tone: 'error', serverId: 's1' });
    toasts.show({ title: 'Support keeps dropping', tone: 'warning', serverId: 's1' });
    toasts.show({ title: 'Billing is unreachable', tone: 'error', serverId: 's2' });
    toasts.show({ title: 'Support saved', tone: 'success', serverId: 's1' });
    toasts.dismissOutage('s1');
    expect(toasts.toasts.value.map((t) => t.title)).toEqual(['Billing is unreachable', 'Support saved']);
  });
});
