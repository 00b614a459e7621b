import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActivities, type UploadCheckpoint, type UploadPartsInput, type UploadPartsResult } from '../../activities/index.js';
import { buildKeyring, seal } from '../../src/crypto/secrets.js';
import type { Pool } from '../../src/db/pool.js';
import { csvHeader } from '../../src/export/csv.js';
import { SHORT_HEARTBEAT_TIMEOUT_MS } from '../../src/export/recovery-bounds.js';
import { buildExportPlan } from '../../src/export/plan.js';
import { normalizeSettings } from '../../src/export/settings.js';
import { columnNames } from '../../src/export/tables.js';
import { createLogger } from '../../src/logging.js';
import { registry } from '../../src/metrics/export-metrics.js';
import { fakeExportPool, startFakeS3, type FakeCopyOptions, type FakeS3 } from '../helpers/fake-export-db.js';

/** uploadParts' signature, spelled out for MockActivityEnvironment.run, which cannot infer the result type. */
type UploadParts = (input: UploadPartsInput) => Promise<UploadPartsResult>;

const keyring = buildKeyring(randomBytes(32).toString('base64'));
const ROWS = Array.from({ length: 60 }, (_, i) => `ios,campaign-${i},adset,ad,${i},${i * 7}\n`);
const FILE = Buffer.concat([csvHeader(columnNames('campaign_metrics', false)), Buffer.from(ROWS.join(''))]);

async function counterValue(name: string, table: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => v.labels.table === table)?.value ?? 0;
}

/** Activity failures are the point of several tests: the SDK's warning for each would only be noise. */
const QUIET: LogLevel = 'ERROR';
const mockEnv = (info?: ConstructorParameters<typeof MockActivityEnvironment>[0]) => new MockActivityEnvironment(info, { logger: new DefaultLogger(QUIET) });

let s3: FakeS3;
beforeAll(async () => {
  s3 = await startFakeS3();
});
afterAll(async () => {
  await s3.close();
});

function integrationRow(id: string) {
  const now = new Date();
  return {
    id,
    app_id: randomUUID(),
    endpoint_url: s3.endpoint,
    region: 'us-east-1',
    bucket: 'bucket',
    folder: 'folder',
    access_key_id: 'AKIDEXAMPLE',
    force_path_style: true,
    settings: {},
    historical_cutoff: '2000-01-01 00:00:00+00',
    enabled: true,
    created_at: now,
    updated_at: now,
    last_status: null,
    last_error: null,
    last_status_at: null,
    ...(({ keyId, ciphertext }) => ({ secret_key_id: keyId, secret_access_key_enc: ciphertext }))(seal(keyring, 'secret', id)),
  };
}

/** A pool that knows one integration (or none), records every statement, and serves ROWS to COPY. */
function fakePool(integrationId: string | null, copy?: FakeCopyOptions) {
  const statements: string[] = [];
  const copyPool = fakeExportPool(ROWS, copy);
  const pool = {
    statements,
    clients: copyPool.clients,
    connect: () => copyPool.connect(),
    async query(text: string) {
      statements.push(text);
      if (/FROM integrations/.test(text)) return { rows: integrationId ? [integrationRow(integrationId)] : [] };
      return { rows: [] };
    },
  };
  return pool;
}

const run = (integrationId: string) => ({
  integrationId,
  table: 'campaign_metrics' as const,
  day: '2026-03-01',
  workflowId: 'wf',
  runId: 'run',
  kind: 'manual' as const,
});
const uploadInput = (integrationId: string): UploadPartsInput => ({
  ...run(integrationId),
  bucket: 'bucket',
  key: `k-${randomUUID()}.csv`,
  uploadId: 'upload-1',
});

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

/** One activity called by name, for it.each over several activities. */
type ActivityCall = [string, (a: ReturnType<typeof createActivities>) => Promise<unknown>];

/** The campaign_metrics file of a plan for integration `id` on 2026-03-01 (its endpoint is never called). */
function campaignMetricsPlan(id: string) {
  const plan = buildExportPlan(
    { id, appId: randomUUID(), endpointUrl: 'http://x', bucket: 'bucket', folder: 'f', settings: normalizeSettings({}) },
    '2026-03-01',
    ['campaign_metrics'],
  );
  return { plan, file: plan.files[0]! };
}

describe('a missing integration', () => {
  const id = randomUUID();
  const { plan, file } = campaignMetricsPlan(id);
  const calls: ActivityCall[] = [
    ['planExport', (a) => a.planExport({ integrationId: id, day: '2026-03-01', tables: ['campaign_metrics'] })],
    ['startFile', (a) => a.startFile({ ...run(id), bucket: file.bucket, key: file.key, manifestKey: file.manifestKey })],
    ['uploadParts', (a) => a.uploadParts(uploadInput(id))],
    [
      'completeFile',
      (a) =>
        a.completeFile({
          ...run(id),
          bucket: 'bucket',
          key: 'k',
          manifestKey: 'm',
          uploadId: 'u',
          parts: [],
          bytes: 0,
          sha256: null,
          startedAt: new Date().toISOString(),
        }),
    ],
    ['writeManifest', (a) => a.writeManifest({ ...run(id), plan, file, rows: 0, bytes: 0, parts: 1, partSize: 5, sha256: 'x', etag: '"e"' })],
  ];

  it.each(calls)('fails %s with a non-retryable IntegrationNotFound', async (_name, call) => {
    const activities = createActivities({ pool: fakePool(null) as unknown as Pool, keyring, partSize: 64 });
    const f = await failureOf(mockEnv().run(() => call(activities)));
    expect(f.type).toBe('IntegrationNotFound');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain(id);
  });

  it('does not stop abandonFile from recording why the file failed', async () => {
    const pool = fakePool(null);
    const activities = createActivities({ pool: pool as unknown as Pool, keyring, partSize: 64 });
    await mockEnv().run(activities.abandonFile, {
      ...run(id),
      bucket: 'bucket',
      key: 'k',
      uploadId: 'u',
      error: 'boom',
      reason: 'ExportFailed',
      cancelled: false,
    });
    expect(pool.statements.some((s) => /UPDATE export_runs SET status/.test(s))).toBe(true);
  });
});

describe('uploadParts', () => {
  it('loads the integration once, heartbeats each checkpoint with its part size and reports the size it used', async () => {
    const id = randomUUID();
    const pool = fakePool(id);
    const activities = createActivities({ pool: pool as unknown as Pool, keyring, partSize: 64 });
    const env = mockEnv();
    const beats: UploadCheckpoint[] = [];
    env.on('heartbeat', (d: UploadCheckpoint | undefined) => d && beats.push(d));
    const input = uploadInput(id);
    const before = s3.parts.length;
    const result = await env.run<[UploadPartsInput], UploadPartsResult, UploadParts>(activities.uploadParts, input);

    expect(pool.statements.filter((s) => /FROM integrations/.test(s))).toHaveLength(1);
    expect(result).toMatchObject({ rows: ROWS.length, bytes: FILE.length, resumed: false, partSize: 64 });
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
    const sent = s3.parts.slice(before).sort((a, b) => a.partNumber - b.partNumber);
    expect(Buffer.concat(sent.map((p) => p.body)).equals(FILE)).toBe(true);
    // The 2-second liveness beat re-sends the latest checkpoint when a run is slow (a loaded machine):
    // count checkpoints, not beats. Every one of them is sent, in order, one part further each time.
    const checkpoints = beats.filter((b, i) => i === 0 || b.parts.length !== beats[i - 1]!.parts.length);
    expect(checkpoints.map((b) => b.parts.length)).toEqual(Array.from({ length: result.parts.length - 1 }, (_, i) => i + 1));
    expect(beats.every((b) => b.partSize === 64)).toBe(true);
    expect(pool.clients[0]!.released).toBe(true);
  });

  it('resumes from the checkpoint in its heartbeat details, cutting parts to the checkpoint part size', async () => {
    const id = randomUUID();
    // First attempt on a worker with 64-byte parts, to get a real checkpoint.
    const first = createActivities({ pool: fakePool(id) as unknown as Pool, keyring, partSize: 64 });
    const env1 = mockEnv();
    const beats: UploadCheckpoint[] = [];
    env1.on('heartbeat', (d: UploadCheckpoint | undefined) => d && beats.push(d));
    const before = s3.parts.length;
    const full = await env1.run<[UploadPartsInput], UploadPartsResult, UploadParts>(first.uploadParts, uploadInput(id));
    const fullParts = s3.parts.slice(before).sort((a, b) => a.partNumber - b.partNumber);
    const cp = beats[Math.floor(beats.length / 2)]!;
    expect(cp.next.rows).toBeGreaterThan(0);

    // The retry lands on a worker configured for another part size.
    const pool = fakePool(id);
    const retry = createActivities({ pool: pool as unknown as Pool, keyring, partSize: 128 });
    const env2 = mockEnv({ heartbeatDetails: cp, attempt: 2 });
    const mark = s3.parts.length;
    const result = await env2.run<[UploadPartsInput], UploadPartsResult, UploadParts>(retry.uploadParts, uploadInput(id));
    const resent = s3.parts.slice(mark).sort((a, b) => a.partNumber - b.partNumber);

    expect(pool.clients[0]!.queries[1]).toContain(`OFFSET ${cp.next.rows}`);
    expect(resent[0]!.partNumber).toBe(cp.parts.length + 1);
    expect(result).toMatchObject({ resumed: true, partSize: 64, rows: ROWS.length, bytes: FILE.length, sha256: null });
    expect(result.parts).toEqual(full.parts);
    const file = Buffer.concat([...fullParts.slice(0, cp.parts.length).map((p) => p.body), ...resent.map((p) => p.body)]);
    expect(file.equals(FILE)).toBe(true);
  });

  it('resumed from a checkpoint older than the parts the provider holds, rebuilds them exactly and reports how many', async () => {
    const id = randomUUID();
    // Its own upload id, so the provider's part list holds only this file's parts.
    const input = { ...uploadInput(id), uploadId: `upload-${randomUUID()}` };
    // The killed attempt: every part landed, but the heartbeats carrying the later checkpoints never
    // reached the server, so the retry gets an early one.
    const first = createActivities({ pool: fakePool(id) as unknown as Pool, keyring, partSize: 64 });
    const env1 = mockEnv();
    const beats: UploadCheckpoint[] = [];
    env1.on('heartbeat', (d: UploadCheckpoint | undefined) => d && beats.push(d));
    const before = s3.parts.length;
    const full = await env1.run<[UploadPartsInput], UploadPartsResult, UploadParts>(first.uploadParts, input);
    const stale = beats[1]!;
    const behind = full.parts.length - stale.parts.length;
    expect(behind).toBeGreaterThan(2);

    const logs: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    });
    const rebuiltBefore = await counterValue('ua_export_parts_rebuilt_total', input.table);
    const resumesBefore = await counterValue('ua_export_upload_resumes_total', input.table);
    const retry = createActivities({ pool: fakePool(id) as unknown as Pool, keyring, partSize: 64, log: createLogger('info', sink) });
    const result = await mockEnv({ heartbeatDetails: stale, attempt: 2 }).run<[UploadPartsInput], UploadPartsResult, UploadParts>(retry.uploadParts, input);

    // The provider keeps the last upload of each part number: the file it would assemble from the
    // parts completion lists is the exact file, and completion lists only this build's parts.
    const latest = new Map<number, Buffer>();
    for (const p of s3.parts.slice(before)) latest.set(p.partNumber, p.body);
    expect(result.parts.map((p) => p.PartNumber)).toEqual(full.parts.map((_, i) => i + 1));
    expect(result.parts).toEqual(full.parts);
    expect(Buffer.concat(result.parts.map((p) => latest.get(p.PartNumber)!)).equals(FILE)).toBe(true);

    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'parts rebuilt');
    expect(line).toMatchObject({ resumeAfterPart: stale.parts.length, partsHeld: full.parts.length, partsRebuilt: behind, table: input.table });
    expect((await counterValue('ua_export_parts_rebuilt_total', input.table)) - rebuiltBefore).toBe(behind);
    expect((await counterValue('ua_export_upload_resumes_total', input.table)) - resumesBefore).toBe(1);
  });

  it('stops on cancellation, discarding the connection mid-COPY, and reports the cancellation', async () => {
    const id = randomUUID();
    const pool = fakePool(id, { stall: true });
    const activities = createActivities({ pool: pool as unknown as Pool, keyring, partSize: 64 });
    const env = mockEnv();
    const done = env.run(activities.uploadParts, uploadInput(id)).then(
      () => null,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 100));
    env.cancel();
    const err = await done;
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(pool.clients[0]!.released).toBeInstanceOf(Error);
  });
});

describe('writeManifest', () => {
  it('records the part size uploadParts reported, and the worker part size for a run from before it reported one', async () => {
    const id = randomUUID();
    const activities = createActivities({ pool: fakePool(id) as unknown as Pool, keyring, partSize: 32 * 1024 * 1024 });
    const plan = buildExportPlan(
      { id, appId: randomUUID(), endpointUrl: s3.endpoint, bucket: 'bucket', folder: 'f', settings: normalizeSettings({}) },
      '2026-03-01',
      ['campaign_metrics'],
    );
    const base = { ...run(id), plan, file: plan.files[0]!, rows: 1, bytes: 10, parts: 1, sha256: 'ab', etag: '"e"' };
    await mockEnv().run(activities.writeManifest, { ...base, partSize: 5 * 1024 * 1024 });
    const reported = JSON.parse(s3.objects.get(`/bucket/${plan.files[0]!.manifestKey}`)!.toString('utf8'));
    // A workflow whose uploadParts ran before it reported its part size passes none.
    await mockEnv().run(activities.writeManifest, base);
    const fallback = JSON.parse(s3.objects.get(`/bucket/${plan.files[0]!.manifestKey}`)!.toString('utf8'));
    expect([reported.partSize, fallback.partSize]).toEqual([5 * 1024 * 1024, 32 * 1024 * 1024]);
  });
});

describe("writeManifest: the table folder's _schema.json", () => {
  it('writes the schema on one line before the manifest, skips an identical one, and rewrites it when the column set changes', async () => {
    const id = randomUUID();
    const activities = createActivities({ pool: fakePool(id) as unknown as Pool, keyring, partSize: 5 * 1024 * 1024 });
    const planWith = (sendUserAttributes: boolean, day: string) =>
      buildExportPlan(
        { id, appId: randomUUID(), endpointUrl: s3.endpoint, bucket: 'bucket/pre', folder: `f-${id}`, settings: normalizeSettings({ sendUserAttributes }) },
        day,
        ['ua_events'],
      );
    const write = (plan: ReturnType<typeof planWith>) =>
      mockEnv().run(activities.writeManifest, {
        ...run(id),
        table: 'ua_events' as const,
        plan,
        file: plan.files[0]!,
        rows: 1,
        bytes: 10,
        parts: 1,
        sha256: 'ab',
        etag: '"e"',
      });
    const schemaPath = `/bucket/pre/f-${id}/ua_events/_schema.json`;
    const putsHere = () => s3.objectPuts.filter((p) => p.includes(`f-${id}/`));

    const first = planWith(false, '2026-03-01');
    await write(first);
    expect(putsHere()).toEqual([schemaPath, `/bucket/${first.files[0]!.manifestKey}`]);
    const schemaText = s3.objects.get(schemaPath)!.toString('utf8');
    const manifestText = s3.objects.get(`/bucket/${first.files[0]!.manifestKey}`)!.toString('utf8');
    // One line each, ending in a newline: NDJSON readers collect them.
    expect(schemaText.split('\n')).toEqual([expect.any(String), '']);
    expect(manifestText.split('\n')).toEqual([expect.any(String), '']);
    expect(JSON.parse(schemaText)).toEqual(JSON.parse(manifestText).schema);
    expect(JSON.parse(schemaText).fields.map((f: { name: string }) => f.name)).toEqual(first.files[0]!.columns);

    // Another day, same columns: the schema object is left alone.
    const second = planWith(false, '2026-03-02');
    await write(second);
    expect(putsHere().slice(2)).toEqual([`/bucket/${second.files[0]!.manifestKey}`]);

    // User attributes turned on: the column set grows, so the schema is replaced.
    const third = planWith(true, '2026-03-03');
    await write(third);
    expect(putsHere().slice(3)).toEqual([schemaPath, `/bucket/${third.files[0]!.manifestKey}`]);
    expect(JSON.parse(s3.objects.get(schemaPath)!.toString('utf8')).fields.at(-1)).toEqual({
      name: 'user_attributes',
      type: 'any',
      description: 'JSON value as canonical jsonb text',
    });
  });
});

describe('short activities heartbeat while they run', () => {
  // The workflow gives them a heartbeat timeout, so a lost attempt (a killed worker, a completion a
  // Temporal restart dropped) is retried within it: each must beat on a timer for as long as it runs,
  // and stop when it returns.
  const id = randomUUID();
  const { plan, file } = campaignMetricsPlan(id);
  const calls: ActivityCall[] = [
    ['startFile', (a) => a.startFile({ ...run(id), bucket: file.bucket, key: file.key, manifestKey: file.manifestKey })],
    ['writeManifest', (a) => a.writeManifest({ ...run(id), plan, file, rows: 0, bytes: 0, parts: 1, partSize: 5, sha256: 'x', etag: '"e"' })],
    ['recordFileExported', (a) => a.recordFileExported({ ...run(id), rows: 1, bytes: 1, parts: 1, sha256: 'x', startedAt: new Date().toISOString() })],
    ['abandonFile', (a) => a.abandonFile({ ...run(id), bucket: 'bucket', key: 'k', uploadId: 'u', error: 'boom', reason: 'ExportFailed', cancelled: false })],
  ];

  it.each(calls)('%s beats while its first statement is held, and stops once it returns', async (_name, call) => {
    // Only the interval timers are faked: the S3 SDK's own timeouts and the fake S3 run for real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const base = fakePool(id);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const held = new Promise<void>((r) => (entered = r));
      let first = true;
      const pool = {
        ...base,
        async query(text: string) {
          if (first) {
            first = false;
            entered();
            await gate;
          }
          return base.query(text);
        },
      };
      const env = mockEnv();
      let beats = 0;
      env.on('heartbeat', () => beats++);
      const done = env.run(() => call(createActivities({ pool: pool as unknown as Pool, keyring, partSize: 64 })));
      await held;
      vi.advanceTimersByTime(SHORT_HEARTBEAT_TIMEOUT_MS);
      const whileHeld = beats;
      release();
      // The fake S3 answers only some of the calls these make (startFile's listing fails on it): returned
      // or failed, the timer must stop.
      await done.catch(() => undefined);
      vi.advanceTimersByTime(SHORT_HEARTBEAT_TIMEOUT_MS);
      // at least two beats inside one heartbeat timeout, none after the activity returned
      expect(whileHeld).toBeGreaterThanOrEqual(2);
      expect(beats).toBe(whileHeld);
    } finally {
      vi.useRealTimers();
    }
  });
});
