import { computed, ref, shallowRef, toValue, watch, type MaybeRefOrGetter } from 'vue';
import { useClientHandle, useQuery, type AnyVariables, type TypedDocumentNode } from '@urql/vue';
import { errorMessage } from '@/lib/errors';

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

/** One page of a cursor connection, as the view reads it off the query's data. */
export interface Page<Node> {
  nodes: readonly Node[];
  pageInfo: PageInfo;
}

export interface PagedQueryOptions<Data, Variables extends AnyVariables, Node> {
  query: TypedDocumentNode<Data, Variables>;
  /** The filters; `first` and `after` are added here. A change starts again from the first page. */
  variables: MaybeRefOrGetter<Omit<Variables, 'first' | 'after'>>;
  pageSize: number;
  page: (data: Data) => Page<Node>;
}

/**
 * A cursor list with "load more": the first page is a live urql query (cache-and-network, so a
 * refetch refreshes it); older pages are fetched on demand and appended, each node once.
 */
export function usePagedQuery<Data, Variables extends AnyVariables, Node extends { id: string }>(
  options: PagedQueryOptions<Data, Variables, Node>,
) {
  const { client } = useClientHandle();
  const filters = computed(() => toValue(options.variables));
  const variablesFor = (after: string | null) => ({ ...filters.value, first: options.pageSize, after }) as unknown as Variables;

  const query = useQuery({ query: options.query, variables: computed(() => variablesFor(null)), requestPolicy: 'cache-and-network' });
  const firstPage = computed(() => (query.data.value ? options.page(query.data.value) : null));
  const older = shallowRef<Node[]>([]);
  const olderPageInfo = ref<PageInfo | null>(null);
  const loadingMore = ref(false);
  const moreError = ref<string | null>(null);

  const filterKey = computed(() => JSON.stringify(filters.value));
  watch(filterKey, () => {
    older.value = [];
    olderPageInfo.value = null;
    moreError.value = null;
  });

  const items = computed(() => {
    const seen = new Set<string>();
    return [...(firstPage.value?.nodes ?? []), ...older.value].filter((node) => !seen.has(node.id) && seen.add(node.id));
  });
  const pageInfo = computed(() => olderPageInfo.value ?? firstPage.value?.pageInfo ?? null);
  const hasMore = computed(() => pageInfo.value?.hasNextPage === true);

  async function loadMore(): Promise<void> {
    const after = pageInfo.value?.endCursor;
    if (!after || loadingMore.value) return;
    const key = filterKey.value;
    loadingMore.value = true;
    moreError.value = null;
    const result = await client.query(options.query, variablesFor(after), { requestPolicy: 'network-only' }).toPromise();
    loadingMore.value = false;
    // The filters changed while this page was on its way: it belongs to a list no longer shown.
    if (key !== filterKey.value) return;
    if (result.error || !result.data) {
      moreError.value = result.error ? errorMessage(result.error) : 'No data returned.';
      return;
    }
    const page = options.page(result.data);
    older.value = [...older.value, ...page.nodes];
    olderPageInfo.value = page.pageInfo;
  }

  /** Fetches the first page again; older pages already shown stay. */
  function refresh(): void {
    query.executeQuery({ requestPolicy: 'network-only' });
  }

  return { query, items, pageInfo, hasMore, loadMore, loadingMore, moreError, refresh };
}
