import type { PartChecksumSetting } from '../../src/s3/part-checksum.js';
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import pg from 'pg';
import { loadEnv, partSizeBytes, type Env, type WorkerRole } from '../../src/config/env.js';
import { keyringFromEnv } from '../../src/config/keyring.js';
import type { Keyring } from '../../src/crypto/secrets.js';
import { migrate } from '../../src/db/migrate.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { createIntegration, type Integration, type NewIntegration } from '../../src/integrations/repo.js';
import { localS3Client } from '../../src/s3/client.js';
import { createExportWorker } from '../../src/worker/worker.js';
import { createLogger } from '../../src/logging.js';
import { Writable } from 'node:stream';

/**
 * Real services for integration tests: the Temporal dev server, the Postgres cluster and SeaweedFS
 * that scripts/services.sh started. Each test file gets its own database schema state (a shared test
 * database, fresh app ids per test), its own task queue and its own bucket.
 */
export interface Harness {
  env: Env;
  databaseUrl: string;
  pool: Pool;
  keyring: Keyring;
  testEnv: TestWorkflowEnvironment;
  taskQueue: string;
  bucket: string;
  s3: S3Client;
  /** JSON log lines written by workers this harness started. */
  workerLogs: string[];
  /**
   * `partSize`: bytes per multipart part, PART_SIZE_MIB of the test environment by default. `role`:
   * WORKER_ROLE (both kinds of task by default); `identity`: the worker identity histories record;
   * `partChecksum`: PART_CHECKSUM ('auto' by default).
   */
  startWorker(extra?: {
    partDelayMs?: number;
    partSize?: number;
    role?: WorkerRole;
    identity?: string;
    partChecksum?: PartChecksumSetting;
  }): Promise<RunningWorker>;
  integration(overrides?: Partial<NewIntegration>): Promise<Integration>;
  getText(key: string): Promise<string>;
  getBytes(key: string): Promise<Buffer>;
  listKeys(prefix?: string): Promise<string[]>;
  openUploads(prefix?: string): Promise<{ key: string; uploadId: string }[]>;
  close(): Promise<void>;
}

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

export const TEST_DB_NAME = 'ua_export_test';

export function testDatabaseUrl(env: Env): string {
  const url = new URL(process.env.TEST_DATABASE_URL ?? env.DATABASE_URL);
  if (!process.env.TEST_DATABASE_URL) url.pathname = `/${TEST_DB_NAME}`;
  return url.toString();
}

async function ensureDatabase(adminUrl: string, testUrl: string): Promise<void> {
  const name = new URL(testUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Serialise concurrent creators (CI runs one file at a time, but a developer may not).
    await admin.query('SELECT pg_advisory_lock(774411)');
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
    await admin.query('SELECT pg_advisory_unlock(774411)');
  } finally {
    await admin.end();
  }
}

/**
 * DROP DATABASE … WITH (FORCE), as a non-superuser: FORCE refuses to terminate an autovacuum worker
 * that happens to be in the database ("must be a member of the role whose process is being
 * terminated"), while a plain DROP has the server stop autovacuum itself. So on that refusal the drop
 * is retried without FORCE (our own sessions are gone by then, or FORCE would have ended them).
 */
export async function dropDatabaseForce(admin: { query(text: string): Promise<unknown> }, name: string): Promise<void> {
  const quoted = `"${name.replace(/"/g, '')}"`;
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42501') throw err;
    await admin.query(`DROP DATABASE IF EXISTS ${quoted}`);
  }
}

export const adminS3 = localS3Client;

export async function setupHarness(name: string): Promise<Harness> {
  const env = loadEnv();
  const databaseUrl = testDatabaseUrl(env);
  await ensureDatabase(env.DATABASE_URL, databaseUrl);
  await migrate(databaseUrl);
  const pool = createPool(databaseUrl);
  const keyring = keyringFromEnv(env);
  const testEnv = await TestWorkflowEnvironment.createFromExistingServer({ address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE });
  const suffix = randomUUID().slice(0, 8);
  const taskQueue = `test-${name}-${suffix}`;
  const bucket = `t-${name}-${suffix}`.toLowerCase().slice(0, 63);
  const s3 = adminS3(env);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const workers: RunningWorker[] = [];
  const workerLogs: string[] = [];
  const logSink = new Writable({
    write(chunk, _enc, cb) {
      workerLogs.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });

  const h: Harness = {
    env,
    databaseUrl,
    pool,
    keyring,
    testEnv,
    taskQueue,
    bucket,
    s3,
    workerLogs,
    async startWorker(extra = {}) {
      const worker = await createExportWorker({
        connection: testEnv.nativeConnection,
        namespace: env.TEMPORAL_NAMESPACE,
        taskQueue,
        pool,
        keyring,
        partSize: extra.partSize ?? partSizeBytes(env),
        partDelayMs: extra.partDelayMs,
        ...(extra.partChecksum ? { partChecksum: extra.partChecksum } : {}),
        log: createLogger('info', logSink),
        ...(extra.role ? { role: extra.role } : {}),
        ...(extra.identity ? { extra: { identity: extra.identity } } : {}),
      });
      const running = worker.run();
      const handle: RunningWorker = {
        worker,
        async stop() {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await running;
        },
      };
      workers.push(handle);
      return handle;
    },
    integration(overrides = {}) {
      return createIntegration(pool, keyring, {
        appId: randomUUID(),
        endpointUrl: env.LOCAL_S3_ENDPOINT,
        region: 'us-east-1',
        bucket,
        folder: `it-${randomUUID().slice(0, 8)}`,
        accessKeyId: env.LOCAL_S3_ACCESS_KEY_ID,
        secretAccessKey: env.LOCAL_S3_SECRET_ACCESS_KEY,
        forcePathStyle: true,
        ...overrides,
      });
    },
    async getBytes(key) {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    },
    async getText(key) {
      return (await h.getBytes(key)).toString('utf8');
    },
    async listKeys(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(out.Contents ?? []).map((c) => c.Key!));
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async openUploads(prefix) {
      const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
      return (out.Uploads ?? []).map((u) => ({ key: u.Key!, uploadId: u.UploadId! }));
    },
    async close() {
      for (const w of workers) await w.stop();
      await testEnv.teardown();
      await pool.end();
      s3.destroy();
    },
  };
  return h;
}

/** Every string in a workflow history, payloads decoded: for scanning it for secrets or messages. */
/**
 * Which of `types` each local-activity marker of a history ran, in order: a marker's data carries its
 * activity type (the SDK records local activities as `core_local_activity` markers, not as tasks).
 */
export function localActivityMarkers(
  events: readonly {
    markerRecordedEventAttributes?: {
      markerName?: string | null;
      details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null;
    } | null;
  }[],
  types: RegExp,
): (string | undefined)[] {
  return events.flatMap((e) =>
    e.markerRecordedEventAttributes?.markerName === 'core_local_activity'
      ? [
          Object.values(e.markerRecordedEventAttributes.details ?? {})
            .flatMap((p) => p.payloads ?? [])
            .map((p) => Buffer.from(p.data ?? []).toString('utf8'))
            .join(' ')
            .match(types)?.[0],
        ]
      : [],
  );
}

export function historyText(history: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (v == null) return;
    if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
    else if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(history);
  return out.join('\n');
}

/** The failure a workflow ended with; fails the test if it succeeded. */
export async function failureOf(p: Promise<unknown>): Promise<WorkflowFailedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowFailedError) return err;
    throw err;
  }
  throw new Error('expected the workflow to fail, but it succeeded');
}
