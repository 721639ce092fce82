// A server in its own process (spawnServer, as `pnpm start` runs it) with one IMAP mailbox on the
// shared Dovecot, connected with IDLE: for tests that read that process's memory, event loop or logs.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraphQLClient, removeDir, spawnServer, type ServerProcess } from './app.ts';
import { getDovecot, testDatabaseUrl } from './env.ts';
import { health, seeder } from './seed.ts';
import { waitFor } from './services/util.ts';

export interface SpawnedMailbox { server: ServerProcess; admin: GraphQLClient; serverId: string; user: string; dispose(): Promise<void> }

export async function spawnServerWithMailbox(name: string): Promise<SpawnedMailbox> {
  const user = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.test`;
  const dataDir = mkdtempSync(path.join(tmpdir(), `mailroom-${name.toLowerCase()}-`));
  await getDovecot().addUser(user, 'pw');
  const server = await spawnServer({ dataDir, databaseUrl: await testDatabaseUrl() });
  const admin = new GraphQLClient(server.url);
  await admin.signIn();
  const serverId = (await seeder(admin).incomingServer({ name, email: user, protocol: 'IMAP', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE', password: 'pw', realTimeScanning: true })).id;
  await waitFor('connected', async () => (await health(admin, serverId)).connectionState === 'connected', 30_000);
  return {
    server, admin, serverId, user,
    async dispose() {
      await server.kill('SIGTERM');
      removeDir(dataDir);
    },
  };
}

/** One spawned server with its mailbox for the whole file: started before its tests, stopped after; read it inside a test. */
export function useSpawnedMailbox(name: string): () => SpawnedMailbox {
  let mailbox: SpawnedMailbox | undefined;
  beforeAll(async () => {
    mailbox = await spawnServerWithMailbox(name);
  });
  afterAll(async () => {
    await mailbox?.dispose();
  });
  return () => mailbox!;
}
