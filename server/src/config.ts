import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { emailAddress } from './lib/inputs.js';

const booleanFlag = z
  .enum(['0', '1', 'true', 'false', ''])
  .optional()
  .transform((v) => v === '1' || v === 'true');

const optionalText = z.string().trim().optional().transform((v) => v || undefined);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.url().optional(),
  MAILROOM_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  MAILROOM_ADMIN_EMAIL: emailAddress().optional().or(z.literal('').transform(() => undefined)),
  MAILROOM_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional().or(z.literal('').transform(() => undefined)),
  MAILROOM_SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$|^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes as 64 hex characters or base64')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  MAILROOM_ALLOW_LOOPBACK_MAIL_SERVERS: booleanFlag,
  MAILROOM_DISABLE_POLLERS: booleanFlag,
  MAILROOM_LEASE_TTL_SECONDS: z.coerce.number().int().min(2).max(3600).default(30),
  /** Health notifications: how long a recovered server must stay up before "recovered" is announced. */
  MAILROOM_HEALTH_RECOVERY_STABLE_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /** Health notifications: a failure this soon after an announced recovery folds into the same outage. */
  MAILROOM_HEALTH_FLAP_WINDOW_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
  MAILROOM_CREDENTIAL_CHECK_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(3_600_000),
  MAILROOM_WEB_DIST: z.string().optional(),
  /** Browser origins besides PUBLIC_URL's that may use the API with the session cookie (comma-separated). */
  MAILROOM_ALLOWED_ORIGINS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.url({ protocol: /^https?$/, error: 'must be http(s):// origins, comma-separated' }))),
  /** Behind a reverse proxy: take the client address from X-Forwarded-For (its last entry). */
  MAILROOM_TRUST_PROXY: booleanFlag,
  /** "Sign in with Microsoft": the installation's app registration (one for every Microsoft mailbox). */
  MAILROOM_MICROSOFT_CLIENT_ID: optionalText,
  MAILROOM_MICROSOFT_CLIENT_SECRET: optionalText,
  MAILROOM_MICROSOFT_AUTHORITY: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional().or(z.literal('').transform(() => undefined)),
  MAILROOM_GOOGLE_CLIENT_ID: optionalText,
  MAILROOM_GOOGLE_CLIENT_SECRET: optionalText,
  /** Test-only fault injection: the named point kills the process with SIGKILL (see lib/faults.ts). */
  MAILROOM_FAULT_POINT: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  port: number;
  host: string;
  publicUrl: string | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  admin: { email: string | undefined; password: string | undefined };
  secretKey: Buffer;
  secretKeyGenerated: boolean;
  allowLoopbackMailServers: boolean;
  pollersEnabled: boolean;
  /** Scale-out: how long a process's claim on a mailbox lasts without renewal. */
  leaseTtlSeconds: number;
  health: { recoveryStableMs: number; flapWindowMs: number; credentialCheckIntervalMs: number };
  webDist: string;
  allowedOrigins: string[];
  trustProxy: boolean;
  logLevel: Env['LOG_LEVEL'];
  faultPoint: string | undefined;
  microsoft: { clientId: string | undefined; clientSecret: string | undefined; authority: string };
  google: { clientId: string | undefined; clientSecret: string | undefined };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function parseEnv(env: NodeJS.ProcessEnv): Env {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const problems: string[] = [];
  const e = result.data;
  if (Boolean(e.MAILROOM_ADMIN_EMAIL) !== Boolean(e.MAILROOM_ADMIN_PASSWORD) && e.MAILROOM_ADMIN_PASSWORD) {
    problems.push('MAILROOM_ADMIN_PASSWORD: set MAILROOM_ADMIN_EMAIL too');
  }
  for (const [id, secret, prefix] of [
    [e.MAILROOM_MICROSOFT_CLIENT_ID, e.MAILROOM_MICROSOFT_CLIENT_SECRET, 'MAILROOM_MICROSOFT'],
    [e.MAILROOM_GOOGLE_CLIENT_ID, e.MAILROOM_GOOGLE_CLIENT_SECRET, 'MAILROOM_GOOGLE'],
  ] as const) {
    if (id && !secret) problems.push(`${prefix}_CLIENT_SECRET: set it too (with ${prefix}_CLIENT_ID)`);
    if (secret && !id) problems.push(`${prefix}_CLIENT_ID: set it too (with ${prefix}_CLIENT_SECRET)`);
  }
  if (problems.length) throw new ConfigError(problems);
  return e;
}

function decodeKey(raw: string): Buffer {
  return /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
}

/** The only place that reads process.env. A missing secret key is generated into the data dir once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(env);
  // `pnpm start` runs in server/; INIT_CWD is where the user typed it, so ./data lands beside them.
  const dataDir = path.resolve(env.INIT_CWD ?? process.cwd(), e.MAILROOM_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  let secretKey: Buffer;
  let secretKeyGenerated = false;
  if (e.MAILROOM_SECRET_KEY) {
    secretKey = decodeKey(e.MAILROOM_SECRET_KEY);
  } else {
    const keyFile = path.join(dataDir, 'secret.key');
    if (existsSync(keyFile)) {
      const raw = readFileSync(keyFile, 'utf8').trim();
      if (!/^[0-9a-fA-F]{64}$/.test(raw)) throw new ConfigError([`${keyFile}: not a 64-hex-character key`]);
      secretKey = decodeKey(raw);
    } else {
      secretKey = randomBytes(32);
      writeFileSync(keyFile, secretKey.toString('hex') + '\n', { mode: 0o600 });
      secretKeyGenerated = true;
    }
  }
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    admin: { email: e.MAILROOM_ADMIN_EMAIL, password: e.MAILROOM_ADMIN_PASSWORD },
    secretKey,
    secretKeyGenerated,
    allowLoopbackMailServers: e.MAILROOM_ALLOW_LOOPBACK_MAIL_SERVERS,
    pollersEnabled: !e.MAILROOM_DISABLE_POLLERS,
    leaseTtlSeconds: e.MAILROOM_LEASE_TTL_SECONDS,
    health: {
      recoveryStableMs: e.MAILROOM_HEALTH_RECOVERY_STABLE_MS,
      flapWindowMs: e.MAILROOM_HEALTH_FLAP_WINDOW_MS,
      credentialCheckIntervalMs: e.MAILROOM_CREDENTIAL_CHECK_INTERVAL_MS,
    },
    webDist: path.resolve(e.MAILROOM_WEB_DIST ?? path.join(import.meta.dirname, '../../web/dist')),
    allowedOrigins: e.MAILROOM_ALLOWED_ORIGINS,
    trustProxy: e.MAILROOM_TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    faultPoint: e.MAILROOM_FAULT_POINT || undefined,
    microsoft: { clientId: e.MAILROOM_MICROSOFT_CLIENT_ID, clientSecret: e.MAILROOM_MICROSOFT_CLIENT_SECRET, authority: (e.MAILROOM_MICROSOFT_AUTHORITY ?? 'https://login.microsoftonline.com/common').replace(/\/+$/, '') },
    google: { clientId: e.MAILROOM_GOOGLE_CLIENT_ID, clientSecret: e.MAILROOM_GOOGLE_CLIENT_SECRET },
  };
}
