import { ref } from 'vue';
import { client } from '@/graphql/client';
import { StartOAuthSignInDocument, type EmailProvider } from '@/graphql/generated/graphql';
import { errorMessage, outcomeError } from '@/lib/errors';

export function signInLabel(provider: EmailProvider): string {
  switch (provider) {
    case 'MICROSOFT':
      return 'Sign in with Microsoft';
    case 'GOOGLE':
      return 'Sign in with Google';
    default:
      return 'Sign in with the OAuth provider';
  }
}

/**
 * Starts the real redirect flow: the server stores a PKCE state and answers with the provider's
 * authorization URL; the provider sends the browser back to /oauth/callback, which redirects to
 * the servers page with ?oauth=ok|error.
 */
export function useOAuthSignIn() {
  const starting = ref(false);

  /** Resolves with an error message; on success the page is already navigating away. */
  async function start(serverId: string): Promise<string | null> {
    starting.value = true;
    const result = await client.mutation(StartOAuthSignInDocument, { serverId }).toPromise();
    const outcome = result.data?.startOAuthSignIn;
    const error = result.error ? errorMessage(result.error) : outcomeError(outcome, 'StartOAuthSignInSuccess');
    if (error || outcome?.__typename !== 'StartOAuthSignInSuccess') {
      starting.value = false;
      return error ?? 'The sign-in could not be started.';
    }
    window.location.assign(outcome.authorizationUrl);
    return null;
  }

  return { start, starting };
}
