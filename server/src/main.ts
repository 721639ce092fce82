import { adaptHeapToLoad } from './lib/heap.js';
import { SecretKeyMismatch, buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './lib/logger.js';

if (Number(process.versions.node.split('.')[0]) < 24) {
  console.error(`Mailroom needs Node.js 24 LTS or newer; this is Node.js ${process.versions.node}.`);
  process.exit(1);
}

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

const logger = createLogger(config.logLevel);
// The last line of defence: a promise some code path forgot to await must not end the help desk.
// Every known path handles its own failures; one that reaches here is a bug, logged loudly.
process.on('unhandledRejection', (reason) => {
  logger.error({ err: reason }, 'unhandled promise rejection (a bug); Mailroom keeps running');
});
if (config.secretKeyGenerated) {
  logger.warn({ file: `${config.dataDir}/secret.key` }, 'generated MAILROOM_SECRET_KEY into the data directory; back it up — stored mail passwords cannot be read without it');
}
let app;
try {
  app = await buildApp(config, logger);
} catch (err) {
  if (err instanceof SecretKeyMismatch) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
const { url } = await app.start();
adaptHeapToLoad(logger.child({ source: 'heap' }));

const { embedded } = app.services.database;
const lines = [`Mailroom is running at ${url}`, `  database: ${embedded ? `embedded PostgreSQL ${embedded.version} in ${embedded.dataDir}` : 'PostgreSQL (DATABASE_URL)'}`];
if (app.initialAdmin) {
  lines.push(`  sign in as ${app.initialAdmin.email}`);
  lines.push(app.initialAdmin.password ? `  password: ${app.initialAdmin.password}   (generated; shown only this once)` : '  password: the MAILROOM_ADMIN_PASSWORD you set');
} else {
  lines.push('  sign in with your existing account');
}
console.log(`\n${lines.join('\n')}\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.stop().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  });
}
