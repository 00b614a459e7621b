import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startMetricsServer } from '../metrics/server.js';
import { loadEnv } from '../config/env.js';
import { keyringFromEnv } from '../config/keyring.js';
import { createPool } from '../db/pool.js';
import { migrate } from '../db/migrate.js';
import { listIntegrations } from '../integrations/repo.js';
import { connectClient } from '../temporal/connection.js';
import { reconcileSchedules } from '../temporal/schedules.js';
import { createLogger } from '../logging.js';
import { pauseSweepFromEnv } from './pause-sweep-loop.js';
import { createExportWorker, pollsWorkflows, prebuildWorkflowBundle, workerSettingsFromEnv } from './worker.js';
import os from 'node:os';
import path from 'node:path';
import { existsSync, rmSync } from 'node:fs';

/** The worker process: migrates, repairs schedule drift, then polls the task queue until SIGINT/SIGTERM. */
const env = loadEnv();
const log = createLogger(env.LOG_LEVEL).child({ component: 'worker' });
// The SDK's runtime metrics (task latencies, slots, polls…) go to a local Prometheus exporter that the
// worker's /metrics endpoint appends to the product's own metrics.
Runtime.install({
  logger: new DefaultLogger(env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace' ? 'DEBUG' : 'INFO'),
  telemetryOptions: { metrics: { prometheus: { bindAddress: env.TEMPORAL_SDK_METRICS_ADDRESS } } },
});
// A taken metrics port (a second worker on the host) must not stop exports: log it and go on.
const metricsServer =
  env.WORKER_METRICS_PORT > 0
    ? await startMetricsServer(env.WORKER_METRICS_HOST, env.WORKER_METRICS_PORT, env.TEMPORAL_SDK_METRICS_ADDRESS).catch((err: Error) => {
        log.error({ err: { message: err.message } }, 'metrics endpoint could not start; set WORKER_METRICS_PORT to a free port (0 turns it off)');
        return null;
      })
    : null;
if (metricsServer) log.info({ url: `http://${env.WORKER_METRICS_HOST}:${env.WORKER_METRICS_PORT}/metrics` }, 'metrics endpoint');
const pool = createPool(env.DATABASE_URL, env.WORKER_DB_POOL_MAX);
const keyring = keyringFromEnv(env);
await migrate(env.DATABASE_URL, (m) => log.debug(m));

const client = await connectClient(env);
const reconciled = await reconcileSchedules(client, await listIntegrations(pool), { taskQueue: env.TEMPORAL_TASK_QUEUE });
log.info(reconciled, 'schedules reconciled');

const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
const partDelayMs = Number(process.env.UA_EXPORT_TEST_PART_DELAY_MS ?? 0) || undefined;
// A prebuilt bundle spares the start-up child, whose RSS adds to the worker's for a few seconds
// (docs/BENCHMARKS.md); it must come from the same build as this code.
// A worker of role activities loads no workflow code at all (src/worker/worker.ts, pollsWorkflows).
const withWorkflows = pollsWorkflows(env.WORKER_ROLE);
const prebuilt = withWorkflows ? (env.WORKFLOW_BUNDLE_PATH ?? null) : null;
if (prebuilt !== null && !existsSync(prebuilt)) {
  throw new Error(`WORKFLOW_BUNDLE_PATH: no file at ${prebuilt}; build it with npm run build:workflows, or unset the variable to bundle at start`);
}
const workflowBundlePath = withWorkflows ? (prebuilt ?? prebuildWorkflowBundle(path.join(os.tmpdir(), `ua-export-workflows-${process.pid}.js`))) : undefined;
if (workflowBundlePath) log.info({ workflowBundle: workflowBundlePath, prebuilt: prebuilt !== null }, 'workflow bundle');
const worker = await createExportWorker({
  ...workerSettingsFromEnv(env),
  connection,
  pool,
  keyring,
  partDelayMs,
  log,
  workflowBundlePath,
  client,
  temporalUiUrl: env.TEMPORAL_UI_URL,
  role: env.WORKER_ROLE,
});
log.info({ taskQueue: env.TEMPORAL_TASK_QUEUE, namespace: env.TEMPORAL_NAMESPACE, role: env.WORKER_ROLE }, 'worker started');
const stopPauseSweep = pauseSweepFromEnv(env, { client, pool, log });
// Parent processes (tests, npm start) wait for this line.
if (process.send) process.send({ ready: true });
// A parent that started this worker with an IPC channel (tests, npm start, bench, soak) may die without
// stopping it (SIGKILL; or the tsx CLI, which SIGKILLs its child when a relayed signal is not
// acknowledged within 30 ms): the channel closes then, and the worker stops rather than poll on as an
// orphan. A deployed worker has no channel.
process.once('disconnect', () => {
  log.warn('parent process gone: shutting down');
  worker.shutdown();
});
// A 'disconnect' listener keeps the IPC channel, and so the process, alive: unref it, so a worker that
// has shut down (SIGTERM) exits as before while the listener still fires during its run.
process.channel?.unref();
await worker.run();
stopPauseSweep();
await connection.close();
await client.connection.close();
await pool.end();
metricsServer?.close();
if (workflowBundlePath && prebuilt === null) rmSync(workflowBundlePath, { force: true });
log.info('worker stopped');
