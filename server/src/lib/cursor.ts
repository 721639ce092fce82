// Keyset cursors on (time, id) for lists ordered newest first. The cursor carries the database's
// own text of the time: a JS Date would drop its microseconds and skip rows.
import { and, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { isUuid } from './uuid.js';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}(:?\d{2})?|Z)?$/;

export function encodeTimeCursor(at: string, id: string): string {
  return Buffer.from(`${at}|${id}`).toString('base64url');
}

export function decodeTimeCursor(cursor: string): { at: string; id: string } | null {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  return at && id && isUuid(id) && TIMESTAMP.test(at) ? { at, id } : null;
}

/** Rows after `cursor` in (time desc, id desc) order; nothing to add for a missing or bad cursor. */
export function afterTimeCursor(atColumn: AnyPgColumn, idColumn: AnyPgColumn, cursor: string | null | undefined): SQL | undefined {
  const c = cursor ? decodeTimeCursor(cursor) : null;
  if (!c) return undefined;
  const at = sql`${c.at}::timestamptz`;
  return or(lt(atColumn, at), and(eq(atColumn, at), lt(idColumn, c.id)));
}
