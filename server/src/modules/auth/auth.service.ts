import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { authTokens, roles, users, type Permission } from '../../db/schema.js';
import type { Logger } from '../../lib/logger.js';

export type UserRow = typeof users.$inferSelect;
export type RoleRow = typeof roles.$inferSelect;

/** Who a request acts for: a signed-in user, through a session cookie or an API token. */
export interface Viewer {
  user: UserRow;
  canManageSupportChannels: boolean;
  tokenId: string;
}

export const SESSION_COOKIE = 'mailroom_session';
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
  constructor(private readonly db: Db, private readonly logger: Logger) {}

  async signIn(email: string, password: string): Promise<{ token: string; user: UserRow } | null> {
    const [user] = await this.db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`);
    if (!user) {
      await verify(await (dummyHash ??= hashPassword(randomBytes(16).toString('hex'))), password);
      return null;
    }
    if (!(await verify(user.passwordHash, password))) return null;
    const token = await this.issueToken(user.id, 'SESSION', 'web session', new Date(Date.now() + SESSION_TTL_MS));
    return { token, user };
  }

  async issueToken(userId: string, kind: 'SESSION' | 'API', name: string, expiresAt: Date | null = null): Promise<string> {
    const token = newToken();
    await this.db.insert(authTokens).values({ userId, kind, name, tokenHash: hashToken(token), expiresAt });
    return token;
  }

  async revokeToken(tokenId: string): Promise<void> {
    await this.db.delete(authTokens).where(eq(authTokens.id, tokenId));
  }

  async viewerFromToken(token: string | null | undefined): Promise<Viewer | null> {
    if (!token) return null;
    const [row] = await this.db
      .select({ user: users, role: roles, tokenId: authTokens.id })
      .from(authTokens)
      .innerJoin(users, eq(users.id, authTokens.userId))
      .leftJoin(roles, eq(roles.id, users.roleId))
      .where(and(eq(authTokens.tokenHash, hashToken(token)), or(isNull(authTokens.expiresAt), gt(authTokens.expiresAt, new Date()))));
    if (!row) return null;
    return {
      user: row.user,
      tokenId: row.tokenId,
      canManageSupportChannels: row.user.isSuperAdmin || (row.role?.permissions.includes('MANAGE_SUPPORT_CHANNELS') ?? false),
    };
  }

  async viewerFromUser(user: UserRow): Promise<Omit<Viewer, 'tokenId'>> {
    if (user.isSuperAdmin || !user.roleId) return { user, canManageSupportChannels: user.isSuperAdmin };
    const [role] = await this.db.select().from(roles).where(eq(roles.id, user.roleId));
    return { user, canManageSupportChannels: role?.permissions.includes('MANAGE_SUPPORT_CHANNELS') ?? false };
  }

  async createRole(name: string, permissions: Permission[]): Promise<RoleRow> {
    const [role] = await this.db.insert(roles).values({ name, permissions }).returning();
    return role!;
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
