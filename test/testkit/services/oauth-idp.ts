// An OAuth 2.0 / OpenID identity provider for tests: oauth2-mock-server over HTTPS (msal refuses
// http: authorities), plus a token-introspection endpoint for Dovecot's oauth2 passdb.
//
//   const idp = await startOAuthIdp({ defaultUser: 'support@example.test' });
//   const dovecot = await startDovecot({ oauth2IntrospectionUrl: idp.introspectionUrl });
//   spawnServer({ env: { NODE_EXTRA_CA_CERTS: idp.caPath, ... } })    // trust the IdP's certificate
//   const callback = await idp.authorize(authorizationUrl);             // "the browser": consent, redirect back
//
// What the mock alone does not do, and this kit adds so the tests exercise real behaviour:
// - Who signed in: the `login_hint` of the authorization request (else `defaultUser`) becomes the
//   `username` claim of every token issued from that code and from its refresh tokens.
// - Refresh tokens rotate: each is accepted once; a used, unknown or revoked one gets invalid_grant.
// - revoke(user) invalidates the user's refresh tokens and access tokens.
// - Introspection (RFC 7662, form POST `token=…`) verifies the JWT against the mock's JWKS, checks
//   issuer, expiry and revocation, and answers { active, username }: the mock's own /introspect
//   ignores the token and always says active.
// - Every token request is recorded (grant, user, status), including ones the mock refuses itself.
import { createPublicKey, randomUUID, verify, type JsonWebKey } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Events, OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';
import { graphql, ok, type GraphQLClient } from '../client.ts';
import { generateSelfSignedCert } from './tls.ts';
import { makeTempDir } from './util.ts';

export interface TokenRequestRecord {
  at: number;
  grantType: string;
  status: number;
  user: string | null;
  /** Body fields the client sent (values of secrets and codes are kept: it is a test IdP). */
  body: Record<string, string>;
  error?: string;
}

export interface IntrospectionRecord { at: number; active: boolean; username: string | null; reason?: string }

export interface OAuthIdpOptions {
  /** The user when an authorization request has no login_hint. */
  defaultUser?: string;
  /** Lifetime of issued access tokens (expires_in and the JWT's exp). Default 3600. */
  accessTokenTtlSeconds?: number;
  /** false: plain HTTP, for clients tested in-process without the certificate (not msal: it requires https). */
  tls?: boolean;
}

export interface OAuthIdp {
  /** https://localhost:PORT (http: with `tls: false`) — also the Microsoft authority in tests. */
  readonly issuer: string;
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  /** http://127.0.0.1:PORT/introspect, for Dovecot's oauth2 passdb. */
  readonly introspectionUrl: string;
  /** The IdP's self-signed certificate (its own CA): NODE_EXTRA_CA_CERTS for a spawned Mailroom. */
  readonly caPath: string;
  readonly caPem: string;
  readonly tokenRequests: TokenRequestRecord[];
  readonly introspections: IntrospectionRecord[];
  accessTokenTtlSeconds: number;
  /** Token requests of one grant type (authorization_code, refresh_token). */
  requestsOf(grantType: string): TokenRequestRecord[];
  /** Invalidates the user's refresh tokens (invalid_grant) and access tokens (introspection: inactive). */
  revoke(user: string): void;
  /** The next token request is answered with this instead (e.g. an Azure error). */
  failNextTokenRequest(status: number, body: Record<string, unknown>): void;
  /** The next authorization redirects back with this error instead of a code (e.g. consent_required). */
  failNextAuthorization(params: Record<string, string>): void;
  /** Plays the browser: requests the authorization URL and returns where the IdP redirects to. */
  authorize(authorizationUrl: string): Promise<URL>;
  dispose(): Promise<void>;
}

interface RefreshTokenState { user: string | null; used: boolean; revoked: boolean }

export async function startOAuthIdp(opts: OAuthIdpOptions = {}): Promise<OAuthIdp> {
  const dir = await makeTempDir('idp');
  const { certPath, keyPath } = await generateSelfSignedCert(dir);
  const caPem = await fs.readFile(certPath, 'utf8');

  const issuer = new OAuth2Issuer();
  await issuer.keys.generate('RS256');
  const service = new OAuth2Service(issuer);

  const codeUsers = new Map<string, string | null>();
  const refreshTokens = new Map<string, RefreshTokenState>();
  const accessTokens = new Map<string, { user: string | null; revoked: boolean }>();
  const tokenRequests: TokenRequestRecord[] = [];
  const introspections: IntrospectionRecord[] = [];
  let nextTokenFailure: { status: number; body: Record<string, unknown> } | null = null;
  let nextAuthorizationFailure: Record<string, string> | null = null;
  const state = { ttl: opts.accessTokenTtlSeconds ?? 3600 };

  type Body = Record<string, string | undefined>;
  const userOf = (body: Body): string | null => {
    if (body.grant_type === 'authorization_code') return codeUsers.get(body.code ?? '') ?? null;
    if (body.grant_type === 'refresh_token') return refreshTokens.get(body.refresh_token ?? '')?.user ?? null;
    return null;
  };

  service.on(Events.BeforeAuthorizeRedirect, (redirect: { url: URL }, req: http.IncomingMessage & { query?: Record<string, unknown> }) => {
    const code = redirect.url.searchParams.get('code');
    const hint = typeof req.query?.login_hint === 'string' ? req.query.login_hint.toLowerCase() : null;
    if (code) codeUsers.set(code, hint ?? opts.defaultUser ?? null);
    if (nextAuthorizationFailure) {
      redirect.url.searchParams.delete('code');
      for (const [k, v] of Object.entries(nextAuthorizationFailure)) redirect.url.searchParams.set(k, v);
      nextAuthorizationFailure = null;
    }
  });

  service.on(Events.BeforeTokenSigning, (token: { payload: Record<string, unknown> }, req: { body?: Body }) => {
    const body = req.body ?? {};
    const user = userOf(body);
    const jti = randomUUID();
    Object.assign(token.payload, { username: user, jti, exp: Math.floor(Date.now() / 1000) + state.ttl });
    accessTokens.set(jti, { user, revoked: false });
  });

  service.on(Events.BeforeResponse, (response: { body: Record<string, unknown>; statusCode: number }, req: { body?: Body }) => {
    const body = req.body ?? {};
    const refusal = (error: string, description: string, codes: number[]) => {
      response.statusCode = 400;
      response.body = { error, error_description: description, error_codes: codes };
    };
    if (nextTokenFailure) {
      response.statusCode = nextTokenFailure.status;
      response.body = nextTokenFailure.body;
      nextTokenFailure = null;
      return;
    }
    if (body.grant_type === 'refresh_token') {
      const rt = refreshTokens.get(body.refresh_token ?? '');
      if (!rt) return refusal('invalid_grant', 'AADSTS9002313: Invalid request. The refresh token is unknown.', [9002313]);
      if (rt.revoked) return refusal('invalid_grant', 'AADSTS50173: The provided grant has expired due to it being revoked.', [50173]);
      if (rt.used) return refusal('invalid_grant', 'AADSTS70000: The refresh token was already used (rotated).', [70000]);
      rt.used = true;
    }
    response.body.expires_in = state.ttl;
    const issued = response.body.refresh_token;
    if (typeof issued === 'string') refreshTokens.set(issued, { user: userOf(body), used: false, revoked: false });
  });

  const useTls = opts.tls !== false;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method === 'POST' && (req.url ?? '').split('?')[0] === '/token') {
      // Record every token request, including those the mock refuses before our hooks run (PKCE).
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      res.on('finish', () => {
        const body = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        tokenRequests.push({ at: Date.now(), grantType: body.grant_type ?? '', status: res.statusCode, user: userOf(body), body });
      });
    }
    service.requestHandler(req, res);
  };
  const server = useTls ? https.createServer({ key: await fs.readFile(keyPath), cert: caPem }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  issuer.url = `${useTls ? 'https' : 'http'}://localhost:${port}`;

  const jwksKeys = (): (JsonWebKey & { kid?: string })[] => issuer.keys.toJSON() as (JsonWebKey & { kid?: string })[];
  const introspect = (token: string): IntrospectionRecord => {
    const inactive = (reason: string): IntrospectionRecord => ({ at: Date.now(), active: false, username: null, reason });
    const [h, p, s] = token.split('.');
    if (!h || !p || !s) return inactive('not a JWT');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid?: string; alg?: string };
    const jwk = jwksKeys().find((k) => k.kid === header.kid);
    if (!jwk || header.alg !== 'RS256') return inactive('unknown key');
    if (!verify('sha256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'))) return inactive('bad signature');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iss?: string; exp?: number; jti?: string; username?: string | null };
    if (claims.iss !== issuer.url) return inactive('wrong issuer');
    if (!claims.exp || claims.exp * 1000 <= Date.now()) return inactive('expired');
    const known = claims.jti ? accessTokens.get(claims.jti) : undefined;
    if (!known || known.revoked) return inactive('revoked');
    return { at: Date.now(), active: true, username: claims.username ?? null };
  };

  const introspection = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const token = form.get('token') ?? bearer ?? '';
      let record: IntrospectionRecord;
      try {
        record = introspect(token);
      } catch {
        record = { at: Date.now(), active: false, username: null, reason: 'malformed' };
      }
      introspections.push(record);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(record.active ? { active: true, username: record.username } : { active: false }));
    });
  });
  await new Promise<void>((resolve) => introspection.listen(0, '127.0.0.1', () => resolve()));
  const introspectionPort = (introspection.address() as AddressInfo).port;

  const idp: OAuthIdp = {
    issuer: issuer.url,
    authorizationUrl: `${issuer.url}/authorize`,
    tokenUrl: `${issuer.url}/token`,
    introspectionUrl: `http://127.0.0.1:${introspectionPort}/introspect`,
    caPath: path.resolve(certPath),
    caPem,
    tokenRequests,
    introspections,
    get accessTokenTtlSeconds() {
      return state.ttl;
    },
    set accessTokenTtlSeconds(v: number) {
      state.ttl = v;
    },
    requestsOf: (grantType) => tokenRequests.filter((r) => r.grantType === grantType),
    revoke(user) {
      const u = user.toLowerCase();
      for (const rt of refreshTokens.values()) if (rt.user === u) rt.revoked = true;
      for (const at of accessTokens.values()) if (at.user === u) at.revoked = true;
    },
    failNextTokenRequest(status, body) {
      nextTokenFailure = { status, body };
    },
    failNextAuthorization(params) {
      nextAuthorizationFailure = params;
    },
    authorize(authorizationUrl) {
      return new Promise<URL>((resolve, reject) => {
        const onResponse = (res: http.IncomingMessage) => {
          res.resume();
          const location = res.headers.location;
          if (res.statusCode !== 302 || !location) return reject(new Error(`authorization endpoint answered ${res.statusCode} without a redirect`));
          resolve(new URL(location));
        };
        const req = useTls ? https.get(authorizationUrl, { ca: caPem }, onResponse) : http.get(authorizationUrl, onResponse);
        req.on('error', reject);
      });
    },
    async dispose() {
      server.closeAllConnections();
      introspection.closeAllConnections();
      await Promise.all([
        new Promise<void>((r) => server.close(() => r())),
        new Promise<void>((r) => introspection.close(() => r())),
      ]);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  return idp;
}

// ---------------------------------------------------------------------------------------------
// Driving Mailroom's sign-in as an admin's browser would.
// ---------------------------------------------------------------------------------------------
export interface SignInOutcome {
  /** Our /oauth/callback URL the IdP redirected to (with code and state, or error). */
  callback: URL;
  /** Where /oauth/callback sent the browser next. */
  location: URL;
  status: number;
}

export const START_SIGN_IN = graphql(`
  mutation StartMailboxSignIn($id: ID!) {
    startOAuthSignIn(serverId: $id) { __typename ... on StartOAuthSignInSuccess { authorizationUrl expiresAt } ... on Error { message } }
  }
`);

/** startOAuthSignIn → the IdP's authorization endpoint → GET our callback with the admin's session cookie. */
export async function signInMailbox(admin: GraphQLClient, idp: OAuthIdp, serverId: string, opts: { cookie?: string | null } = {}): Promise<SignInOutcome> {
  const started = (await admin.execute(START_SIGN_IN, { id: serverId })).startOAuthSignIn;
  const callback = await idp.authorize(ok(started, 'StartOAuthSignInSuccess').authorizationUrl);
  return followCallback(callback, opts.cookie === undefined ? `mailroom_session=${admin.token}` : opts.cookie);
}

/** GET /oauth/callback without following its redirect. */
export async function followCallback(callback: URL, cookie: string | null): Promise<SignInOutcome> {
  const res = await fetch(callback, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  await res.arrayBuffer();
  return { callback, status: res.status, location: new URL(res.headers.get('location') ?? '/', callback) };
}
