// The Google provider (google-auth-library's OAuth2Client) against a real OAuth server: the
// oauth2-mock-server kit stands in for accounts.google.com / oauth2.googleapis.com through
// OAuth2Client's endpoint options. In-process, so the IdP runs over plain HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoogleOAuthClient } from '../../server/src/mail/oauth/google-client.ts';
import { createPkcePair, createState } from '../../server/src/mail/oauth/pkce.ts';
import { startOAuthIdp, type OAuthIdp } from '../testkit/services/oauth-idp.ts';

describe('Google OAuth client against an OAuth server', () => {
  let idp: OAuthIdp;
  let client: GoogleOAuthClient;
  const user = 'desk@gmail-example.test';
  const redirectUri = 'http://127.0.0.1:9/oauth/callback';

  beforeAll(async () => {
    idp = await startOAuthIdp({ tls: false });
    client = new GoogleOAuthClient(
      { provider: 'GOOGLE', clientId: 'google-client', clientSecret: 'google-secret', scopes: ['https://mail.google.com/'], installationApp: true },
      null,
      { allowLoopback: true },
      { oauth2AuthBaseUrl: idp.authorizationUrl, oauth2TokenUrl: idp.tokenUrl },
    );
  });
  afterAll(async () => {
    await idp?.dispose();
  });

  it('asks for offline access to https://mail.google.com/ with PKCE, exchanges the code and refreshes', async () => {
    const pkce = createPkcePair();
    const state = createState();
    const url = new URL(await client.authorizationUrl({ state, codeChallenge: pkce.challenge, redirectUri, loginHint: user }));
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      access_type: 'offline', prompt: 'consent', scope: 'https://mail.google.com/', state, login_hint: user,
      code_challenge: pkce.challenge, code_challenge_method: 'S256', client_id: 'google-client', redirect_uri: redirectUri, response_type: 'code',
    });

    const callback = await idp.authorize(url.href);
    expect(callback.searchParams.get('state')).toBe(state);
    const tokens = await client.exchangeCode({ code: callback.searchParams.get('code')!, codeVerifier: pkce.verifier, redirectUri });
    expect(tokens.accessToken).toMatch(/^ey/);
    expect(tokens.refreshToken).toBeTruthy();
    expect(tokens.expiresAt).toBeGreaterThan(Date.now() + 3000_000);
    expect(idp.requestsOf('authorization_code')[0]).toMatchObject({ status: 200, user, body: { client_id: 'google-client', client_secret: 'google-secret', code_verifier: pkce.verifier } });

    const refreshed = await client.refresh(tokens.refreshToken!);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(refreshed.refreshToken).toBeTruthy();
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken);

    idp.revoke(user);
    await expect(client.refresh(refreshed.refreshToken!)).rejects.toMatchObject({
      kind: 'OAUTH_TOKEN',
      message: 'The refresh token was revoked or expired (AADSTS50173): sign in again with Google from the server settings',
    });
  });

  it('reports an unreachable token endpoint as a network failure to retry', async () => {
    const offline = new GoogleOAuthClient(
      { provider: 'GOOGLE', clientId: 'google-client', clientSecret: 'google-secret', scopes: ['https://mail.google.com/'], installationApp: true },
      null,
      { allowLoopback: true },
      { oauth2TokenUrl: 'http://127.0.0.1:1/token' },
    );
    await expect(offline.refresh('rt')).rejects.toMatchObject({ kind: 'NETWORK' });
  });
});
