import { relations } from 'drizzle-orm';
import { authTokens, roles, technicianGroupMembers, technicianGroups, users } from './schema/auth.js';
import { configAudit, emailAudit } from './schema/audit.js';
import { categories, companies } from './schema/catalog.js';
import { mailboxCheckpoints, mailboxLeases, serverHealth } from './schema/mailbox-state.js';
import { incomingServers, outgoingServers, proxyServers } from './schema/mail-servers.js';
import { notifications } from './schema/notifications.js';
import { outboundMail } from './schema/outbound.js';
import { attachments, messages, quarantine, requesters, ticketParticipants, tickets } from './schema/tickets.js';

// The main associations, for `db.query.<table>.findMany({ with: … })`. Foreign keys live on the tables.

export const rolesRelations = relations(roles, ({ many }) => ({ users: many(users) }));

export const usersRelations = relations(users, ({ one, many }) => ({
  role: one(roles, { fields: [users.roleId], references: [roles.id] }),
  tokens: many(authTokens),
  groups: many(technicianGroupMembers),
  notifications: many(notifications),
}));

export const authTokensRelations = relations(authTokens, ({ one }) => ({
  user: one(users, { fields: [authTokens.userId], references: [users.id] }),
}));

export const technicianGroupsRelations = relations(technicianGroups, ({ many }) => ({ members: many(technicianGroupMembers) }));

export const technicianGroupMembersRelations = relations(technicianGroupMembers, ({ one }) => ({
  group: one(technicianGroups, { fields: [technicianGroupMembers.groupId], references: [technicianGroups.id] }),
  user: one(users, { fields: [technicianGroupMembers.userId], references: [users.id] }),
}));

export const incomingServersRelations = relations(incomingServers, ({ one, many }) => ({
  health: one(serverHealth),
  lease: one(mailboxLeases),
  technicianGroup: one(technicianGroups, { fields: [incomingServers.technicianGroupId], references: [technicianGroups.id] }),
  category: one(categories, { fields: [incomingServers.categoryId], references: [categories.id] }),
  company: one(companies, { fields: [incomingServers.companyId], references: [companies.id] }),
  proxyServer: one(proxyServers, { fields: [incomingServers.proxyServerId], references: [proxyServers.id] }),
  outgoingServer: one(outgoingServers, { fields: [incomingServers.outgoingServerId], references: [outgoingServers.id] }),
  checkpoints: many(mailboxCheckpoints),
  messages: many(messages),
  tickets: many(tickets),
}));

export const serverHealthRelations = relations(serverHealth, ({ one }) => ({
  server: one(incomingServers, { fields: [serverHealth.serverId], references: [incomingServers.id] }),
}));

export const mailboxLeasesRelations = relations(mailboxLeases, ({ one }) => ({
  server: one(incomingServers, { fields: [mailboxLeases.serverId], references: [incomingServers.id] }),
}));

export const mailboxCheckpointsRelations = relations(mailboxCheckpoints, ({ one }) => ({
  server: one(incomingServers, { fields: [mailboxCheckpoints.serverId], references: [incomingServers.id] }),
}));

export const outgoingServersRelations = relations(outgoingServers, ({ many }) => ({ outboundMail: many(outboundMail) }));

export const requestersRelations = relations(requesters, ({ many }) => ({ tickets: many(tickets) }));

export const ticketsRelations = relations(tickets, ({ one, many }) => ({
  requester: one(requesters, { fields: [tickets.requesterId], references: [requesters.id] }),
  technicianGroup: one(technicianGroups, { fields: [tickets.technicianGroupId], references: [technicianGroups.id] }),
  category: one(categories, { fields: [tickets.categoryId], references: [categories.id] }),
  company: one(companies, { fields: [tickets.companyId], references: [companies.id] }),
  incomingServer: one(incomingServers, { fields: [tickets.incomingServerId], references: [incomingServers.id] }),
  participants: many(ticketParticipants),
  messages: many(messages),
  attachments: many(attachments),
  outboundMail: many(outboundMail),
}));

export const ticketParticipantsRelations = relations(ticketParticipants, ({ one }) => ({
  ticket: one(tickets, { fields: [ticketParticipants.ticketId], references: [tickets.id] }),
}));

export const messagesRelations = relations(messages, ({ one, many }) => ({
  server: one(incomingServers, { fields: [messages.serverId], references: [incomingServers.id] }),
  ticket: one(tickets, { fields: [messages.ticketId], references: [tickets.id] }),
  attachments: many(attachments),
}));

export const attachmentsRelations = relations(attachments, ({ one }) => ({
  message: one(messages, { fields: [attachments.messageRowId], references: [messages.id] }),
  ticket: one(tickets, { fields: [attachments.ticketId], references: [tickets.id] }),
}));

export const quarantineRelations = relations(quarantine, ({ one }) => ({
  message: one(messages, { fields: [quarantine.messageRowId], references: [messages.id] }),
  server: one(incomingServers, { fields: [quarantine.serverId], references: [incomingServers.id] }),
  resolvedBy: one(users, { fields: [quarantine.resolvedByUserId], references: [users.id] }),
}));

export const outboundMailRelations = relations(outboundMail, ({ one }) => ({
  ticket: one(tickets, { fields: [outboundMail.ticketId], references: [tickets.id] }),
  outgoingServer: one(outgoingServers, { fields: [outboundMail.outgoingServerId], references: [outgoingServers.id] }),
}));

export const notificationsRelations = relations(notifications, ({ one }) => ({
  user: one(users, { fields: [notifications.userId], references: [users.id] }),
  server: one(incomingServers, { fields: [notifications.serverId], references: [incomingServers.id] }),
}));

export const emailAuditRelations = relations(emailAudit, ({ one }) => ({
  server: one(incomingServers, { fields: [emailAudit.serverId], references: [incomingServers.id] }),
  message: one(messages, { fields: [emailAudit.messageRowId], references: [messages.id] }),
  ticket: one(tickets, { fields: [emailAudit.ticketId], references: [tickets.id] }),
}));

export const configAuditRelations = relations(configAudit, ({ one }) => ({
  actor: one(users, { fields: [configAudit.actorUserId], references: [users.id] }),
}));
