import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { startBackfill } from '../../src/backfills/service.js';
import { keyringFromEnv } from '../../src/config/keyring.js';
import { loadEnv, type Env } from '../../src/config/env.js';
import { migrate } from '../../src/db/migrate.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { createIntegration, deleteIntegration, type Integration } from '../../src/integrations/repo.js';
import { deleteSchedule } from '../../src/temporal/schedules.js';
import { freePorts } from '../../bench/free-ports.js';
import type { Build } from './build.js';
import { seedData, type DataSet, type DataSize } from './data.js';
import { instanceEnv } from './instance.js';
import { spawnProc, type Proc } from './processes.js';
import { dayIsGood, openUploads, verifyDay, type DayVerdict, type Table } from './verify.js';

/**
 * What every scenario works with: the chaos instance's services, the seeded data, real worker
 * processes on a per-run task queue, and a bucket per scenario run (so "no upload left open in the
 * bucket" covers exactly that run).
 */
export interface Lab {
  env: Env;
  rawEnv: Record<string, string>;
  pool: Pool;
  client: Client;
  /** Plain S3 client straight at SeaweedFS: the verifier's, never the product's. */
  s3: S3Client;
  data: DataSet;
  quick: boolean;
  logDir: string;
  taskQueue: string;
  workers: Proc[];
  /** Other processes of the run (the API). */
  others: Proc[];
  startWorker(extra?: Record<string, string>): Promise<Proc>;
  /** A fresh bucket and integration on the data set's app (or `appId`); `endpoint` defaults to SeaweedFS itself. */
  integration(opts?: { endpoint?: string; appId?: string }): Promise<Integration>;
  backfill(integration: Integration, from: string, to: string): Promise<string>;
  /** Waits for a workflow to close, riding out a Temporal server that is down or restarting. */
  waitClosed(workflowId: string, timeoutMs: number): Promise<string>;
  verify(integration: Integration, days: string[], tables?: Table[]): Promise<{ verdicts: DayVerdict[]; openUploads: string[] }>;
  /** The API process (src/api/main.ts, compiled) on a free port, with a fixed bearer token. */
  startApi(): Promise<{ proc: Proc; url: string; token: string }>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

export async function openLab(opts: { size: DataSize; quick: boolean; runTag: string; build: Build }): Promise<Lab> {
  const rawEnv = await instanceEnv();
  const env = loadEnv({ ...process.env, ...rawEnv });
  await migrate(env.DATABASE_URL);
  // The verifier's own pool waits longer for a connection than the product does: on a loaded box a
  // connection can take over 10 s, and a harness that gives up first reports an error the product never had.
  const pool = createPool(env.DATABASE_URL, 10, undefined, 60_000);
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: '10 seconds' });
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const s3 = new S3Client({
    endpoint: env.LOCAL_S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env.LOCAL_S3_ACCESS_KEY_ID, secretAccessKey: env.LOCAL_S3_SECRET_ACCESS_KEY },
  });
  // Fixed app ids per data size: the data is seeded once per instance and reused by later runs.
  const appIds = opts.quick
    ? { appId: '0c4a05a0-0000-4000-8000-000000000001', decoyAppId: '0c4a05a0-0000-4000-8000-00000000dec0' }
    : { appId: '0c4a05a0-0000-4000-8000-000000000002', decoyAppId: '0c4a05a0-0000-4000-8000-00000000dec1' };
  const data = await seedData(pool, opts.size, appIds);
  const logDir = path.join(ROOT, '.local', 'instances', 'chaos', 'logs', opts.runTag);
  mkdirSync(logDir, { recursive: true });
  const taskQueue = `chaos-${opts.runTag}`;
  const integrations: Integration[] = [];
  const keyring = keyringFromEnv(env);
  const workers: Proc[] = [];
  const others: Proc[] = [];
  let workerNo = 0;

  const lab: Lab = {
    env,
    rawEnv,
    pool,
    client,
    s3,
    data,
    quick: opts.quick,
    logDir,
    taskQueue,
    workers,
    others,
    async startWorker(extra = {}) {
      const n = ++workerNo;
      // A port free right now: a fixed formula could land on another service's port on this host.
      const [sdkMetricsPort] = await freePorts(1);
      const w = await spawnProc({
        name: `worker-${n}`,
        entry: opts.build.workerEntry,
        logFile: path.join(logDir, `worker-${n}.log`),
        env: {
          ...process.env,
          ...rawEnv,
          TEMPORAL_TASK_QUEUE: taskQueue,
          PART_SIZE_MIB: '5',
          WORKER_METRICS_PORT: '0',
          // each worker its own SDK exporter port, so two workers on the host never collide
          TEMPORAL_SDK_METRICS_ADDRESS: `127.0.0.1:${sdkMetricsPort}`,
          WORKFLOW_BUNDLE_PATH: opts.build.bundlePath,
          LOG_LEVEL: 'info',
          ...extra,
        },
      });
      workers.push(w);
      return w;
    },
    async integration(o = {}) {
      const bucket = `chaos-${randomUUID().slice(0, 13)}`;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const created = await createIntegration(pool, keyring, {
        appId: o.appId ?? data.appId,
        endpointUrl: o.endpoint ?? env.LOCAL_S3_ENDPOINT,
        region: 'us-east-1',
        bucket,
        folder: 'chaos',
        accessKeyId: env.LOCAL_S3_ACCESS_KEY_ID,
        secretAccessKey: env.LOCAL_S3_SECRET_ACCESS_KEY,
        forcePathStyle: true,
        enabled: false,
        settings: { includeEventsWithoutProfile: true },
      });
      integrations.push(created);
      return created;
    },
    async backfill(integration, from, to) {
      const info = await startBackfill(client, {
        integrationId: integration.id,
        from,
        to,
        concurrency: 4,
        taskQueue,
        uiUrl: env.TEMPORAL_UI_URL,
        namespace: env.TEMPORAL_NAMESPACE,
      });
      return info.workflowId;
    },
    async waitClosed(workflowId, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        try {
          const d = await client.workflow.getHandle(workflowId).describe();
          if (d.status.name !== 'RUNNING') return d.status.name;
        } catch {
          // the server may be restarting: keep asking until the deadline
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`workflow ${workflowId} still running after ${timeoutMs} ms`);
    },
    async verify(integration, days, tables = ['ua_events', 'campaign_metrics']) {
      const verdicts: DayVerdict[] = [];
      for (const day of days)
        for (const table of tables)
          verdicts.push(
            await verifyDay(s3, env.DATABASE_URL, {
              integrationId: integration.id,
              appId: integration.appId,
              bucket: integration.bucket,
              folder: integration.folder,
              day,
              table,
              includeEventsWithoutProfile: integration.settings.includeEventsWithoutProfile,
            }),
          );
      return { verdicts, openUploads: await openUploads(s3, integration.bucket) };
    },
    async startApi() {
      const port = 31_000 + (process.pid % 1_000) * 4 + (workerNo++ % 4);
      const token = 'chaos-api-token';
      const url = `http://127.0.0.1:${port}`;
      const proc = await spawnProc({
        name: 'api',
        entry: opts.build.apiEntry,
        logFile: path.join(logDir, 'api.log'),
        readyUrl: `${url}/healthz`,
        env: { ...process.env, ...rawEnv, TEMPORAL_TASK_QUEUE: taskQueue, API_HOST: '127.0.0.1', API_PORT: String(port), API_TOKENS: token, LOG_LEVEL: 'info' },
      });
      others.push(proc);
      return { proc, url, token };
    },
    async stopWorkers() {
      for (const w of [...workers, ...others]) if (w.alive()) await w.kill('SIGKILL');
    },
    async close() {
      await lab.stopWorkers();
      // A worker reconciles every integration's schedule as it starts: integrations left by earlier runs
      // would make each later run's workers start slower (and point those schedules at their queue).
      for (const i of integrations) {
        await deleteSchedule(client, i.id).catch(() => undefined);
        await deleteIntegration(pool, i.id).catch(() => undefined);
      }
      await pool.end().catch(() => undefined);
      await connection.close().catch(() => undefined);
      s3.destroy();
    },
  };
  return lab;
}

export { dayIsGood };
