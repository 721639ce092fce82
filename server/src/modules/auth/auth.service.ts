import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { and, desc, eq, gt, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { authTokens, roles, users } from '../../db/schema.js';
import type { Logger } from '../../lib/logger.js';
import type { PubSub } from '../../lib/pubsub.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { SignInThrottle } from './sign-in-throttle.js';

export type UserRow = typeof users.$inferSelect;
export type RoleRow = typeof roles.$inferSelect;
export type AuthTokenRow = typeof authTokens.$inferSelect;
export interface ApiTokenInfo { token: AuthTokenRow; owner: UserRow }

export type SignInOutcome =
  | { ok: true; token: string; user: UserRow }
  | { ok: false; reason: 'INVALID' }
  | { ok: false; reason: 'THROTTLED'; retryAfterSeconds: number };

/** Who a request acts for: a signed-in user, through a session cookie or an API token. */
export interface Viewer {
  user: UserRow;
  canManageSupportChannels: boolean;
  tokenId: string;
  /** When the token stops working (sessions: 30 days; API tokens: optional). */
  tokenExpiresAt: Date | null;
}

const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

export const hashPassword = (password: string) => hash(password, { algorithm: 2 /* Argon2id; the enum is a const enum, unusable with isolatedModules */ });

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return `mr_${randomBytes(32).toString('base64url')}`;
}

// Verifying against a fixed hash when the user does not exist keeps response time independent of whether the email is known.
let dummyHash: Promise<string> | undefined;

export class AuthService {
  readonly throttle: SignInThrottle;

  constructor(private readonly db: Db, private readonly logger: Logger, private readonly pubsub: PubSub) {
    this.throttle = new SignInThrottle(db);
  }

  /** `ip`: the client's address, for per-address throttling (null when unknown). */
  async signIn(email: string, password: string, ip: string | null = null): Promise<SignInOutcome> {
    const admission = await this.throttle.admit(email, ip);
    if (!admission.ok) {
      if (admission.lockedOut) {
        this.logger.warn({ email, ip, scope: admission.lockedOut }, 'sign-in locked out after too many attempts');
        const [known] = await this.db.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = lower(${email})`);
        await recordConfigChange(this.db, {
          actorUserId: null, entityType: 'SignIn', entityId: known?.id ?? null, action: 'LOCKOUT',
          after: { email: email.trim().toLowerCase(), ip, scope: admission.lockedOut, retryAfterSeconds: admission.retryAfterSeconds },
        });
      }
      return { ok: false, reason: 'THROTTLED', retryAfterSeconds: admission.retryAfterSeconds };
    }
    const [user] = await this.db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`);
    if (!user) {
      await verify(await (dummyHash ??= hashPassword(randomBytes(16).toString('hex'))), password);
      return { ok: false, reason: 'INVALID' };
    }
    // A deactivated account answers like a wrong password: nothing tells an attacker it exists.
    if (!(await verify(user.passwordHash, password)) || user.deactivatedAt) return { ok: false, reason: 'INVALID' };
    await this.throttle.succeeded(email, ip);
    const token = await this.issueToken(user.id, 'SESSION', 'web session', new Date(Date.now() + SESSION_TTL_MS));
    return { ok: true, token, user };
  }

  async issueToken(userId: string, kind: 'SESSION' | 'API', name: string, expiresAt: Date | null = null): Promise<string> {
    return (await this.insertToken(userId, kind, name, expiresAt)).token;
  }

  async issueApiToken(userId: string, name: string, expiresAt: Date | null): Promise<{ token: string; id: string }> {
    const issued = await this.insertToken(userId, 'API', name, expiresAt);
    await recordConfigChange(this.db, { actorUserId: userId, entityType: 'ApiToken', entityId: issued.id, action: 'CREATE', after: { name, userId, expiresAt } });
    return issued;
  }

  private async insertToken(userId: string, kind: 'SESSION' | 'API', name: string, expiresAt: Date | null): Promise<{ token: string; id: string }> {
    const token = newToken();
    const [row] = await this.db.insert(authTokens).values({ userId, kind, name, tokenHash: hashToken(token), expiresAt }).returning({ id: authTokens.id });
    return { token, id: row!.id };
  }

  /** Deletes the token and closes every WebSocket opened with it, in every process. */
  async revokeToken(tokenId: string): Promise<void> {
    await this.db.delete(authTokens).where(eq(authTokens.id, tokenId));
    this.pubsub.publish('sessionsRevoked', { tokenIds: [tokenId] });
  }

  /** API tokens: a Super Admin sees everyone's, anyone else their own. Never the token itself (only its hash is stored). */
  async listApiTokens(viewer: Viewer): Promise<ApiTokenInfo[]> {
    const rows = await this.db
      .select({ token: authTokens, owner: users })
      .from(authTokens)
      .innerJoin(users, eq(users.id, authTokens.userId))
      .where(and(eq(authTokens.kind, 'API'), viewer.user.isSuperAdmin ? undefined : eq(authTokens.userId, viewer.user.id)))
      .orderBy(desc(authTokens.createdAt));
    return rows;
  }

  /** Revokes an API token the viewer may see; false when there is none. */
  async revokeApiToken(viewer: Viewer, tokenId: string): Promise<boolean> {
    const [row] = await this.db.select().from(authTokens).where(and(eq(authTokens.id, tokenId), eq(authTokens.kind, 'API')));
    if (!row || (!viewer.user.isSuperAdmin && row.userId !== viewer.user.id)) return false;
    await this.revokeToken(row.id);
    await recordConfigChange(this.db, { actorUserId: viewer.user.id, entityType: 'ApiToken', entityId: row.id, action: 'DELETE', before: { name: row.name, userId: row.userId, expiresAt: row.expiresAt } });
    return true;
  }

  /**
   * Deactivating signs the user out everywhere at once: their sessions and API tokens are
   * deleted and their open WebSockets closed; reactivating doesn't bring the tokens back.
   */
  async setUserActive(actor: Viewer, userId: string, active: boolean): Promise<UserRow | null> {
    const [before] = await this.db.select().from(users).where(eq(users.id, userId));
    if (!before) return null;
    const [after] = await this.db.transaction(async (tx) => {
      const updated = await tx.update(users).set({ deactivatedAt: active ? null : (before.deactivatedAt ?? new Date()) }).where(eq(users.id, userId)).returning();
      if (!active) await tx.delete(authTokens).where(eq(authTokens.userId, userId));
      await recordConfigChange(tx, { actorUserId: actor.user.id, entityType: 'User', entityId: userId, action: 'UPDATE', before: { deactivatedAt: before.deactivatedAt }, after: { deactivatedAt: updated[0]!.deactivatedAt } });
      return updated;
    });
    if (!active) this.pubsub.publish('sessionsRevoked', { userIds: [userId] });
    return after ?? null;
  }

  /** The tokens (if any) among `ids` that no longer let anyone in: deleted, expired, or their user deactivated. */
  async deadTokens(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const alive = await this.db
      .select({ id: authTokens.id })
      .from(authTokens)
      .innerJoin(users, eq(users.id, authTokens.userId))
      .where(and(inArray(authTokens.id, ids), isNull(users.deactivatedAt), or(isNull(authTokens.expiresAt), gt(authTokens.expiresAt, new Date()))));
    const aliveIds = new Set(alive.map((r) => r.id));
    return new Set(ids.filter((id) => !aliveIds.has(id)));
  }

  async viewerFromToken(token: string | null | undefined): Promise<Viewer | null> {
    return token ? this.viewerWhere(eq(authTokens.tokenHash, hashToken(token))) : null;
  }

  /** The same grant, read again (a WebSocket re-checks it for every operation). */
  viewerByTokenId(tokenId: string): Promise<Viewer | null> {
    return this.viewerWhere(eq(authTokens.id, tokenId));
  }

  private async viewerWhere(token: SQL): Promise<Viewer | null> {
    const [row] = await this.db
      .select({ user: users, role: roles, tokenId: authTokens.id, expiresAt: authTokens.expiresAt })
      .from(authTokens)
      .innerJoin(users, eq(users.id, authTokens.userId))
      .leftJoin(roles, eq(roles.id, users.roleId))
      .where(and(token, or(isNull(authTokens.expiresAt), gt(authTokens.expiresAt, new Date())), isNull(users.deactivatedAt)));
    if (!row) return null;
    return {
      user: row.user,
      tokenId: row.tokenId,
      tokenExpiresAt: row.expiresAt,
      canManageSupportChannels: row.user.isSuperAdmin || (row.role?.permissions.includes('MANAGE_SUPPORT_CHANNELS') ?? false),
    };
  }

  async viewerFromUser(user: UserRow): Promise<Omit<Viewer, 'tokenId' | 'tokenExpiresAt'>> {
    if (user.isSuperAdmin || !user.roleId) return { user, canManageSupportChannels: user.isSuperAdmin };
    const [role] = await this.db.select().from(roles).where(eq(roles.id, user.roleId));
    return { user, canManageSupportChannels: role?.permissions.includes('MANAGE_SUPPORT_CHANNELS') ?? false };
  }

  async createUser(input: { email: string; name: string; password: string; roleId?: string | null; isSuperAdmin?: boolean }): Promise<UserRow> {
    const [user] = await this.db
      .insert(users)
      .values({
        email: input.email,
        name: input.name,
        passwordHash: await hashPassword(input.password),
        roleId: input.roleId ?? null,
        isSuperAdmin: input.isSuperAdmin ?? false,
      })
      .returning();
    return user!;
  }

  async findUserByEmail(email: string): Promise<UserRow | undefined> {
    const [user] = await this.db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`);
    return user;
  }

  listUsers(): Promise<UserRow[]> {
    return this.db.select().from(users).orderBy(users.createdAt);
  }

  /** First start only: create the Super Admin from the environment, or with a generated password printed once. */
  async ensureInitialAdmin(admin: { email?: string; password?: string }): Promise<{ email: string; password?: string } | null> {
    const [{ count } = { count: 0 }] = await this.db.select({ count: sql<number>`count(*)::int` }).from(users);
    if (count > 0) return null;
    const email = admin.email ?? 'admin@mailroom.local';
    const password = admin.password ?? randomBytes(12).toString('base64url');
    await this.createUser({ email, name: 'Super Admin', password, isSuperAdmin: true });
    this.logger.info({ email }, 'created the Super Admin');
    return { email, password: admin.password ? undefined : password };
  }
}
