// Every table, by area (schema/<area>.ts), and their relations: what the drizzle client is built with.
// drizzle-kit reads schema/ directly (drizzle.config.ts); migrations come from there.
export * from './schema/auth.js';
export * from './schema/catalog.js';
export * from './schema/mail-servers.js';
export * from './schema/mailbox-state.js';
export * from './schema/tickets.js';
export * from './schema/rules.js';
export * from './schema/outbound.js';
export * from './schema/notifications.js';
export * from './schema/settings.js';
export * from './schema/audit.js';
export * from './relations.js';
