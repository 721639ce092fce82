import { verify } from '@node-rs/argon2';
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { emailAddress } from '../../lib/inputs.js';
import type { Db } from '../../db/client.js';
import { authTokens, PERMISSIONS, roles, technicianGroupMembers, technicianGroups, users, type Permission } from '../../db/schema.js';
import { InvalidCredentials, NotFoundError, TooManyAttempts, ValidationError, zodFieldErrors, type FieldError } from '../../lib/errors.js';
import type { PubSub } from '../../lib/pubsub.js';
import { isUuid } from '../../lib/uuid.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { hashPassword, type AuthService, type RoleRow, type UserRow, type Viewer } from './auth.service.js';

export type GroupRow = typeof technicianGroups.$inferSelect;

export const password = z.string().min(8, 'At least 8 characters').max(1024, 'At most 1024 characters');
const userPatch = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(200).optional(),
  email: emailAddress().optional(),
  roleId: z.string().nullable().optional(),
  isSuperAdmin: z.boolean().optional(),
});

export interface NotificationSettings { newTicketInMyGroups: boolean; requesterRepliedOnMine: boolean }

/** Users, roles and group membership (SPEC §10 "People"); who may call what is the schema's business. */
export class PeopleService {
  constructor(private readonly db: Db, private readonly auth: AuthService, private readonly pubsub: PubSub) {}

  async user(id: string): Promise<UserRow | undefined> {
    return isUuid(id) ? (await this.db.select().from(users).where(eq(users.id, id)))[0] : undefined;
  }

  usersById(ids: readonly string[]): Promise<UserRow[]> {
    const valid = ids.filter(isUuid);
    return valid.length ? this.db.select().from(users).where(inArray(users.id, valid)) : Promise.resolve([]);
  }

  roles(): Promise<RoleRow[]> {
    return this.db.select().from(roles).orderBy(asc(roles.name));
  }

  async role(id: string): Promise<RoleRow | undefined> {
    return isUuid(id) ? (await this.db.select().from(roles).where(eq(roles.id, id)))[0] : undefined;
  }

  groupsOf(userId: string): Promise<GroupRow[]> {
    return this.db
      .select({ id: technicianGroups.id, name: technicianGroups.name, createdAt: technicianGroups.createdAt })
      .from(technicianGroupMembers)
      .innerJoin(technicianGroups, eq(technicianGroups.id, technicianGroupMembers.groupId))
      .where(eq(technicianGroupMembers.userId, userId))
      .orderBy(asc(technicianGroups.name));
  }

  async membersOf(groupId: string): Promise<UserRow[]> {
    const rows = await this.db
      .select({ user: users })
      .from(technicianGroupMembers)
      .innerJoin(users, eq(users.id, technicianGroupMembers.userId))
      .where(eq(technicianGroupMembers.groupId, groupId))
      .orderBy(asc(users.name));
    return rows.map((r) => r.user);
  }

  async updateUser(actor: Viewer, id: string, input: z.input<typeof userPatch>): Promise<UserRow | ValidationError | NotFoundError> {
    const before = await this.user(id);
    if (!before) return new NotFoundError('No such user');
    const parsed = userPatch.safeParse(input);
    if (!parsed.success) return ValidationError.of(zodFieldErrors(parsed.error));
    const patch = parsed.data;
    const errors: FieldError[] = [];
    if (patch.email && (await this.db.select({ id: users.id }).from(users).where(and(sql`lower(${users.email}) = lower(${patch.email})`, ne(users.id, id)))).length) {
      errors.push({ path: ['email'], message: 'A user with this email exists' });
    }
    if (patch.roleId && !(await this.role(patch.roleId))) errors.push({ path: ['roleId'], message: 'No such role' });
    if (patch.isSuperAdmin === false && id === actor.user.id) errors.push({ path: ['isSuperAdmin'], message: 'You can\'t take your own Super Admin rights away' });
    if (errors.length) return ValidationError.of(errors);
    if (!Object.keys(patch).length) return before;
    return this.db.transaction(async (tx) => {
      const [after] = await tx.update(users).set(patch).where(eq(users.id, id)).returning();
      await recordConfigChange(tx, { actorUserId: actor.user.id, entityType: 'User', entityId: id, action: 'UPDATE', before: person(before), after: person(after!) });
      return after!;
    });
  }

  /** An admin sets a new password: every session of that user ends (their API tokens stay). */
  async resetPassword(actor: Viewer, id: string, newPassword: string): Promise<UserRow | ValidationError | NotFoundError> {
    const user = await this.user(id);
    if (!user) return new NotFoundError('No such user');
    const parsed = password.safeParse(newPassword);
    if (!parsed.success) return ValidationError.of(zodFieldErrors(parsed.error, ['password']));
    await this.setPassword(user, parsed.data, null, actor.user.id);
    return user;
  }

  /** The signed-in user's own password; their other sessions end, this one stays. Throttled like sign-in. */
  async changeOwnPassword(viewer: Viewer, current: string, next: string, ip: string | null): Promise<UserRow | ValidationError | InvalidCredentials | TooManyAttempts> {
    const parsed = password.safeParse(next);
    if (!parsed.success) return ValidationError.of(zodFieldErrors(parsed.error, ['newPassword']));
    const admission = await this.auth.throttle.admit(viewer.user.email, ip);
    if (!admission.ok) return new TooManyAttempts(admission.retryAfterSeconds);
    const user = (await this.user(viewer.user.id))!;
    if (!(await verify(user.passwordHash, current))) return new InvalidCredentials('The current password is wrong');
    await this.auth.throttle.succeeded(viewer.user.email, ip);
    await this.setPassword(user, parsed.data, viewer.tokenId, viewer.user.id);
    return user;
  }

  private async setPassword(user: UserRow, next: string, keepTokenId: string | null, actorUserId: string): Promise<void> {
    const passwordHash = await hashPassword(next);
    const ended = await this.db.transaction(async (tx) => {
      await tx.update(users).set({ passwordHash }).where(eq(users.id, user.id));
      const sessions = await tx
        .delete(authTokens)
        .where(and(eq(authTokens.userId, user.id), eq(authTokens.kind, 'SESSION'), keepTokenId ? ne(authTokens.id, keepTokenId) : undefined))
        .returning({ id: authTokens.id });
      await recordConfigChange(tx, { actorUserId, entityType: 'User', entityId: user.id, action: 'UPDATE', after: { password: true, sessionsEnded: sessions.length } });
      return sessions.map((s) => s.id);
    });
    if (ended.length) this.pubsub.publish('sessionsRevoked', { tokenIds: ended });
  }

  async setGroups(actor: Viewer, userId: string, groupIds: string[]): Promise<UserRow | ValidationError | NotFoundError> {
    const user = await this.user(userId);
    if (!user) return new NotFoundError('No such user');
    const wanted = [...new Set(groupIds)];
    const known = wanted.length && wanted.every(isUuid) ? await this.db.select({ id: technicianGroups.id }).from(technicianGroups).where(inArray(technicianGroups.id, wanted)) : [];
    const unknown = wanted.filter((id) => !known.some((k) => k.id === id));
    if (unknown.length) return ValidationError.of(unknown.map((id) => ({ path: ['technicianGroupIds', String(wanted.indexOf(id))], message: 'No such technician group' })));
    const before = (await this.groupsOf(userId)).map((g) => g.id);
    await this.db.transaction(async (tx) => {
      await tx.delete(technicianGroupMembers).where(eq(technicianGroupMembers.userId, userId));
      if (wanted.length) await tx.insert(technicianGroupMembers).values(wanted.map((groupId) => ({ groupId, userId })));
      await recordConfigChange(tx, { actorUserId: actor.user.id, entityType: 'UserGroups', entityId: userId, action: 'UPDATE', before: { technicianGroupIds: before }, after: { technicianGroupIds: wanted } });
    });
    return user;
  }

  /** A role's name: 1–200 characters, unique whatever the case. */
  private async roleName(input: string, exceptId?: string): Promise<string | ValidationError> {
    const name = input.trim();
    if (!name || name.length > 200) return ValidationError.of([{ path: ['name'], message: 'Enter a name (1–200 characters)' }]);
    const same = sql`lower(${roles.name}) = lower(${name})`;
    if ((await this.db.select({ id: roles.id }).from(roles).where(exceptId ? and(same, ne(roles.id, exceptId)) : same)).length) {
      return ValidationError.of([{ path: ['name'], message: 'A role with this name exists' }]);
    }
    return name;
  }

  async createRole(actor: Viewer, input: { name: string; permissions: Permission[] }): Promise<RoleRow | ValidationError> {
    const name = await this.roleName(input.name);
    if (name instanceof ValidationError) return name;
    const permissions = [...new Set(input.permissions)].filter((p) => PERMISSIONS.includes(p));
    return this.db.transaction(async (tx) => {
      const [role] = await tx.insert(roles).values({ name, permissions }).returning();
      await recordConfigChange(tx, { actorUserId: actor.user.id, entityType: 'Role', entityId: role!.id, action: 'CREATE', after: role });
      return role!;
    });
  }

  async updateRole(actor: Viewer, id: string, input: { name?: string | null; permissions?: Permission[] | null }): Promise<RoleRow | ValidationError | NotFoundError> {
    const before = await this.role(id);
    if (!before) return new NotFoundError('No such role');
    const name = input.name == null ? undefined : await this.roleName(input.name, id);
    if (name instanceof ValidationError) return name;
    const permissions = input.permissions ? [...new Set(input.permissions)].filter((p) => PERMISSIONS.includes(p)) : before.permissions;
    return this.db.transaction(async (tx) => {
      const [after] = await tx.update(roles).set({ name: name ?? before.name, permissions }).where(eq(roles.id, id)).returning();
      await recordConfigChange(tx, { actorUserId: actor.user.id, entityType: 'Role', entityId: id, action: 'UPDATE', before, after });
      return after!;
    });
  }

  /** Its users keep no role (they are technicians until given another). */
  async deleteRole(actor: Viewer, id: string): Promise<{ id: string } | NotFoundError> {
    const before = await this.role(id);
    if (!before) return new NotFoundError('No such role');
    await this.db.transaction(async (tx) => {
      await tx.delete(roles).where(eq(roles.id, id));
      await recordConfigChange(tx, { actorUserId: actor.user.id, entityType: 'Role', entityId: id, action: 'DELETE', before });
    });
    return { id };
  }

  async updateNotificationSettings(userId: string, input: Partial<Record<keyof NotificationSettings, boolean | null>>): Promise<UserRow> {
    const set = {
      ...(input.newTicketInMyGroups != null ? { notifyNewTicket: input.newTicketInMyGroups } : {}),
      ...(input.requesterRepliedOnMine != null ? { notifyRequesterReplied: input.requesterRepliedOnMine } : {}),
    };
    if (!Object.keys(set).length) return (await this.user(userId))!;
    const [after] = await this.db.update(users).set(set).where(eq(users.id, userId)).returning();
    return after!;
  }

  /** A new user with their groups, in one transaction: an unknown group creates nobody. */
  async createUser(actor: Viewer, input: { email: string; name: string; password: string; roleId: string | null; technicianGroupIds: string[] }): Promise<UserRow | ValidationError> {
    const errors: FieldError[] = [];
    if (await this.auth.findUserByEmail(input.email)) errors.push({ path: ['email'], message: 'A user with this email exists' });
    if (input.roleId && !(await this.role(input.roleId))) errors.push({ path: ['roleId'], message: 'No such role' });
    const groups = [...new Set(input.technicianGroupIds)];
    const known = groups.length && groups.every(isUuid) ? await this.db.select({ id: technicianGroups.id }).from(technicianGroups).where(inArray(technicianGroups.id, groups)) : [];
    groups.forEach((id, i) => {
      if (!known.some((k) => k.id === id)) errors.push({ path: ['technicianGroupIds', String(i)], message: 'No such technician group' });
    });
    if (errors.length) return ValidationError.of(errors);
    const passwordHash = await hashPassword(input.password);
    return this.db.transaction(async (tx) => {
      const [user] = await tx.insert(users).values({ email: input.email, name: input.name, passwordHash, roleId: input.roleId }).returning();
      if (groups.length) await tx.insert(technicianGroupMembers).values(groups.map((groupId) => ({ groupId, userId: user!.id })));
      await recordConfigChange(tx, { actorUserId: actor.user.id, entityType: 'User', entityId: user!.id, action: 'CREATE', after: { ...person(user!), technicianGroupIds: groups } });
      return user!;
    });
  }
}

/** What the audit trail keeps of a user (never the password hash). */
const person = (u: UserRow) => ({ name: u.name, email: u.email, roleId: u.roleId, isSuperAdmin: u.isSuperAdmin });
