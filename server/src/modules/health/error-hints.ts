import type { EmailAuthType, ErrorKind } from '../../db/schema.js';

/** What an admin can do about each class of failure, for the error's details view. */
export const ERROR_HINTS: Record<ErrorKind, string> = {
  NETWORK: 'Mailroom could not reach the server: check the host name and port, that the server is running, and that no firewall or proxy blocks the connection.',
  TLS: 'The secure connection failed: check the security type (SSL on 993/995, STARTTLS on 143/110), and for a self-signed certificate turn on "Allow self-signed certificate".',
  AUTH: 'The server refused the credentials: check the user name and password (an app password where the provider requires one) and that the protocol is enabled for the account.',
  OAUTH_TOKEN: 'The OAuth token could not be obtained or refreshed: sign in again from the server settings, and check the client secret and its expiry in the app registration.',
  THROTTLED: 'The provider is limiting requests: Mailroom backs off and retries on its own.',
  PROTOCOL: 'The server answered in an unexpected way: check the protocol and that the mailbox or folder exists.',
  INTERNAL: 'Something went wrong inside Mailroom: see the server log for details.',
};

const OAUTH_REFUSED = 'The server refused the OAuth access token: sign in again from the server settings, and check that the app registration has the permission for this protocol and that the user name is the mailbox the token was issued for.';

/** The hint for a failure, in the terms of the mailbox's sign-in method: no passwords for OAuth mailboxes. */
export function errorHint(kind: ErrorKind, authType: EmailAuthType | null | undefined): string {
  return kind === 'AUTH' && authType === 'OAUTH' ? OAUTH_REFUSED : ERROR_HINTS[kind];
}
