// Helpers for test files: handles on the services started by testkit/global-setup.ts.
//
//   const dovecot = getDovecot();            // shared Dovecot: addUser, deliver, ports, caPem
//   const url = await testDatabaseUrl();     // a fresh, empty database on the shared cluster
//   const pg = getPostgres();                // shared cluster (pg.url = superuser URL)
//
// The shared instances serve every test file of the run, several at a time: never stop or
// restart them. For outage/restart tests start a private instance in the test file
// (`startDovecot()` / `startPostgres()` from ./services/*, ~0.1 s / ~1 s) and `dispose()` it
// in afterAll; anything not disposed is still cleaned up at the end of the run.
import { inject } from 'vitest';
import type { ServicesInfo } from './services-info.ts';
import { connectDovecot, type Dovecot } from './services/dovecot.ts';
import { connectPostgres, createDatabase, type Postgres } from './services/postgres.ts';

export type { ServicesInfo } from './services-info.ts';

let services: ServicesInfo | undefined;
let dovecot: Dovecot | undefined;
let pg: Postgres | undefined;

/** Connection info provided by the global setup (throws if this project has none). */
export function servicesInfo(): ServicesInfo {
  services ??= inject('mailroomServices');
  if (!services) {
    throw new Error('mailroom test services are not running: this test must be in a project whose globalSetup is test/testkit/global-setup.ts');
  }
  return services;
}

/** The run's shared Dovecot. Prefer a private startDovecot() for tests that stop it. */
export function getDovecot(): Dovecot {
  return (dovecot ??= connectDovecot(servicesInfo().dovecot));
}

/** The run's shared PostgreSQL cluster. Prefer a private startPostgres() for tests that restart it. */
export function getPostgres(): Postgres {
  return (pg ??= connectPostgres(servicesInfo().postgres));
}

/** The URL of a fresh, empty database on the shared cluster. */
export async function testDatabaseUrl(): Promise<string> {
  return createDatabase(getPostgres().url);
}
