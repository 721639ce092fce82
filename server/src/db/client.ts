import path from 'node:path';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Logger } from '../lib/logger.js';
import type { NotifyTransport } from '../lib/pubsub.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything that can run a query: the database or an open transaction. */
export type Queryable = Db | Tx;

export interface Database {
  db: Db;
  kind: 'embedded' | 'postgres';
  /** The PostgreSQL server Mailroom runs itself (no DATABASE_URL), or null. */
  embedded: EmbeddedPostgres | null;
  /** LISTEN/NOTIFY for events across processes. */
  notify: NotifyTransport;
  /** Statements sent through drizzle since the start (the statement-count tests read it around one request). */
  statementCount(): number;
  close(): Promise<void>;
}

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../../drizzle');

/**
 * postgres.js on `url`, or on the embedded PostgreSQL in `<dataDir>/postgres` when no URL is
 * given (started here, stopped by close()); migrations are applied before returning.
 */
export async function openDatabase(opts: { url: string; logger: Logger } | { url: string | undefined; dataDir: string; logger: Logger }): Promise<Database> {
  const embedded = opts.url || !('dataDir' in opts) ? null : await startEmbeddedPostgres({ dataDir: opts.dataDir, logger: opts.logger.child({ source: 'postgres' }) });
  // An idle connection gives its backend process (10–20 MB of RSS each) back after 20 s; opening
  // a new one when work comes back costs a few milliseconds over the socket.
  const options = { onnotice: () => {}, connection: { application_name: 'mailroom' }, idle_timeout: 20 };
  const connect = (max: number) => (embedded ? postgres({ ...options, ...embedded.connection, max }) : postgres(opts.url!, { ...options, max }));
  try {
    // On a connection of its own: the backend that ran the migrations has read every table and
    // index once and holds that memory for as long as it lives.
    const migrator = connect(1);
    try {
      await migrate(drizzle(migrator, { schema }), { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await migrator.end({ timeout: 5 });
    }
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  const client = connect(10);
  // drizzle's logger hook rather than postgres.js' `debug`, which captures a stack per query and
  // makes the parameters of a failed query enumerable (into the logs).
  let statements = 0;
  const db = drizzle(client, { schema, logger: { logQuery: () => void statements++ } });
  return {
    db: db as unknown as Db,
    kind: embedded ? 'embedded' : 'postgres',
    embedded,
    notify: {
      listen: async (channel, onMessage) => {
        await client.listen(channel, onMessage);
      },
      notify: async (channel, payloads) => {
        if (payloads.length === 1) await client.notify(channel, payloads[0]!);
        else await client`select pg_notify(${channel}, p) from unnest(${client.array(payloads, 25)}::text[]) as p`;
      },
    },
    statementCount: () => statements,
    async close() {
      await client.end({ timeout: 5 });
      await embedded?.stop();
    },
  };
}
