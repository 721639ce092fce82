import { describe, expect, it } from 'vitest';
import { nextTick, ref } from 'vue';
import { usePagedQuery } from '@/composables/usePagedQuery';
import { ConfigAuditTrailDocument } from '@/graphql/generated/graphql';
import { mountComposable } from '@/testing/mountComposable';
import { schemaClient, type Root } from '@/testing/schemaClient';

const entry = (id: number, entityType: string) => ({
  id: `e${id}`,
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, id)).toISOString(),
  action: 'UPDATE',
  entityType,
  entityId: null,
  actor: null,
  before: null,
  after: null,
  changes: [],
});
const entries = [1, 2, 3, 4, 5].map((id) => entry(id, id % 2 ? 'ProxyServer' : 'EmailPreference'));

/** Cursor pagination as the server does it: the cursor is the last id of the page before. */
function trail(fail: { after?: string } = {}): Root {
  return {
    configAuditTrail: ({ entityType, first, after }) => {
      if (after && after === fail.after) throw new Error('The audit trail is unavailable.');
      const matching = entries.filter((e) => !entityType || e.entityType === entityType);
      const start = after ? matching.findIndex((e) => e.id === after) + 1 : 0;
      const nodes = matching.slice(start, start + Number(first));
      return { nodes, pageInfo: { hasNextPage: start + nodes.length < matching.length, endCursor: nodes.at(-1)?.id ?? null } };
    },
  };
}

async function settle(list: { query: PromiseLike<unknown> }): Promise<void> {
  await nextTick();
  await list.query;
}

function mountTrail(root: Root, entityType = ref<string | null>(null)) {
  return mountComposable(schemaClient(root), () =>
    usePagedQuery({
      query: ConfigAuditTrailDocument,
      variables: () => ({ entityType: entityType.value }),
      pageSize: 2,
      page: (data) => data.configAuditTrail,
    }),
  );
}

const ids = (items: readonly { id: string }[]) => items.map((item) => item.id);

describe('usePagedQuery', () => {
  it('shows the first page, then appends older pages until there are none', async () => {
    const { result: list, unmount } = mountTrail(trail());
    await settle(list);
    expect(ids(list.items.value)).toEqual(['e1', 'e2']);
    expect(list.hasMore.value).toBe(true);

    const loading = list.loadMore();
    expect(list.loadingMore.value).toBe(true);
    await loading;
    expect(list.loadingMore.value).toBe(false);
    expect(ids(list.items.value)).toEqual(['e1', 'e2', 'e3', 'e4']);

    await list.loadMore();
    expect(ids(list.items.value)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(list.hasMore.value).toBe(false);
    await list.loadMore();
    expect(list.items.value).toHaveLength(5);
    unmount();
  });

  it('starts again from the first page when the filters change', async () => {
    const entityType = ref<string | null>(null);
    const { result: list, unmount } = mountTrail(trail(), entityType);
    await settle(list);
    await list.loadMore();
    expect(list.items.value).toHaveLength(4);

    entityType.value = 'ProxyServer';
    await settle(list);
    expect(ids(list.items.value)).toEqual(['e1', 'e3']);
    await list.loadMore();
    expect(ids(list.items.value)).toEqual(['e1', 'e3', 'e5']);
    expect(list.hasMore.value).toBe(false);
    unmount();
  });

  it('says why an older page failed, keeps what is shown and can try again', async () => {
    const failing = { after: 'e2' as string | undefined };
    const { result: list, unmount } = mountTrail(trail(failing));
    await settle(list);
    await list.loadMore();
    expect(list.moreError.value).toBe('The audit trail is unavailable.');
    expect(ids(list.items.value)).toEqual(['e1', 'e2']);
    expect(list.hasMore.value).toBe(true);

    failing.after = undefined;
    await list.loadMore();
    expect(list.moreError.value).toBeNull();
    expect(ids(list.items.value)).toEqual(['e1', 'e2', 'e3', 'e4']);
    unmount();
  });

  it('drops an older page that arrives after the filters changed', async () => {
    const entityType = ref<string | null>(null);
    const { result: list, unmount } = mountTrail(trail(), entityType);
    await settle(list);
    const late = list.loadMore();
    entityType.value = 'EmailPreference';
    await late;
    await settle(list);
    expect(ids(list.items.value)).toEqual(['e2', 'e4']);
    expect(list.hasMore.value).toBe(false);
    unmount();
  });
});
