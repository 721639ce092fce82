import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { incomingServers, serverHealth, type IncomingServerRow, type OAuthSecrets } from '../../db/schema.js';
import type { Logger } from '../../lib/logger.js';
import type { IncomingServerService } from '../incoming-servers/incoming-server.service.js';
import type { NotificationRow, NotificationService } from '../notifications/notification.service.js';

const DAY_MS = 24 * 3600_000;

export interface CredentialLimits {
  /** Azure client secrets expire (at most 24 months); warn this many days ahead. */
  secretExpiryWarnDays: number;
  /** Microsoft refresh tokens die after 90 days without use; warn at 80. */
  refreshTokenStaleDays: number;
  /** Failed sign-ins in a row (each restart or credentials change retries once). */
  authFailureThreshold: number;
}

export const DEFAULT_CREDENTIAL_LIMITS: CredentialLimits = { secretExpiryWarnDays: 14, refreshTokenStaleDays: 80, authFailureThreshold: 3 };

export type CredentialWarningKind = 'CREDENTIAL_EXPIRING' | 'REFRESH_TOKEN_STALE' | 'AUTH_FAILED';

export interface CredentialFacts {
  name: string;
  email: string;
  oauthClientSecretExpiresAt: Date | null;
  /** Last time the refresh token was used (null: no refresh token, or unknown). */
  refreshTokenLastUsedAt: Date | null;
  consecutiveAuthFailures: number;
}

export interface CredentialWarning { kind: CredentialWarningKind; title: string; body: string }

const day = (d: Date) => d.toISOString().slice(0, 10);

/** What is about to break for one server, before it does. */
export function credentialWarnings(f: CredentialFacts, now: Date, limits: CredentialLimits = DEFAULT_CREDENTIAL_LIMITS): CredentialWarning[] {
  const out: CredentialWarning[] = [];
  const t = now.getTime();
  if (f.oauthClientSecretExpiresAt && f.oauthClientSecretExpiresAt.getTime() - t <= limits.secretExpiryWarnDays * DAY_MS) {
    const expired = f.oauthClientSecretExpiresAt.getTime() <= t;
    const days = Math.floor((f.oauthClientSecretExpiresAt.getTime() - t) / DAY_MS);
    const when = days < 1 ? 'within a day' : `in ${days} day${days === 1 ? '' : 's'}`;
    out.push({
      kind: 'CREDENTIAL_EXPIRING',
      title: expired ? `${f.name}: OAuth client secret expired` : `${f.name}: OAuth client secret expires ${when}`,
      body: `The OAuth client secret used for ${f.email} ${expired ? 'expired' : 'expires'} on ${day(f.oauthClientSecretExpiresAt)}. Create a new secret in the app registration and enter it (with its new expiry date) in the server settings${expired ? '' : ' before then, or Mailroom stops reading this mailbox'}.`,
    });
  }
  if (f.refreshTokenLastUsedAt && t - f.refreshTokenLastUsedAt.getTime() >= limits.refreshTokenStaleDays * DAY_MS) {
    const days = Math.floor((t - f.refreshTokenLastUsedAt.getTime()) / DAY_MS);
    out.push({
      kind: 'REFRESH_TOKEN_STALE',
      title: `${f.name}: OAuth sign-in about to lapse`,
      body: `The OAuth refresh token for ${f.email} has not been used for ${days} days (since ${day(f.refreshTokenLastUsedAt)}). Providers revoke unused refresh tokens (Microsoft after 90 days): sign in again from the server settings to keep this mailbox connected.`,
    });
  }
  if (f.consecutiveAuthFailures >= limits.authFailureThreshold) {
    out.push({
      kind: 'AUTH_FAILED',
      title: `${f.name}: sign-in keeps failing`,
      body: `The last ${f.consecutiveAuthFailures} sign-ins to ${f.email} were refused. Check the password or app password, or sign in again with OAuth, in the server settings.`,
    });
  }
  return out;
}

/**
 * When the refresh token was last used. The token service stores what the provider returned
 * after each refresh, so `expiresAt` minus the usual one-hour lifetime marks the last refresh
 * when no explicit timestamp (`lastRefreshAt` / `refreshTokenIssuedAt`) was stored.
 */
export function refreshTokenLastUsedAt(oauth: OAuthSecrets): Date | null {
  if (!oauth.refreshToken) return null;
  const extra = oauth as OAuthSecrets & { lastRefreshAt?: unknown; refreshTokenIssuedAt?: unknown };
  for (const v of [extra.lastRefreshAt, extra.refreshTokenIssuedAt]) {
    const d = typeof v === 'number' || typeof v === 'string' ? new Date(v) : null;
    if (d && !Number.isNaN(d.getTime())) return d;
  }
  return typeof oauth.expiresAt === 'number' ? new Date(oauth.expiresAt - 3600_000) : null;
}

export interface CredentialWatchOptions {
  intervalMs: number;
  limits?: Partial<CredentialLimits>;
  /** The same condition for the same server is announced at most once in this period. */
  repeatAfterMs?: number;
  now?: () => Date;
}

/** Serialises checks across processes sharing one PostgreSQL, so two of them never both announce. */
const LOCK_KEY = 0x6d61696c; // "mail"

/** Hourly: looks at every enabled server's credentials and warns the channel managers (at most once a day per server and condition). */
export class CredentialWatch {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly limits: CredentialLimits;
  private readonly now: () => Date;

  constructor(
    private readonly db: Db,
    private readonly servers: Pick<IncomingServerService, 'credentials'>,
    private readonly notifications: NotificationService,
    private readonly logger: Logger,
    private readonly options: CredentialWatchOptions,
  ) {
    this.limits = { ...DEFAULT_CREDENTIAL_LIMITS, ...options.limits };
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running ??= this.check()
        .catch((err: unknown) => this.logger.warn({ err }, 'credential check failed'))
        .finally(() => (this.running = null));
    };
    // Soon after start (a restart must not delay a warning by an hour), then every interval.
    const first = setTimeout(() => {
      tick();
      this.timer = setInterval(tick, this.options.intervalMs);
      this.timer.unref();
    }, Math.min(this.options.intervalMs, 10_000));
    first.unref();
    this.timer = first;
  }

  async stop(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      clearInterval(this.timer);
      this.timer = null;
    }
    await this.running;
  }

  /** One pass; returns the notifications it created. */
  async check(): Promise<NotificationRow[]> {
    const now = this.now();
    const rows = await this.db
      .select({ server: incomingServers, failures: serverHealth.consecutiveAuthFailures })
      .from(incomingServers)
      .leftJoin(serverHealth, eq(serverHealth.serverId, incomingServers.id))
      .where(eq(incomingServers.enabled, true));
    const due: { server: IncomingServerRow; warning: CredentialWarning }[] = [];
    for (const { server, failures } of rows) {
      for (const warning of credentialWarnings(this.facts(server, failures ?? 0), now, this.limits)) due.push({ server, warning });
    }
    if (!due.length) return [];
    const since = new Date(now.getTime() - (this.options.repeatAfterMs ?? DAY_MS));
    const created = await this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_KEY})`);
      const recipients = await this.notifications.channelManagers(tx);
      const out: NotificationRow[] = [];
      for (const { server, warning } of due) {
        if (await this.notifications.raisedSince(tx, server.id, warning.kind, since)) continue;
        out.push(...(await this.notifications.create(tx, recipients, { ...warning, serverId: server.id })));
      }
      return out;
    });
    await this.notifications.published(created, 'notificationAdded');
    if (created.length) this.logger.info({ count: created.length }, 'raised credential warnings');
    return created;
  }

  private facts(server: IncomingServerRow, consecutiveAuthFailures: number): CredentialFacts {
    let lastUsed: Date | null = null;
    if (server.authType === 'OAUTH') {
      try {
        lastUsed = refreshTokenLastUsedAt(this.servers.credentials(server).oauth);
      } catch (err) {
        this.logger.warn({ err, serverId: server.id }, 'could not open the stored OAuth secrets');
      }
    }
    return {
      name: server.name,
      email: server.email,
      oauthClientSecretExpiresAt: server.oauthClientSecretExpiresAt,
      refreshTokenLastUsedAt: lastUsed,
      consecutiveAuthFailures,
    };
  }
}
