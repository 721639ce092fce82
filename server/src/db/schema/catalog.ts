import { sql } from 'drizzle-orm';
import { integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, createdAt } from './columns.js';

export const categories = pgTable('categories', {
  id: id(),
  name: text('name').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('categories_name_lower').on(sql`lower(${t.name})`)]);

export const companies = pgTable('companies', {
  id: id(),
  name: text('name').notNull().unique(),
  createdAt: createdAt(),
});

/** Admin-managed list of ticket priorities, shown in `position` order (first = lowest). */
export const priorities = pgTable('priorities', {
  id: id(),
  name: text('name').notNull(),
  position: integer('position').notNull().default(0),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('priorities_name_lower').on(sql`lower(${t.name})`)]);

/** Admin-managed list of request types (Incident, Service Request, …). */
export const requestTypes = pgTable('request_types', {
  id: id(),
  name: text('name').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('request_types_name_lower').on(sql`lower(${t.name})`)]);
