import type { RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible';
import { lt } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rateLimits } from '../../db/schema.js';

/** Attempts per account (any address) and per client address; both survive restarts and hold across processes. */
export const SIGN_IN_LIMITS = {
  account: { points: 10, duration: 15 * 60, blockDuration: 15 * 60 },
  ip: { points: 50, duration: 60 * 60, blockDuration: 60 * 60 },
} as const;

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number; lockedOut: 'account' | 'ip' | null };

const seconds = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/**
 * Sign-in throttling with rate-limiter-flexible on our own database (its Drizzle store), so
 * every Mailroom process shares the counters. A point is taken *before* the password is checked:
 * aliases in one request and parallel requests all count, and a refused attempt costs no argon2
 * work. A correct password gives the account's points back.
 */
export class SignInThrottle {
  // The library loads with the first sign-in, not with the process.
  private limiters: Promise<{ byAccount: RateLimiterDrizzle; byIp: RateLimiterDrizzle; RateLimiterRes: typeof RateLimiterRes }> | null = null;

  constructor(private readonly db: Db) {}

  private load() {
    return (this.limiters ??= import('rate-limiter-flexible').then(({ RateLimiterDrizzle, RateLimiterRes }) => ({
      // clearExpiredByTimeout off: its timer logs with console.warn; housekeeping purges instead.
      byAccount: new RateLimiterDrizzle({ storeClient: this.db, schema: rateLimits, keyPrefix: 'signin-account', clearExpiredByTimeout: false, ...SIGN_IN_LIMITS.account }),
      byIp: new RateLimiterDrizzle({ storeClient: this.db, schema: rateLimits, keyPrefix: 'signin-ip', clearExpiredByTimeout: false, ...SIGN_IN_LIMITS.ip }),
      RateLimiterRes,
    })));
  }

  /** Takes one attempt for the account and the address; refuses when either is spent. */
  async admit(email: string, ip: string | null): Promise<Admission> {
    const account = email.trim().toLowerCase();
    const { byAccount, byIp, RateLimiterRes } = await this.load();
    const results = await Promise.allSettled([byAccount.consume(account), ip ? byIp.consume(ip) : Promise.resolve(null)]);
    const refused = results.flatMap((r, i) => (r.status === 'rejected' ? [{ scope: i === 0 ? ('account' as const) : ('ip' as const), reason: r.reason as unknown }] : []));
    if (!refused.length) return { ok: true };
    for (const r of refused) if (!(r.reason instanceof RateLimiterRes)) throw r.reason; // the database failed, not the limit
    const worst = refused.reduce((a, b) => ((a.reason as RateLimiterRes).msBeforeNext >= (b.reason as RateLimiterRes).msBeforeNext ? a : b));
    const res = worst.reason as RateLimiterRes;
    const limit = SIGN_IN_LIMITS[worst.scope].points;
    // The attempt that first goes over the limit starts the lock-out; later ones are only refused.
    return { ok: false, retryAfterSeconds: seconds(res), lockedOut: res.consumedPoints === limit + 1 ? worst.scope : null };
  }

  async succeeded(email: string, ip: string | null): Promise<void> {
    const { byAccount, byIp } = await this.load();
    await Promise.all([byAccount.delete(email.trim().toLowerCase()), ip ? byIp.reward(ip, 1) : null]);
  }

  /** Rows whose window ended more than an hour ago (housekeeping). */
  async purgeExpired(): Promise<void> {
    await this.db.delete(rateLimits).where(lt(rateLimits.expire, new Date(Date.now() - 3_600_000)));
  }
}
