import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/src/config.ts';

describe('config', () => {
  const dataDir = () => mkdtempSync(path.join(tmpdir(), 'mailroom-config-'));

  it('defaults and generates the secret key into the data dir once', () => {
    const dir = dataDir();
    const first = loadConfig({ MAILROOM_DATA_DIR: dir });
    expect(first).toMatchObject({ port: 4000, databaseUrl: undefined, logLevel: 'info', secretKeyGenerated: true });
    expect(readFileSync(path.join(dir, 'secret.key'), 'utf8').trim()).toBe(first.secretKey.toString('hex'));
    const second = loadConfig({ MAILROOM_DATA_DIR: dir });
    expect(second.secretKeyGenerated).toBe(false);
    expect(second.secretKey.equals(first.secretKey)).toBe(true);
  });

  it('lists every problem in one error', () => {
    let error: unknown;
    try {
      loadConfig({ MAILROOM_DATA_DIR: dataDir(), PORT: 'abc', DATABASE_URL: 'mysql://x', MAILROOM_ADMIN_EMAIL: 'nope', LOG_LEVEL: 'loud', MAILROOM_SECRET_KEY: 'short' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'MAILROOM_ADMIN_EMAIL', 'LOG_LEVEL', 'MAILROOM_SECRET_KEY']) expect(problems).toContain(name);
  });
});
