import { Client, Connection } from '@temporalio/client';
import { ConfigError, loadEnv } from '../config/env.js';
import { keyringFromEnv } from '../config/keyring.js';
import { createPool } from '../db/pool.js';
import { createLogger } from '../logging.js';
import { startApi, type RunningApi } from './server.js';

/**
 * The API as its own process: `node dist/src/api/main.js` (docker-compose) or `tsx src/api/main.ts`.
 * Temporal is connected lazily, so the API comes up (and /readyz says what is missing) even while
 * Temporal is still starting. Migrations are the migrate step's job, not this process's.
 */
let env;
try {
  env = loadEnv();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
const log = createLogger(env.LOG_LEVEL).child({ component: 'api' });
const pool = createPool(env.DATABASE_URL);
const keyring = keyringFromEnv(env);
const connection = Connection.lazy({ address: env.TEMPORAL_ADDRESS, connectTimeout: '5 seconds' });
const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });

let api: RunningApi;
try {
  api = await startApi({ env, pool, keyring, client, logger: log });
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
log.info({ url: api.url, docs: `${api.url}/docs` }, 'API listening');
if (api.generatedToken) {
  // Development only (NODE_ENV != production and API_TOKENS empty): a token for this process's lifetime.
  process.stdout.write(
    `\nua-export API on ${api.url} (docs ${api.url}/docs)\nDevelopment token (API_TOKENS is empty): ${api.generatedToken}\n  curl -H 'Authorization: Bearer ${api.generatedToken}' ${api.url}/v1/event-types\n\n`,
  );
}

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'API stopping');
  await api.close().catch(() => undefined);
  await connection.close().catch(() => undefined);
  await pool.end().catch(() => undefined);
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
