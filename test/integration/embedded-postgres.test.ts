import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_SETTINGS, startEmbeddedPostgres } from '../../server/src/db/embedded-postgres.ts';
import { createLogger } from '../../server/src/lib/logger.ts';
import { removeDir } from '../testkit/app.ts';
import { processesIn } from '../testkit/proc.ts';

const logger = createLogger('silent');

async function answers(pg: Awaited<ReturnType<typeof startEmbeddedPostgres>>): Promise<number> {
  const sql = postgres({ ...pg.connection, max: 1, onnotice: () => {} });
  try {
    return (await sql`select 41 + 1 as n`)[0]!.n as number;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

describe('the embedded PostgreSQL after a crash', () => {
  // A power cut leaves postmaster.pid and the socket's lock file behind. Their pid may by now name
  // another process: a reused pid, or the killed postmaster as a zombie that no init reaps (kill -9
  // of Mailroom and of PostgreSQL together in a container). PostgreSQL refuses both lock files then.
  it('starts over lock files whose pid now names another process', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-embedded-lock-'));
    const cluster = path.join(dataDir, 'postgres');
    let stranger: ChildProcess | undefined;
    try {
      const first = await startEmbeddedPostgres({ dataDir, logger });
      expect(await answers(first)).toBe(42);
      await first.stop();
      // PostgreSQL takes a pid for alive only when it may signal it: the stranger runs as its user.
      const owner = await fs.stat(cluster);
      stranger = spawn('sleep', ['120'], { stdio: 'ignore', uid: owner.uid, gid: owner.gid });

      const lock = (port: string) => `${stranger!.pid}\n/proc/self/fd/3\n${Math.floor(Date.now() / 1000)}\n${port}\n/proc/self/fd/3\n\n  5432001    123456\nready   \n`;
      await fs.writeFile(path.join(cluster, 'postmaster.pid'), lock(EMBEDDED_SETTINGS.port!));
      await fs.writeFile(path.join(cluster, `.s.PGSQL.${EMBEDDED_SETTINGS.port}.lock`), lock(EMBEDDED_SETTINGS.port!));

      const second = await startEmbeddedPostgres({ dataDir, logger });
      try {
        expect(await answers(second)).toBe(42);
      } finally {
        await second.stop();
      }
      expect(processesIn(cluster)).toEqual([]);
      expect(stranger!.exitCode).toBeNull(); // the stranger was left alone
    } finally {
      stranger?.kill('SIGKILL');
      removeDir(dataDir);
    }
  }, 120_000);
});
