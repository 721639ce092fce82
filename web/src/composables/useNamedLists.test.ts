import { describe, expect, it } from 'vitest';
import { useNamedLists } from './useNamedLists';

describe('useNamedLists', () => {
  it('reports each list’s failure on its own line and refreshes after every change', async () => {
    let refreshed = 0;
    const { errors, actions } = useNamedLists(['priority', 'requestType'] as const, () => refreshed++);
    const priority = actions('priority', {
      add: async (name) => (name ? { ok: true } : { ok: false, message: 'Enter a name' }),
      rename: async () => ({ ok: false, message: 'A priority with this name exists' }),
      remove: async () => ({ ok: true }),
    });
    await priority.onAdd('');
    expect(errors.value).toEqual({ priority: 'Enter a name', requestType: null });
    await priority.onRename('p1', 'High');
    expect(errors.value.priority).toBe('A priority with this name exists');
    await priority.onRemove({ id: 'p1' });
    expect(errors.value.priority).toBeNull();
    expect(refreshed).toBe(3);
  });
});
