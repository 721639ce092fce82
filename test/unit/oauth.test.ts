import { describe, expect, it } from 'vitest';
import { MailError } from '../../server/src/mail/connector.ts';
import { GenericOAuthClient } from '../../server/src/mail/oauth/generic-client.ts';
import { tokenSetFrom } from '../../server/src/mail/oauth/oauth-client.ts';
import { classifyTokenFailure, describeAuthorizationError, tokenTransportError } from '../../server/src/mail/oauth/oauth-errors.ts';
import {
  adminConsentUrl, callbackUrl, isLegacyOAuthSettings, microsoftAuthority, microsoftScopes, resolveClientSettings, type OAuthServerFacts,
} from '../../server/src/mail/oauth/oauth-settings.ts';
import { createPkcePair, createState, pkceChallenge } from '../../server/src/mail/oauth/pkce.ts';
import { isFresh, TokenSource, type StoredTokens, type TokenSourceIO } from '../../server/src/mail/oauth/token-source.ts';
import { ProxyError } from '../../server/src/mail/proxy.ts';

describe('PKCE and state', () => {
  it('derives the S256 challenge of RFC 7636 appendix B', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes 43-character base64url verifiers and unguessable states, different every time', () => {
    const a = createPkcePair();
    const b = createPkcePair();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.challenge).toBe(pkceChallenge(a.verifier));
    expect(a.verifier).not.toBe(b.verifier);
    expect(createState()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createState()).not.toBe(createState());
  });
});

describe('access-token expiry', () => {
  const now = 1_000_000;
  it('uses a token until it expires within 30 s', () => {
    expect(isFresh({ accessToken: 'a', expiresAt: now + 31_000 }, now)).toBe(true);
    expect(isFresh({ accessToken: 'a', expiresAt: now + 30_000 }, now)).toBe(false);
    expect(isFresh({ accessToken: 'a', expiresAt: now - 1 }, now)).toBe(false);
    expect(isFresh({ expiresAt: now + 3600_000 }, now)).toBe(false);
    expect(isFresh({ accessToken: 'a' }, now)).toBe(true);
  });

  it('reads RFC 6749 token responses', () => {
    expect(tokenSetFrom({ access_token: 'at', refresh_token: 'rt', expires_in: 60 }, now)).toEqual({ accessToken: 'at', refreshToken: 'rt', expiresAt: now + 60_000 });
    expect(tokenSetFrom({ access_token: 'at', expires_in: '120' }, now)).toEqual({ accessToken: 'at', refreshToken: undefined, expiresAt: now + 120_000 });
    expect(tokenSetFrom({ access_token: 'at' }, now)?.expiresAt).toBe(now + 3600_000);
    expect(tokenSetFrom({ error: 'invalid_grant' }, now)).toBeNull();
  });
});

function fakeIO(initial: StoredTokens, refresh: TokenSourceIO['refresh']) {
  let stored: StoredTokens = { ...initial };
  let clock = 0;
  const calls = { refresh: 0, save: [] as StoredTokens[] };
  const io: TokenSourceIO = {
    load: async () => ({ ...stored }),
    refresh: async (rt) => {
      calls.refresh++;
      return refresh(rt);
    },
    save: async (tokens) => {
      calls.save.push(tokens);
      stored = { ...tokens };
    },
    notSignedIn: () => new MailError('OAUTH_TOKEN', 'not signed in', { permanent: true }),
    now: () => clock,
  };
  return {
    io, calls,
    setStored: (t: StoredTokens) => (stored = { ...t }),
    advance: (ms: number) => (clock += ms),
  };
}

describe('TokenSource', () => {
  it('returns the stored token while fresh, then refreshes once for concurrent callers and persists the rotated refresh token', async () => {
    let n = 0;
    const f = fakeIO({ accessToken: 'at0', refreshToken: 'rt0', expiresAt: 60_000 }, async (rt) => {
      await new Promise((r) => setTimeout(r, 20));
      n++;
      return { accessToken: `at${n}`, refreshToken: `rt${n}`, expiresAt: 3600_000 + n, previous: rt } as never;
    });
    const source = new TokenSource(f.io);
    expect(await source.accessToken()).toBe('at0');
    f.advance(31_000); // 29 s left: inside the 30 s margin
    const tokens = await Promise.all(Array.from({ length: 8 }, () => source.accessToken()));
    expect(new Set(tokens)).toEqual(new Set(['at1']));
    expect(f.calls.refresh).toBe(1);
    expect(f.calls.save).toEqual([{ accessToken: 'at1', refreshToken: 'rt1', expiresAt: 3600_001 }]);
    expect(await source.accessToken()).toBe('at1');
    expect(f.calls.refresh).toBe(1);
  });

  it('keeps the refresh token when the provider does not rotate it', async () => {
    const f = fakeIO({ accessToken: 'old', refreshToken: 'rt', expiresAt: 0 }, async () => ({ accessToken: 'new', expiresAt: 3600_000 }));
    expect(await new TokenSource(f.io).accessToken()).toBe('new');
    expect(f.calls.save[0]).toEqual({ accessToken: 'new', refreshToken: 'rt', expiresAt: 3600_000 });
  });

  it('picks up tokens another process stored instead of refreshing', async () => {
    const f = fakeIO({ accessToken: 'at0', refreshToken: 'rt0', expiresAt: 40_000 }, async () => ({ accessToken: 'mine', expiresAt: 9e9 }));
    const source = new TokenSource(f.io);
    expect(await source.accessToken()).toBe('at0');
    f.advance(20_000);
    f.setStored({ accessToken: 'theirs', refreshToken: 'rt1', expiresAt: 3600_000 });
    expect(await source.accessToken()).toBe('theirs');
    expect(f.calls.refresh).toBe(0);
  });

  it('remembers a permanent refusal for that refresh token (no retry storm) until new credentials arrive', async () => {
    const revoked = new MailError('OAUTH_TOKEN', 'The refresh token was revoked or expired', { permanent: true });
    let fail = true;
    const f = fakeIO({ accessToken: 'at0', refreshToken: 'rt0', expiresAt: 0 }, async () => {
      if (fail) throw revoked;
      return { accessToken: 'at-new', refreshToken: 'rt-new', expiresAt: 3600_000 };
    });
    const source = new TokenSource(f.io);
    for (let i = 0; i < 5; i++) await expect(source.accessToken()).rejects.toBe(revoked);
    expect(f.calls.refresh).toBe(1);
    // A new sign-in stores a new refresh token: the memory no longer applies.
    fail = false;
    f.setStored({ accessToken: 'at0', refreshToken: 'rt-signed-in', expiresAt: 0 });
    expect(await source.accessToken()).toBe('at-new');
    expect(f.calls.refresh).toBe(2);
  });

  it('does not remember network failures: the connector retries them with backoff', async () => {
    let calls = 0;
    const f = fakeIO({ refreshToken: 'rt' }, async () => {
      if (++calls === 1) throw new MailError('NETWORK', 'down');
      return { accessToken: 'at', expiresAt: 3600_000 };
    });
    const source = new TokenSource(f.io);
    await expect(source.accessToken()).rejects.toMatchObject({ kind: 'NETWORK' });
    expect(await source.accessToken()).toBe('at');
  });

  it('says sign-in is missing when there is nothing to refresh with', async () => {
    const f = fakeIO({}, async () => ({ accessToken: 'x', expiresAt: 0 }));
    await expect(new TokenSource(f.io).accessToken()).rejects.toMatchObject({ kind: 'OAUTH_TOKEN', message: 'not signed in' });
    expect(f.calls.refresh).toBe(0);
  });
});

describe('token endpoint errors', () => {
  const ms = { provider: 'MICROSOFT' as const, grant: 'refresh' as const, installationApp: true };
  const generic = { provider: 'OTHER' as const, grant: 'refresh' as const, installationApp: false };

  it('names a revoked or expired grant and what to do', () => {
    const e = classifyTokenFailure({ status: 400, body: { error: 'invalid_grant', error_description: 'AADSTS70008: The refresh token has expired due to inactivity.', error_codes: [70008] } }, ms);
    expect(e).toMatchObject({ kind: 'OAUTH_TOKEN' });
    expect(e.message).toBe('The refresh token was revoked or expired (AADSTS70008): sign in again with Microsoft from the server settings');
    expect(e.message).not.toContain('inactivity');
    expect(classifyTokenFailure({ status: 400, body: { error: 'invalid_grant' } }, generic).message).toBe('The refresh token was revoked or expired: sign in again from the server settings');
    expect(classifyTokenFailure({ status: 400, body: { error: 'invalid_grant' } }, { ...generic, grant: 'code' }).message).toMatch(/authorization code was refused: it was already used or has expired/);
  });

  it('names an expired client secret and where to renew it', () => {
    const body = { error: 'invalid_client', error_description: "AADSTS7000222: The provided client secret keys for app '…' are expired." };
    expect(classifyTokenFailure({ status: 401, body }, ms).message).toMatch(/client secret of the app registration has expired \(AADSTS7000222\): .*MAILROOM_MICROSOFT_CLIENT_SECRET/);
    expect(classifyTokenFailure({ status: 401, body }, { ...ms, installationApp: false }).message).toMatch(/enter the current client secret in the server settings/);
  });

  it('names revoked consent, unauthorized clients and bad scopes', () => {
    expect(classifyTokenFailure({ status: 400, body: { error: 'invalid_grant', error_codes: [65001] } }, ms).message).toMatch(/^Consent for Mailroom was revoked or is missing \(AADSTS65001\)/);
    expect(classifyTokenFailure({ status: 400, body: { error: 'unauthorized_client' } }, generic).message).toMatch(/not allowed .*unauthorized_client/);
    expect(classifyTokenFailure({ status: 400, body: { error: 'invalid_scope' } }, generic).message).toMatch(/refused the requested scope/);
  });

  it('retries an identity provider that is down or throttling', () => {
    expect(classifyTokenFailure({ status: 503, body: {} }, ms)).toMatchObject({ kind: 'NETWORK' });
    expect(classifyTokenFailure({ status: 400, body: { error: 'temporarily_unavailable' } }, ms)).toMatchObject({ kind: 'NETWORK' });
    const throttled = classifyTokenFailure({ status: 429, body: {}, retryAfter: '7' }, ms);
    expect(throttled).toMatchObject({ kind: 'THROTTLED' });
    expect(throttled.retryAfterMs).toBe(7000);
  });

  it('does not echo unknown error text', () => {
    const e = classifyTokenFailure({ status: 400, body: { error: 'weird<script>', error_description: 'user bob@corp leaked' } }, generic);
    expect(e.message).not.toContain('bob@corp');
    expect(e).toMatchObject({ kind: 'OAUTH_TOKEN' });
  });

  it('maps transport failures to NETWORK or TLS', () => {
    expect(tokenTransportError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toMatchObject({ kind: 'NETWORK', message: 'Could not reach the identity provider (ECONNREFUSED); retrying' });
    expect(tokenTransportError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' } }))).toMatchObject({ kind: 'TLS' });
    expect(tokenTransportError(Object.assign(new TypeError('fetch failed'), { cause: new ProxyError('corp', 'connection refused by the proxy') })).message).toContain('proxy "corp"');
    expect(tokenTransportError(new DOMException('timed out', 'TimeoutError'))).toMatchObject({ kind: 'NETWORK' });
  });
});

describe('consent errors on the callback', () => {
  it('asks for an administrator when the tenant requires admin consent', () => {
    for (const params of [
      { error: 'admin_consent_required' },
      { error: 'access_denied', description: 'AADSTS90094: The grant requires admin permission.' },
    ]) {
      const view = describeAuthorizationError(params, 'MICROSOFT');
      expect(view).toMatchObject({ consent: true, adminConsentRequired: true });
      expect(view.message).toMatch(/administrator .* must grant Mailroom consent/);
    }
  });

  it('explains missing user consent and a cancelled sign-in', () => {
    expect(describeAuthorizationError({ error: 'consent_required', description: 'AADSTS65001: The user or administrator has not consented.' }, 'MICROSOFT'))
      .toMatchObject({ consent: true, adminConsentRequired: false, message: expect.stringContaining('has not been granted consent to read this mailbox (AADSTS65001)') });
    expect(describeAuthorizationError({ error: 'access_denied', subcode: 'cancel' }, 'MICROSOFT').message).toMatch(/cancelled/);
    expect(describeAuthorizationError({ error: '"><img>' }, 'OTHER').message).toBe('The identity provider did not complete the sign-in (error)');
  });

  it('builds the admin-consent link from the authority and tenant', () => {
    expect(adminConsentUrl('https://login.microsoftonline.com/common', 'app-id')).toBe('https://login.microsoftonline.com/organizations/adminconsent?client_id=app-id');
    expect(adminConsentUrl('https://login.microsoftonline.com/contoso.onmicrosoft.com', 'app-id')).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=app-id');
    expect(adminConsentUrl('https://login.microsoftonline.com/common', 'app-id', 'tenant-guid')).toBe('https://login.microsoftonline.com/tenant-guid/adminconsent?client_id=app-id');
  });
});

describe('OAuth client settings', () => {
  const config = {
    microsoft: { clientId: 'ms-app', clientSecret: 'ms-secret', authority: 'https://login.microsoftonline.com/common' },
    google: { clientId: undefined, clientSecret: undefined },
  };
  const facts = (over: Partial<OAuthServerFacts>): OAuthServerFacts => ({
    provider: 'MICROSOFT', protocol: 'IMAP', authType: 'OAUTH', needsReconfiguration: false,
    oauth: { clientId: null, authorizationUrl: null, tokenUrl: null, scope: null, redirectUrl: null, tenantId: null }, ...over,
  });

  it('uses the installation app registration and per-protocol scopes for Microsoft', () => {
    const r = resolveClientSettings(facts({ protocol: 'GRAPH' }), undefined, config);
    expect(r).toEqual({ ok: true, settings: expect.objectContaining({ provider: 'MICROSOFT', clientId: 'ms-app', clientSecret: 'ms-secret', installationApp: true, scopes: ['https://graph.microsoft.com/Mail.ReadWrite', 'offline_access'] }) });
    expect(microsoftScopes('EWS')[0]).toBe('https://outlook.office365.com/EWS.AccessAsUser.All');
    const own = resolveClientSettings(facts({ oauth: { clientId: 'own-app', authorizationUrl: null, tokenUrl: null, scope: null, redirectUrl: null, tenantId: 'contoso.com' } }), 'own-secret', config);
    expect(own).toMatchObject({ ok: true, settings: { clientId: 'own-app', clientSecret: 'own-secret', installationApp: false, authority: 'https://login.microsoftonline.com/contoso.com' } });
  });

  it('says which environment variables are missing', () => {
    const r = resolveClientSettings(facts({}), undefined, { ...config, microsoft: { clientId: undefined, clientSecret: undefined, authority: config.microsoft.authority } });
    expect(r).toMatchObject({ ok: false, reason: expect.stringContaining('MAILROOM_MICROSOFT_CLIENT_ID') });
    expect(resolveClientSettings(facts({ provider: 'GOOGLE' }), undefined, config)).toMatchObject({ ok: false, reason: expect.stringContaining('MAILROOM_GOOGLE_CLIENT_ID') });
  });

  it('flags legacy 8.0-style settings until they are completed', () => {
    const legacy = { clientId: 'c', authorizationUrl: null, tokenUrl: null, scope: null, redirectUrl: null, tenantId: 'contoso' };
    expect(isLegacyOAuthSettings('OTHER', legacy)).toBe(true);
    expect(isLegacyOAuthSettings('OTHER', { ...legacy, tokenUrl: 'https://idp/token', scope: 's', redirectUrl: 'https://m/oauth/callback' })).toBe(false);
    expect(isLegacyOAuthSettings('MICROSOFT', legacy)).toBe(false);
    expect(resolveClientSettings(facts({ provider: 'OTHER', oauth: legacy }), 'secret', config)).toMatchObject({ ok: false, reason: expect.stringContaining('older Mailroom version') });
    expect(resolveClientSettings(facts({ needsReconfiguration: true }), undefined, config)).toMatchObject({ ok: false, reason: expect.stringContaining('older Mailroom version') });
  });

  it('requires every generic setting', () => {
    const oauth = { clientId: 'c', authorizationUrl: 'https://idp/authorize', tokenUrl: 'https://idp/token', scope: 'mail offline_access', redirectUrl: 'https://m/oauth/callback', tenantId: null };
    expect(resolveClientSettings(facts({ provider: 'OTHER', oauth }), 'secret', config)).toMatchObject({ ok: true, settings: { scopes: ['mail', 'offline_access'], redirectUrl: 'https://m/oauth/callback' } });
    expect(resolveClientSettings(facts({ provider: 'OTHER', oauth }), undefined, config)).toMatchObject({ ok: false });
  });

  it('narrows a multi-tenant authority to the server tenant and builds the callback URL', () => {
    expect(microsoftAuthority('https://login.microsoftonline.com/common', 'contoso.com')).toBe('https://login.microsoftonline.com/contoso.com');
    expect(microsoftAuthority('https://login.microsoftonline.com/fabrikam.com', 'contoso.com')).toBe('https://login.microsoftonline.com/fabrikam.com');
    expect(microsoftAuthority('https://localhost:8443', 'contoso.com')).toBe('https://localhost:8443');
    expect(callbackUrl('https://help.example.com/', 'http://10.0.0.5:4000')).toBe('https://help.example.com/oauth/callback');
    expect(callbackUrl(undefined, 'http://localhost:4000')).toBe('http://localhost:4000/oauth/callback');
    expect(callbackUrl(undefined, undefined)).toBeNull();
  });
});

describe('generic token URL guard', () => {
  const settings = (tokenUrl: string) => ({
    provider: 'OTHER' as const, clientId: 'c', clientSecret: 's', authorizationUrl: 'https://idp.example/authorize', tokenUrl,
    scopes: ['mail'], redirectUrl: 'https://m.example/oauth/callback', installationApp: false as const,
  });

  it('never calls a link-local or cloud-metadata token URL, with or without a proxy', async () => {
    await expect(new GenericOAuthClient(settings('http://169.254.169.254/latest/token'), null).refresh('rt'))
      .rejects.toMatchObject({ kind: 'OAUTH_TOKEN', message: expect.stringMatching(/^The token URL points to a link-local address/) });
    const proxy = { name: 'corp', type: 'HTTP' as const, host: '127.0.0.1', port: 1 };
    await expect(new GenericOAuthClient(settings('http://[fd00:ec2::254]/token'), proxy).refresh('rt'))
      .rejects.toMatchObject({ kind: 'OAUTH_TOKEN', message: expect.stringContaining('cloud metadata') });
    await expect(new GenericOAuthClient(settings('http://127.0.0.1:1/token'), null).refresh('rt'))
      .rejects.toMatchObject({ kind: 'OAUTH_TOKEN', message: expect.stringContaining('loopback') });
    await expect(new GenericOAuthClient(settings('http://127.0.0.1:1/token'), null, { allowLoopback: true }).refresh('rt'))
      .rejects.toMatchObject({ kind: 'NETWORK' });
  });
});
