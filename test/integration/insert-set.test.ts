// db/insert-set.ts against a real PostgreSQL: every column type the ingest writes, awkward text,
// all 256 byte values, NULLs in some rows only, and a conflict clause.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSet } from '../../server/src/db/insert-set.ts';
import { messages, requesters } from '../../server/src/db/schema.ts';
import { startTestApp, type TestApp } from '../testkit/app.ts';

describe('insertSet', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('writes many rows in one statement exactly as drizzle would', async () => {
    const db = t.app.services.db;
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const awkward = 'quote " backslash \\ brace {} comma , \u00e9 \ud83d\ude00 <p class="x">\n\ttab';
    const rows = [
      { sourceKey: `set:${randomUUID()}`, contentHash: 'h1', rawSize: bytes.length, raw: bytes, subject: awkward, references: ['<a,b@x>', '"q"', '\\'], sentAt: new Date('2026-01-02T03:04:05.678Z') },
      { sourceKey: `set:${randomUUID()}`, contentHash: 'h2', rawSize: 0, raw: Buffer.alloc(0), subject: null, references: [], sentAt: null },
    ];
    await insertSet(db, messages, rows);
    const stored = await db.select().from(messages).where(sql`${messages.sourceKey} = any(${`{${rows.map((r) => `"${r.sourceKey}"`).join(',')}}`}::text[])`);
    const bySource = new Map(stored.map((r) => [r.sourceKey, r]));
    for (const row of rows) {
      const got = bySource.get(row.sourceKey)!;
      expect(Buffer.compare(got.raw, row.raw)).toBe(0);
      expect(got.subject).toBe(row.subject);
      expect(got.references).toEqual(row.references);
      expect(got.sentAt?.toISOString() ?? null).toBe(row.sentAt?.toISOString() ?? null);
      expect(got.direction).toBe('INBOUND'); // the column's default
    }
  });

  it('passes a conflict clause through and returns nothing extra', async () => {
    const db = t.app.services.db;
    const email = `set-${randomUUID()}@example.test`;
    await insertSet(db, requesters, [{ email, name: 'First' }], sql`on conflict do nothing`);
    await insertSet(db, requesters, [{ email: email.toUpperCase(), name: 'Second' }, { email: `other-${email}`, name: null }], sql`on conflict do nothing`);
    const found = await db.select().from(requesters).where(sql`lower(${requesters.email}) in (${email}, ${`other-${email}`})`);
    expect(found.map((r) => r.name).sort()).toEqual(['First', null].sort());
  });
});
