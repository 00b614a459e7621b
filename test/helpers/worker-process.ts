/**
 * A worker in its own process, so a test can SIGKILL it mid-upload the way a crash or OOM would.
 * Unlike src/worker/main.ts it skips schedule reconciliation: tests share one Temporal server.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadEnv, partSizeBytes } from '../../src/config/env.js';
import { keyringFromEnv } from '../../src/config/keyring.js';
import { createPool } from '../../src/db/pool.js';
import { createExportWorker } from '../../src/worker/worker.js';

const env = loadEnv();
const pool = createPool(env.DATABASE_URL);
const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
const worker = await createExportWorker({
  connection,
  namespace: env.TEMPORAL_NAMESPACE,
  taskQueue: env.TEMPORAL_TASK_QUEUE,
  pool,
  keyring: keyringFromEnv(env),
  partSize: partSizeBytes(env),
  partDelayMs: Number(process.env.UA_EXPORT_TEST_PART_DELAY_MS ?? 0) || undefined,
});
process.send?.({ ready: true });
await worker.run();
await pool.end();
