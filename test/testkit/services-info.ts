// What the global setup hands to test files (via vitest provide/inject). Plain data only.
import type { DovecotInfo } from './services/dovecot.ts';
import type { PostgresInfo } from './services/postgres.ts';

export interface ServicesInfo {
  dovecot: DovecotInfo;
  postgres: PostgresInfo;
  /** Leak registry dir (see services/util.ts); also in $MAILROOM_TEST_RUN_DIR. */
  runDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    mailroomServices: ServicesInfo;
  }
}
