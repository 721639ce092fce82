import { useMutation } from '@urql/vue';
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
  const mutation = useMutation(StartOAuthSignInDocument);

  /** Resolves with an error message; on success the page is already navigating away. */
  async function start(serverId: string): Promise<string | null> {
    const result = await mutation.executeMutation({ serverId });
    if (result.error) return errorMessage(result.error);
    const outcome = result.data?.startOAuthSignIn;
    const error = outcomeError(outcome, 'StartOAuthSignInSuccess');
    if (error) return error;
    if (outcome?.__typename === 'StartOAuthSignInSuccess') window.location.assign(outcome.authorizationUrl);
    return null;
  }

  return { start, starting: mutation.fetching };
}
