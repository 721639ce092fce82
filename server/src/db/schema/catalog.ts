import { sql } from 'drizzle-orm';
import { pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
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
