import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import type { WorkflowHandle } from '@temporalio/client';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exportDayWorkflow } from '../../workflows/index.js';
import { eventsForDay, insertEvents, type EventRow } from '../../src/dev/generate.js';
import type { FileFormat } from '../../src/export/formats/format.js';
import { objectKeys } from '../../src/export/keys.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import type { Checkpoint } from '../../src/export/stream-parts.js';
import { expectedEventsCsv } from '../helpers/expected-csv.js';
import { historyText, setupHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await setupHarness('durable');
});
// Every test starts with no worker on the queue: a worker left from the test before (without the
// test-only part delay) would take the activities and finish the file before the planned kill.
afterEach(async () => {
  const live = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(live.map((c) => new Promise((r) => (c.once('exit', r), c.kill('SIGKILL')))));
});
afterAll(async () => {
  await h?.close();
});

/** Starts a worker process on the harness's task queue and resolves once it polls. */
function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(path.resolve('test/helpers/worker-process.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DATABASE_URL: h.databaseUrl, TEMPORAL_TASK_QUEUE: h.taskQueue, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}

/** The uploadParts activity's first checkpoint with a part in it, from its heartbeat details. */
async function firstCheckpoint(handle: WorkflowHandle): Promise<Checkpoint | undefined> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const d = await handle.describe();
    const pending = d.raw.pendingActivities?.find((a) => a.activityType?.name === 'uploadParts');
    const payload = pending?.heartbeatDetails?.payloads?.[0]?.data;
    // Liveness heartbeats before the first part carry no details.
    const parsed = payload && payload.length > 0 ? (JSON.parse(Buffer.from(payload).toString('utf8')) as Checkpoint | null) : null;
    if (parsed?.parts?.length) return parsed;
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

describe('a worker killed in the middle of a multi-part upload', () => {
  it('is replaced, resumes from its checkpoint and yields a byte-identical file with no upload left open', async () => {
    const integration = await h.integration({ settings: { includeEventsWithoutProfile: true } });
    const day = '2026-04-10';
    const rows = [...eventsForDay(integration.appId, day, 45_000, 21)];
    await insertEvents(h.pool, rows);
    const expected = expectedEventsCsv(rows);
    const partSize = 5 * 1024 * 1024;
    const workerEnv = { PART_SIZE_MIB: String(partSize / 2 ** 20) };
    // Enough parts that, two in flight at a time, the upload is still running when the first checkpoint lands.
    expect(Buffer.byteLength(expected)).toBeGreaterThan(5 * partSize);

    // Slow parts down so the kill lands between parts, after at least one checkpoint.
    const first = await spawnWorker({ ...workerEnv, UA_EXPORT_TEST_PART_DELAY_MS: '2500' });
    const handle = await h.testEnv.client.workflow.start(exportDayWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: exportWorkflowId(integration.id, day),
      args: [{ integrationId: integration.id, day, kind: 'manual', tables: ['ua_events'] }],
    });

    const checkpoint = await firstCheckpoint(handle);
    expect(checkpoint?.parts.length).toBeGreaterThanOrEqual(1);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    const keys = objectKeys(integration.bucket, integration.folder, 'ua_events', day);
    // Nothing is visible while the upload is unfinished.
    expect(await h.listKeys(keys.dir)).toEqual([]);

    await spawnWorker(workerEnv);
    const started = Date.now();
    const result = await handle.result();
    expect(Date.now() - started).toBeLessThan(90_000);

    const bytes = await h.getBytes(keys.dataKey);
    expect(bytes.toString('utf8')).toBe(expected);
    const manifest = JSON.parse(await h.getText(keys.manifestKey));
    expect(manifest.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(manifest.rows).toBe(rows.length);
    expect(result.files[0]!.parts).toBeGreaterThanOrEqual(3);
    expect(await h.openUploads(keys.dir)).toEqual([]);

    // The second attempt resumed rather than starting over.
    const history = await handle.fetchHistory();
    const uploadStarts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    expect(uploadStarts.some((e) => (e.activityTaskStartedEventAttributes!.attempt ?? 1) >= 2)).toBe(true);
    expect(historyText(history)).toContain('"resumed":true');
  });
});

/**
 * Rows whose user_agent carries a long pseudo-random tail: compressed formats then still span several
 * 5 MiB parts with few rows, which keeps this test short.
 */
function incompressibleEvents(appId: string, day: string, count: number): EventRow[] {
  return [...eventsForDay(appId, day, count, 33)].map((row, i) => {
    let tail = '';
    for (let k = 0; tail.length < 800; k++) tail += createHash('sha512').update(`${i}/${k}`).digest('base64');
    return { ...row, user_agent: `${row.user_agent as string} ${tail}` };
  });
}

describe.each(['csv_gzip', 'parquet'] as const)('a worker killed in the middle of a %s upload', (format: FileFormat) => {
  // The timeout allows for a loaded CI box: two worker start-ups and one heartbeat timeout.
  it('is replaced, and the delivered object is exact with a matching manifest', { timeout: 300_000 }, async () => {
    const t0 = Date.now();
    const step = (what: string) => console.error(`[durability ${format}] ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const appId = randomUUID();
    const output = { format, compression: format === 'parquet' ? ('zstd' as const) : null };
    const integration = await h.integration({ appId, settings: { includeEventsWithoutProfile: true }, output });
    const day = '2026-04-11';
    const rows = incompressibleEvents(appId, day, 30_000);
    await insertEvents(h.pool, rows);
    const expected = expectedEventsCsv(rows);
    const workerEnv = { PART_SIZE_MIB: '5' };

    // About five parts, two in flight: slow enough that the kill, which waits for a checkpoint the
    // heartbeat throttle may hold back for seconds, still lands with parts left to upload.
    const first = await spawnWorker({ ...workerEnv, UA_EXPORT_TEST_PART_DELAY_MS: '4000' });
    const handle = await h.testEnv.client.workflow.start(exportDayWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: exportWorkflowId(integration.id, day),
      args: [{ integrationId: integration.id, day, kind: 'manual', tables: ['ua_events'] }],
    });
    step('export started');
    const checkpoint = await firstCheckpoint(handle);
    step(`checkpoint with ${checkpoint?.parts.length} part(s)`);
    expect(checkpoint?.parts.length).toBeGreaterThanOrEqual(1);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // The kill must land mid-file, or there is nothing to resume.
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const keys = objectKeys(integration.bucket, integration.folder, 'ua_events', day, format);
    expect(await h.listKeys(keys.dir)).toEqual([]);

    await spawnWorker(workerEnv);
    step('second worker polling');
    const result = await handle.result();
    step('export done');
    expect(result.files[0]!.parts).toBeGreaterThanOrEqual(3);
    expect(historyText(await handle.fetchHistory())).toContain('"resumed":true');
    expect(await h.openUploads(keys.dir)).toEqual([]);

    const bytes = await h.getBytes(keys.dataKey);
    const manifest = JSON.parse(await h.getText(keys.manifestKey));
    expect(manifest.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(manifest.bytes).toBe(bytes.length);
    expect(manifest.rows).toBe(rows.length);
    if (format === 'csv_gzip') {
      const csv = gunzipSync(bytes);
      expect(csv.toString('utf8')).toBe(expected);
      expect(manifest.uncompressedBytes).toBe(csv.length);
      return;
    }
    // Parquet: the resumed file is byte for byte the file an uninterrupted export writes (the encoder
    // is deterministic, and its values are checked against Postgres by the unit and reader tests), and
    // it reads back with the source's rows in order.
    const clean = await h.integration({ appId, settings: { includeEventsWithoutProfile: true }, output });
    await h.testEnv.client.workflow.execute(exportDayWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: exportWorkflowId(clean.id, day),
      args: [{ integrationId: clean.id, day, kind: 'manual', tables: ['ua_events'] }],
    });
    const cleanBytes = await h.getBytes(objectKeys(clean.bucket, clean.folder, 'ua_events', day, format).dataKey);
    expect(bytes.equals(cleanBytes)).toBe(true);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    expect(Number(parquetMetadata(file).num_rows)).toBe(rows.length);
    const read = await parquetReadObjects({ file, columns: ['profile_id', 'user_agent'], compressors: { ZSTD: (b: Uint8Array) => zstdDecompressSync(b) } });
    expect(read.map((r) => r.profile_id)).toEqual(rows.map((r) => r.profile_id));
    expect(read.map((r) => r.user_agent)).toEqual(rows.map((r) => r.user_agent));
  });
});
