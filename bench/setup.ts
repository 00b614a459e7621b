import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  AbortMultipartUploadCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import pg from 'pg';
import type { Env } from '../src/config/env.js';
import { migrate } from '../src/db/migrate.js';
import type { Pool } from '../src/db/pool.js';
import { eventsForDay, insertEvents } from '../src/dev/generate.js';
import { dayWindow } from '../src/export/days.js';
import { localS3Client } from '../src/s3/client.js';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../src/temporal/search-attributes.js';

/**
 * The benchmark's own corner of the local services: a database, a bucket and a Temporal namespace.
 * BENCH_INSTANCE (lower-case letters and digits) gives a bench its own corner of shared services, so
 * two benches on one machine never delete each other's integrations or schedules.
 */
const INSTANCE = /^[a-z0-9]{1,20}$/.test(process.env.BENCH_INSTANCE ?? '') ? `_${process.env.BENCH_INSTANCE}` : '';
export const BENCH_DB = `ua_export_bench${INSTANCE}`;
export const BENCH_BUCKET = `ua-export-bench${INSTANCE.replace('_', '-')}`;
/**
 * A namespace of its own, because the worker reconciles schedules on start: it creates one for every
 * integration in its database and deletes every `ua-daily-*` schedule in the namespace that its
 * database does not know. Pointed at the shared `default` namespace with the bench database, it would
 * delete the schedules of everyone else's integrations.
 */
export const BENCH_NAMESPACE = `ua-export-bench${INSTANCE.replace('_', '-')}`;

export function benchDatabaseUrl(env: Env, db: string = BENCH_DB): string {
  const url = new URL(env.DATABASE_URL);
  url.pathname = `/${db}`;
  return url.toString();
}

/** Creates (once) and migrates a database of its own on the local server: the bench's, or another tool's (the soak). */
export async function ensureBenchDatabase(env: Env, db: string = BENCH_DB): Promise<string> {
  const admin = new pg.Client({ connectionString: env.DATABASE_URL });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
    if (!rowCount) {
      try {
        await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(db)}`);
      } catch (err) {
        // A concurrent bench run created it first.
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    }
  } finally {
    await admin.end();
  }
  const url = benchDatabaseUrl(env, db);
  await migrate(url);
  return url;
}

export const adminS3 = localS3Client;

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch {
    /* create it */
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
}

/** Removes everything under `prefix` in the bench bucket: objects and open multipart uploads. */
export async function emptyPrefix(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  let removed = 0;
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    const keys = (out.Contents ?? []).map((c) => ({ Key: c.Key! }));
    if (keys.length > 0) {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      removed += keys.length;
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  for (const u of uploads.Uploads ?? []) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! })).catch(() => undefined);
  }
  return removed;
}

const grpcCode = (err: unknown): number | undefined => (err as { code?: number }).code;
const ALREADY_EXISTS = 6;
/** temporal.api.enums.v1.IndexedValueType (@temporalio/proto is not a direct dependency). */
const INDEXED_VALUE_TYPE: Record<string, number> = { Keyword: 2, Datetime: 6 };

/** Registers the bench namespace and the product's search attributes in it, then waits until it serves. */
export async function ensureNamespace(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
  } catch (err) {
    if (grpcCode(err) !== ALREADY_EXISTS) throw err;
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const have = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = Object.entries(CUSTOM_SEARCH_ATTRIBUTES).filter(([name]) => !(have.customAttributes && name in have.customAttributes));
      if (missing.length > 0) {
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]!])),
        });
        continue;
      }
      // The frontend caches namespaces: wait until a namespaced call goes through.
      await connection.workflowService.listSchedules({ namespace, maximumPageSize: 1 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

/** A fixed app id per row count, so a rerun finds the day it generated before. */
export function benchAppId(rows: number): string {
  return `00000000-0000-4000-8000-${String(rows).padStart(12, '0')}`;
}

export async function countAppDay(pool: Pool, appId: string, day: string): Promise<number> {
  const w = dayWindow(day);
  const { rows } = await pool.query<{ n: string }>(
    'SELECT count(*)::text AS n FROM ua_events WHERE app_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz',
    [appId, w.start, w.end],
  );
  return Number(rows[0]!.n);
}

export interface DataPrep {
  generated: boolean;
  generateMs: number;
  vacuumMs: number;
}

/** Makes the app-day hold exactly `rows` events (regenerating it if not), then VACUUM ANALYZE. */
export async function ensureAppDay(pool: Pool, appId: string, day: string, rows: number, log: (msg: string) => void): Promise<DataPrep> {
  let generated = false;
  let generateMs = 0;
  const have = await countAppDay(pool, appId, day);
  if (have !== rows) {
    log(`app-day ${appId} ${day} holds ${have} rows, want ${rows}: generating`);
    const w = dayWindow(day);
    await pool.query('DELETE FROM ua_events WHERE app_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz', [appId, w.start, w.end]);
    const t0 = performance.now();
    await insertEvents(pool, eventsForDay(appId, day, rows));
    generateMs = performance.now() - t0;
    generated = true;
    const now = await countAppDay(pool, appId, day);
    if (now !== rows) throw new Error(`generated ${now} rows for ${appId} ${day}, expected ${rows}`);
  }
  const t1 = performance.now();
  await pool.query('VACUUM ANALYZE ua_events');
  return { generated, generateMs, vacuumMs: performance.now() - t1 };
}

/**
 * export_day_state from a seeded export_runs (the latest attempt of each day and table), in bulk with
 * the calendar strips' row trigger off, then the strips rebuilt in one pass (migration 1766000000000):
 * the row trigger would rewrite each strip once per seeded day.
 */
export async function fillDayStates(pool: Pool): Promise<void> {
  await pool.query('ALTER TABLE export_day_state DISABLE TRIGGER export_day_state_strip');
  try {
    await pool.query(
      `INSERT INTO export_day_state (integration_id, table_name, day, run_row_id, status, rows, bytes)
       SELECT DISTINCT ON (integration_id, day, table_name) integration_id, table_name, day, id, status, rows, bytes
       FROM export_runs ORDER BY integration_id, day, table_name, id DESC`,
    );
  } finally {
    await pool.query('ALTER TABLE export_day_state ENABLE TRIGGER export_day_state_strip');
  }
  await pool.query('SELECT refill_export_year_strip()');
}
