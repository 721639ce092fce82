import { ref } from 'vue';
import { useResultMutation } from '@/composables/useResultMutation';
import { StartOAuthSignInDocument, type EmailProvider } from '@/graphql/generated/graphql';

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
  const mutation = useResultMutation(StartOAuthSignInDocument, 'startOAuthSignIn', 'StartOAuthSignInSuccess');
  // Stays true after success: the page is navigating away to the provider.
  const starting = ref(false);

  /** Resolves with an error message; on success the page is already navigating away. */
  async function start(serverId: string): Promise<string | null> {
    starting.value = true;
    const outcome = await mutation.run({ serverId });
    if (!outcome.ok) {
      starting.value = false;
      return outcome.message || 'The sign-in could not be started.';
    }
    window.location.assign(outcome.value.authorizationUrl);
    return null;
  }

  return { start, starting };
}
