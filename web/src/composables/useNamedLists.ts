import { ref, type Ref } from 'vue';

type Outcome = Promise<{ ok: true } | { ok: false; message: string }>;

/** What one list of names does on the server: add, rename and delete (see CatalogList). */
export interface NamedListMutations {
  add: (name: string) => Outcome;
  rename: (id: string, name: string) => Outcome;
  remove: (id: string) => Outcome;
}

/**
 * Several lists of names on one screen (groups, categories, priorities…), each reporting its own
 * failure on its own line; after any change the screen's query is fetched again.
 */
export function useNamedLists<Kind extends string>(kinds: readonly Kind[], refresh: () => void) {
  const errors = ref(Object.fromEntries(kinds.map((kind) => [kind, null]))) as Ref<Record<Kind, string | null>>;

  async function report(kind: Kind, pending: Outcome): Promise<void> {
    errors.value[kind] = null;
    const outcome = await pending;
    if (!outcome.ok) errors.value[kind] = outcome.message;
    refresh();
  }

  /** CatalogList's listeners for one list. */
  function actions(kind: Kind, mutations: NamedListMutations) {
    return {
      onAdd: (name: string) => report(kind, mutations.add(name)),
      onRename: (id: string, name: string) => report(kind, mutations.rename(id, name)),
      onRemove: (item: { id: string }) => report(kind, mutations.remove(item.id)),
    };
  }

  return { errors, actions, report };
}
