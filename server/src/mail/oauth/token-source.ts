import { MailError } from '../connector.js';
import type { TokenSet } from './oauth-client.js';

/** Refresh when the access token expires within this. */
export const REFRESH_SKEW_MS = 30_000;

export interface StoredTokens {
  accessToken?: string;
  refreshToken?: string;
  /** Epoch milliseconds; unknown = trust the token until the server refuses it. */
  expiresAt?: number;
}

export function isFresh(tokens: StoredTokens, now: number, skewMs = REFRESH_SKEW_MS): boolean {
  return Boolean(tokens.accessToken) && (tokens.expiresAt === undefined || tokens.expiresAt - now > skewMs);
}

export interface TokenSourceIO {
  /** The tokens as stored now: another process, or a new sign-in, may have replaced them. */
  load(): Promise<StoredTokens>;
  refresh(refreshToken: string): Promise<TokenSet>;
  /**
   * Persists refreshed tokens unless what is stored is no longer `replaced` (a sign-in won
   * meanwhile). Must not throw: a failed write is logged and the tokens stay in memory.
   */
  save(tokens: StoredTokens, replaced: StoredTokens): Promise<void>;
  /** Thrown when there is nothing to refresh with: sign-in never completed. */
  notSignedIn(): MailError;
  now?(): number;
}

/**
 * A mailbox's access token. Returns the held token unless it expires within 30 s; otherwise
 * refreshes — one refresh at a time, concurrent callers share it — and persists what the
 * provider rotated. A refusal that only new credentials can fix (revoked grant, expired
 * secret) is remembered for the refresh token it happened with, so callers that keep asking
 * (Test Connection, a restarted connector) don't hammer the identity provider.
 */
export class TokenSource {
  private held: StoredTokens | null = null;
  private inflight: Promise<string> | null = null;
  private failure: { refreshToken: string; error: MailError } | null = null;

  constructor(private readonly io: TokenSourceIO) {}

  /** `rejected`: the token a server just refused (401) although it looked valid; refresh past it. */
  accessToken(opts: { rejected?: string } = {}): Promise<string> {
    const usable = (t: StoredTokens) => isFresh(t, this.now()) && t.accessToken !== opts.rejected;
    if (this.held && usable(this.held)) return Promise.resolve(this.held.accessToken!);
    this.inflight ??= this.renew(opts.rejected).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private now(): number {
    return this.io.now?.() ?? Date.now();
  }

  private async renew(rejected?: string): Promise<string> {
    const stored = await this.io.load();
    this.held = stored;
    if (isFresh(stored, this.now()) && stored.accessToken !== rejected) return stored.accessToken!;
    if (!stored.refreshToken) throw this.io.notSignedIn();
    if (this.failure?.refreshToken === stored.refreshToken) throw this.failure.error;
    let next: TokenSet;
    try {
      next = await this.io.refresh(stored.refreshToken);
    } catch (err) {
      const error = err instanceof MailError ? err : new MailError('INTERNAL', 'Refreshing the OAuth access token failed unexpectedly');
      if (error.kind === 'OAUTH_TOKEN') this.failure = { refreshToken: stored.refreshToken, error };
      throw error;
    }
    const tokens: StoredTokens = { accessToken: next.accessToken, refreshToken: next.refreshToken ?? stored.refreshToken, expiresAt: next.expiresAt };
    this.held = tokens;
    await this.io.save(tokens, stored);
    return next.accessToken;
  }
}
