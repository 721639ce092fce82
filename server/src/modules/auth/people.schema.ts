import { builder } from '../../graphql/builder.js';
import { DeleteResultRef, InvalidCredentialsRef, TooManyAttemptsRef, ValidationErrorRef, okOrError, resultUnion } from '../../graphql/errors.js';
import { isUuid } from '../../lib/uuid.js';
import { NotFoundError } from '../../lib/errors.js';
import { TechnicianGroupRef } from '../catalog/catalog.schema.js';
import { PermissionRef, RoleRef, UserRef, roleResult, userResult } from './auth.schema.js';
import type { UserRow } from './auth.service.js';

const NotificationSettingsRef = builder.objectRef<UserRow>('NotificationSettings').implement({
  description: 'Which in-app ticket notifications the user gets.',
  fields: (t) => ({
    newTicketInMyGroups: t.boolean({ resolve: (u) => u.notifyNewTicket }),
    requesterRepliedOnMine: t.boolean({ description: 'A requester replied on a ticket assigned to me.', resolve: (u) => u.notifyRequesterReplied }),
  }),
});

const superAdmin = { superAdmin: true } as const;

builder.objectFields(UserRef, (t) => ({
  technicianGroups: t.field({ type: [TechnicianGroupRef], resolve: (u, _a, ctx) => ctx.services.people.groupsOf(u.id) }),
  role: t.field({ type: RoleRef, nullable: true, resolve: async (u, _a, ctx) => (u.roleId ? ((await ctx.services.people.role(u.roleId)) ?? null) : null) }),
  notificationSettings: t.field({
    type: NotificationSettingsRef,
    description: 'Your own, or anyone\'s for a Super Admin.',
    authScopes: (u, _a, ctx) => (u.id === ctx.viewer?.user.id ? true : superAdmin),
    resolve: (u) => u,
  }),
}));

builder.objectField(TechnicianGroupRef, 'members', (t) =>
  t.field({ type: [UserRef], description: 'Its technicians, deactivated ones too (User.active).', resolve: (g, _a, ctx) => ctx.services.people.membersOf(g.id) }));

const passwordResult = resultUnion('ChangePassword', 'user', UserRef, [ValidationErrorRef, InvalidCredentialsRef, TooManyAttemptsRef]);

const UpdateUserInput = builder.inputType('UpdateUserInput', {
  description: 'Absent fields stay as they are; roleId null takes the role away.',
  fields: (t) => ({ name: t.string(), email: t.string(), roleId: t.id(), isSuperAdmin: t.boolean() }),
});
const NotificationSettingsInput = builder.inputType('NotificationSettingsInput', {
  fields: (t) => ({ newTicketInMyGroups: t.boolean(), requesterRepliedOnMine: t.boolean() }),
});

builder.queryFields((t) => ({
  roles: t.field({ type: [RoleRef], authScopes: superAdmin, resolve: (_r, _a, ctx) => ctx.services.people.roles() }),
}));

builder.mutationFields((t) => ({
  updateUser: t.field({
    type: userResult.union,
    authScopes: superAdmin,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateUserInput, required: true }) },
    resolve: async (_r, { id, input }, ctx) => {
      const patch = {
        ...(input.name != null ? { name: input.name } : {}),
        ...(input.email != null ? { email: input.email } : {}),
        ...(input.roleId !== undefined ? { roleId: input.roleId === null ? null : String(input.roleId) } : {}),
        ...(input.isSuperAdmin != null ? { isSuperAdmin: input.isSuperAdmin } : {}),
      };
      return okOrError(await ctx.services.people.updateUser(ctx.viewer!, String(id), patch), userResult.ok);
    },
  }),
  resetUserPassword: t.field({
    type: userResult.union,
    authScopes: superAdmin,
    description: 'Sets a new password; every session of that user ends at once (API tokens stay).',
    args: { id: t.arg.id({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_r, { id, password }, ctx) => okOrError(await ctx.services.people.resetPassword(ctx.viewer!, String(id), password), userResult.ok),
  }),
  changeMyPassword: t.field({
    type: passwordResult.union,
    description: 'Your other sessions end; this one stays.',
    args: { currentPassword: t.arg.string({ required: true }), newPassword: t.arg.string({ required: true }) },
    resolve: async (_r, { currentPassword, newPassword }, ctx) =>
      okOrError(await ctx.services.people.changeOwnPassword(ctx.viewer!, currentPassword, newPassword, ctx.clientIp), passwordResult.ok),
  }),
  setUserGroups: t.field({
    type: userResult.union,
    authScopes: superAdmin,
    description: 'The user\'s technician groups, all of them (an empty list: none).',
    args: { userId: t.arg.id({ required: true }), technicianGroupIds: t.arg.idList({ required: true }) },
    resolve: async (_r, { userId, technicianGroupIds }, ctx) =>
      okOrError(await ctx.services.people.setGroups(ctx.viewer!, String(userId), technicianGroupIds.map(String)), userResult.ok),
  }),
  updateRole: t.field({
    type: roleResult.union,
    authScopes: superAdmin,
    args: { id: t.arg.id({ required: true }), name: t.arg.string(), permissions: t.arg({ type: [PermissionRef] }) },
    resolve: async (_r, { id, name, permissions }, ctx) => {
      const result = isUuid(String(id)) ? await ctx.services.people.updateRole(ctx.viewer!, String(id), { name, permissions }) : new NotFoundError('No such role');
      return okOrError(result, roleResult.ok);
    },
  }),
  deleteRole: t.field({
    type: DeleteResultRef,
    authScopes: superAdmin,
    description: 'Its users keep no role.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.services.people.deleteRole(ctx.viewer!, String(id)),
  }),
  updateMyNotificationSettings: t.field({
    type: UserRef,
    args: { input: t.arg({ type: NotificationSettingsInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.people.updateNotificationSettings(ctx.viewer!.user.id, input),
  }),
}));

