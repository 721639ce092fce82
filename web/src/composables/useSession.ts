import { readonly, ref } from 'vue';
import type { CombinedError } from '@urql/core';
import { client, restartSubscriptions } from '@/graphql/client';
import { MeDocument, SignOutDocument, type UserFieldsFragment } from '@/graphql/generated/graphql';

const user = ref<UserFieldsFragment | null>(null);
/** Set when the server could not be asked who we are (down, or proxy not running). */
const unreachable = ref<string | null>(null);
let loading: Promise<UserFieldsFragment | null> | null = null;

async function fetchMe(): Promise<UserFieldsFragment | null> {
  const result = await client.query(MeDocument, {}, { requestPolicy: 'network-only' }).toPromise();
  unreachable.value = result.error?.networkError ? result.error.message : null;
  // A signed-out `me` may come back as null or as an auth error; both mean "not signed in".
  user.value = result.data?.me ?? null;
  if (result.error) loading = null;
  return user.value;
}

/** Resolves the signed-in user once per page load; the router guard awaits it. */
function ensureLoaded(): Promise<UserFieldsFragment | null> {
  loading ??= fetchMe();
  return loading;
}

function signedIn(next: UserFieldsFragment): void {
  user.value = next;
  unreachable.value = null;
  loading = Promise.resolve(next);
  restartSubscriptions();
}

async function signOut(): Promise<CombinedError | undefined> {
  const result = await client.mutation(SignOutDocument, {}).toPromise();
  if (result.error) return result.error;
  // A full reload drops every cached query and open subscription of the old session.
  window.location.assign('/signin');
  return undefined;
}

/** The session ended server-side; forget the user so the router guard sends them to sign in. */
function expired(): boolean {
  if (!user.value) return false;
  user.value = null;
  loading = Promise.resolve(null);
  return true;
}

/** Asks the server again (e.g. after the live connection was refused) whether we are still signed in. */
async function recheck(): Promise<boolean> {
  if (!user.value) return false;
  const result = await client.query(MeDocument, {}, { requestPolicy: 'network-only' }).toPromise();
  if (result.error?.networkError) return true;
  return Boolean(result.data?.me);
}

export function useSession() {
  return {
    user: readonly(user),
    unreachable: readonly(unreachable),
    ensureLoaded,
    signedIn,
    signOut,
    expired,
    recheck,
  };
}
