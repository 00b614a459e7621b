import { ApplicationFailure } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SA_APP_ID } from '../../src/temporal/search-attributes.js';
import { exportDayWorkflow, exportProgressQuery } from '../../workflows/index.js';
import { failureOf, localActivityMarkers } from '../helpers/harness.js';
import { Gate, happy, heartbeatUntil, startMockWorker, waitFor, type MockWorker, type Scenario } from '../helpers/mock-worker.js';

/** exportDayWorkflow's own logic, with every activity mocked (test/helpers/mock-worker.ts). */

let w: MockWorker;
beforeAll(async () => {
  w = await startMockWorker('export-day');
});
afterAll(async () => {
  await w?.close();
});

const DAY = '2026-03-05';
const TABLES = ['ua_events', 'campaign_metrics'] as const;

async function started(s: Scenario, tag: string) {
  return w.track(
    await w.client.workflow.start(exportDayWorkflow, {
      taskQueue: w.taskQueue,
      workflowId: `wf-export-day-${tag}-${s.integrationId}`,
      args: [{ integrationId: s.integrationId, day: DAY, tables: [...TABLES], kind: 'manual' }],
    }),
  );
}

const perFile = (table: string) => [
  `exportSmallFile:${table}`,
  `startFile:${table}`,
  `uploadParts:${table}`,
  `completeFile:${table}`,
  `writeManifest:${table}`,
  `recordFileExported:${table}`,
];

async function cancelRequested(handle: { fetchHistory(): Promise<{ events?: { workflowExecutionCancelRequestedEventAttributes?: unknown }[] | null }> }) {
  return waitFor('the cancel request in history', async () =>
    (await handle.fetchHistory()).events?.some((e) => e.workflowExecutionCancelRequestedEventAttributes),
  );
}

describe('exportDayWorkflow (mocked activities)', () => {
  it('happy path: plan, then per table start → upload → complete → manifest → record, then status; progress query follows along', async () => {
    const holdSecond = new Gate();
    const secondUploading = new Gate();
    const s = w.scenario({
      async uploadParts(input) {
        if (input.table === 'campaign_metrics') {
          secondUploading.open();
          await heartbeatUntil(holdSecond.promise);
        }
        return happy.uploadParts(input);
      },
    });
    const handle = await started(s, 'happy');

    // Mid-run: the first file is exported with its counts, the second is uploading.
    await secondUploading.promise;
    const mid = await handle.query(exportProgressQuery);
    expect(mid.map((f) => [f.table, f.state])).toEqual([
      ['ua_events', 'exported'],
      ['campaign_metrics', 'uploading'],
    ]);
    expect(mid[0]).toMatchObject({ rows: 100, bytes: 1000, parts: 2, sha256: `sha-ua_events-${DAY}`, error: null });
    expect(mid[1]).toMatchObject({ rows: null, bytes: null, parts: null, sha256: null });
    holdSecond.open();

    const result = await handle.result();
    expect(s.trace()).toEqual(['planExport', ...perFile('ua_events'), ...perFile('campaign_metrics'), 'recordIntegrationStatus']);
    expect(s.calls.every((c) => c.outcome === 'ok')).toBe(true);

    // Each step is fed the previous step's output.
    const [plan] = s.of('planExport');
    expect(plan!.input).toEqual({ integrationId: s.integrationId, day: DAY, tables: [...TABLES] });
    const desc = await handle.describe();
    for (const [i, table] of TABLES.entries()) {
      const base = { integrationId: s.integrationId, table, day: DAY, workflowId: handle.workflowId, runId: desc.runId, kind: 'manual' };
      const key = `exports/${table}/${DAY}.csv`;
      const manifestKey = `exports/${table}/${DAY}_manifest.json`;
      const uploadId = `upload-${table}-${DAY}`;
      expect(s.of('startFile')[i]!.input).toEqual({ ...base, bucket: 'mock-bucket', key, manifestKey });
      expect(s.of('uploadParts')[i]!.input).toMatchObject({ ...base, bucket: 'mock-bucket', key, uploadId });
      const rows = table === 'ua_events' ? 100 : 7;
      expect(s.of('completeFile')[i]!.input).toMatchObject({
        ...base,
        uploadId,
        manifestKey,
        bytes: rows * 10,
        sha256: `sha-${table}-${DAY}`,
        startedAt: '2026-01-01T00:00:00.000Z',
        parts: [
          { PartNumber: 1, ETag: `"${table}-1"`, size: rows * 10 - 1 },
          { PartNumber: 2, ETag: `"${table}-2"`, size: 1 },
        ],
      });
      expect(s.of('writeManifest')[i]!.input).toMatchObject({
        ...base,
        rows,
        bytes: rows * 10,
        parts: 2,
        sha256: `sha-${table}-${DAY}`,
        etag: `"final-${table}"`,
        file: { table, key, manifestKey },
      });
      expect(s.of('writeManifest')[i]!.input.plan).toMatchObject({ appId: `app-${s.integrationId}`, day: DAY });
      expect(s.of('recordFileExported')[i]!.input).toMatchObject({
        ...base,
        rows,
        bytes: rows * 10,
        parts: 2,
        sha256: `sha-${table}-${DAY}`,
        startedAt: '2026-01-01T00:00:00.000Z',
      });
      expect(s.of('recordFileExported')[i]!.input).not.toHaveProperty('scheduledAt');
    }
    expect(s.of('recordIntegrationStatus')[0]!.input).toEqual({ integrationId: s.integrationId, status: 'succeeded', error: null });
    expect(s.of('abandonFile')).toEqual([]);

    expect(result).toEqual({
      integrationId: s.integrationId,
      day: DAY,
      files: TABLES.map((table) => {
        const rows = table === 'ua_events' ? 100 : 7;
        return {
          table,
          key: `mock-bucket/exports/${table}/${DAY}.csv`,
          state: 'exported',
          rows,
          bytes: rows * 10,
          parts: 2,
          sha256: `sha-${table}-${DAY}`,
          error: null,
        };
      }),
    });
    expect(await handle.query(exportProgressQuery)).toEqual(result.files);
    // The workflow upserts the plan's app id, so a directly started run is searchable by it.
    expect(desc.typedSearchAttributes.get(SA_APP_ID)).toBe(`app-${s.integrationId}`);
  });

  it('uses the sha256 completeFile settles (read back after a resume), not the upload pass', async () => {
    const s = w.scenario({
      uploadParts: async (input) => ({ ...(await happy.uploadParts(input)), sha256: null, resumed: true }),
    });
    const handle = await started(s, 'resumed');
    const result = await handle.result();
    expect(s.of('completeFile').map((c) => c.input.sha256)).toEqual([null, null]);
    expect(s.of('writeManifest').map((c) => c.input.sha256)).toEqual(['read-back-ua_events', 'read-back-campaign_metrics']);
    expect(s.of('recordFileExported').map((c) => c.input.sha256)).toEqual(['read-back-ua_events', 'read-back-campaign_metrics']);
    expect(result.files.map((f) => f.sha256)).toEqual(['read-back-ua_events', 'read-back-campaign_metrics']);
  });

  it.each([
    { step: 'uploadParts' as const, uploadId: `upload-ua_events-${DAY}` },
    { step: 'startFile' as const, uploadId: null },
    { step: 'exportSmallFile' as const, uploadId: null },
  ])('a configuration error ($step → AccessDenied) on the first table skips the second and fails as ConfigurationError', async ({ step, uploadId }) => {
    const s = w.scenario({
      [step]: async () => {
        throw ApplicationFailure.nonRetryable('Access Denied: check the key', 'AccessDenied');
      },
    });
    const handle = await started(s, `config-${step}`);
    const err = await failureOf(handle.result());
    expect(err.cause).toBeInstanceOf(ApplicationFailure);
    expect((err.cause as ApplicationFailure).type).toBe('ConfigurationError');
    expect(err.cause?.message).toBe(`export of ${DAY} failed for ua_events, campaign_metrics: Access Denied: check the key`);

    // Not retried (non-retryable), and the second table's endpoint is never called.
    expect(s.of(step)).toHaveLength(1);
    expect(s.calls.filter((c) => (c.input as { table?: string }).table === 'campaign_metrics')).toEqual([]);
    expect(s.trace()).toEqual([
      'planExport',
      ...(step === 'exportSmallFile' ? [] : ['exportSmallFile:ua_events']),
      ...(step === 'uploadParts' ? ['startFile:ua_events'] : []),
      `${step}:ua_events`,
      'abandonFile:ua_events',
      'recordIntegrationStatus',
    ]);
    expect(s.of('abandonFile')[0]!.input).toMatchObject({
      table: 'ua_events',
      bucket: 'mock-bucket',
      key: `exports/ua_events/${DAY}.csv`,
      uploadId,
      error: 'Access Denied: check the key',
      reason: 'AccessDenied',
      cancelled: false,
    });
    expect(s.of('recordIntegrationStatus')[0]!.input).toEqual({
      integrationId: s.integrationId,
      status: 'failed',
      error: `${DAY}: Access Denied: check the key`,
    });

    const progress = await handle.query(exportProgressQuery);
    expect(progress.map((f) => [f.table, f.state, f.error])).toEqual([
      ['ua_events', 'failed', 'Access Denied: check the key'],
      ['campaign_metrics', 'failed', 'skipped: an earlier table failed with a configuration error'],
    ]);
  });

  it('a non-configuration failure (SizeMismatch) on the first table still exports the second, then fails as ExportFailed', async () => {
    const s = w.scenario({
      async completeFile(input) {
        if (input.table === 'ua_events') throw ApplicationFailure.nonRetryable('completed object has 3 bytes, expected 1000', 'SizeMismatch');
        return happy.completeFile(input);
      },
    });
    const handle = await started(s, 'other-failure');
    const err = await failureOf(handle.result());
    expect((err.cause as ApplicationFailure).type).toBe('ExportFailed');
    expect(err.cause?.message).toBe(`export of ${DAY} failed for ua_events: completed object has 3 bytes, expected 1000`);
    expect(s.trace()).toEqual([
      'planExport',
      'exportSmallFile:ua_events',
      'startFile:ua_events',
      'uploadParts:ua_events',
      'completeFile:ua_events',
      'abandonFile:ua_events',
      ...perFile('campaign_metrics'),
      'recordIntegrationStatus',
    ]);
    expect(s.of('abandonFile')[0]!.input).toMatchObject({ table: 'ua_events', uploadId: `upload-ua_events-${DAY}`, reason: 'SizeMismatch', cancelled: false });
    expect(s.of('recordIntegrationStatus')[0]!.input).toMatchObject({ status: 'failed', error: `${DAY}: completed object has 3 bytes, expected 1000` });
    const progress = await handle.query(exportProgressQuery);
    expect(progress.map((f) => f.state)).toEqual(['failed', 'exported']);
  });

  it('a retryable failure is retried by Temporal and the day still succeeds', async () => {
    let attempts = 0;
    const s = w.scenario({
      async uploadParts(input) {
        if (input.table === 'ua_events' && ++attempts === 1) throw ApplicationFailure.retryable('connection reset', 'NetworkError');
        return happy.uploadParts(input);
      },
    });
    const handle = await started(s, 'retryable');
    const result = await handle.result();
    expect(s.of('uploadParts').map((c) => [c.input.table, c.outcome])).toEqual([
      ['ua_events', 'error'],
      ['ua_events', 'ok'],
      ['campaign_metrics', 'ok'],
    ]);
    expect(s.of('abandonFile')).toEqual([]);
    expect(result.files.map((f) => f.state)).toEqual(['exported', 'exported']);
    expect(s.of('recordIntegrationStatus')[0]!.input.status).toBe('succeeded');
  });

  describe('cancelled while uploadParts runs', () => {
    async function cancelMidUpload(tag: string) {
      const uploading = new Gate();
      const s = w.scenario({
        async uploadParts() {
          uploading.open();
          await heartbeatUntil(new Promise(() => undefined)); // only a cancel ends it
          throw new Error('unreachable');
        },
      });
      const handle = await started(s, tag);
      await uploading.promise;
      await handle.cancel();
      const err = await failureOf(handle.result());
      expect(err.cause).toBeInstanceOf(CancelledFailure);
      return { s, handle };
    }

    it('the upload activity is cancelled and awaited, then abandonFile aborts the upload with cancelled: true; the second table never starts', async () => {
      const { s, handle } = await cancelMidUpload('cancel-upload');
      const [upload] = s.of('uploadParts');
      expect(upload).toMatchObject({ outcome: 'error', sawCancel: true });
      const [abandon] = s.of('abandonFile');
      expect(abandon!.input).toMatchObject({ table: 'ua_events', uploadId: `upload-ua_events-${DAY}`, cancelled: true });
      // WAIT_CANCELLATION_COMPLETED: the abort only starts after the upload activity has stopped.
      expect(abandon!.startedAt).toBeGreaterThanOrEqual(upload!.endedAt!);
      expect(s.of('abandonFile')).toHaveLength(1);
      expect(s.calls.filter((c) => (c.input as { table?: string }).table === 'campaign_metrics')).toEqual([]);
      expect(s.of('completeFile')).toEqual([]);
      const progress = await handle.query(exportProgressQuery);
      expect(progress.map((f) => f.state)).toEqual(['cancelled', 'pending']);
    });

    // A cancel is an operator's act, not an export result: the integration's last status (what the
    // calendar and GET /v1/integrations/:id show) stays what the last finished export made it.
    it("leaves the integration's last status as it was", async () => {
      const { s } = await cancelMidUpload('cancel-status');
      expect(s.of('abandonFile')).toHaveLength(1);
      expect(s.of('recordIntegrationStatus')).toHaveLength(0);
    });
  });

  it('a cancel that arrives during completeFile lets completion, manifest and ledger record finish; then nothing new starts', async () => {
    const completing = new Gate();
    const release = new Gate();
    const s = w.scenario({
      async completeFile(input) {
        completing.open();
        await heartbeatUntil(release.promise);
        return happy.completeFile(input);
      },
    });
    const handle = await started(s, 'cancel-complete');
    await completing.promise;
    await handle.cancel();
    await cancelRequested(handle);
    // Give the workflow a task to process the cancel while completion is held open.
    await new Promise((r) => setTimeout(r, 500));
    release.open();
    const err = await failureOf(handle.result());
    expect(err.cause).toBeInstanceOf(CancelledFailure);

    expect(s.of('completeFile')[0]).toMatchObject({ outcome: 'ok', sawCancel: false });
    expect(s.trace()).toEqual(['planExport', ...perFile('ua_events'), 'abandonFile:campaign_metrics']);
    expect(s.of('writeManifest')[0]!.input).toMatchObject({ table: 'ua_events', sha256: `sha-ua_events-${DAY}`, etag: '"final-ua_events"' });
    expect(s.of('recordFileExported')[0]!.input).toMatchObject({ table: 'ua_events', rows: 100 });
    // The second table was never opened: its abandon has no upload id and is marked cancelled.
    expect(s.of('abandonFile')[0]!.input).toMatchObject({ table: 'campaign_metrics', uploadId: null, cancelled: true });
    const progress = await handle.query(exportProgressQuery);
    expect(progress.map((f) => [f.table, f.state])).toEqual([
      ['ua_events', 'exported'],
      ['campaign_metrics', 'cancelled'],
    ]);
  });

  describe('a file that fits one part (exportSmallFile)', () => {
    const fits = (table: string, day: string) => ({
      fits: true as const,
      rows: table === 'ua_events' ? 42 : 3,
      bytes: table === 'ua_events' ? 4200 : 300,
      parts: 1 as const,
      partSize: 16 * 1024 * 1024,
      sha256: `small-${table}-${day}`,
      etag: `"put-${table}"`,
      startedAt: '2026-01-01T00:00:00.000Z',
    });

    it('is written by one activity per table: plan, exportSmallFile × 2, status; no multipart step runs', async () => {
      const s = w.scenario({ exportSmallFile: async (input) => fits(input.table, input.day) });
      const handle = await started(s, 'small');
      const result = await handle.result();
      expect(s.trace()).toEqual(['planExport', 'exportSmallFile:ua_events', 'exportSmallFile:campaign_metrics', 'recordIntegrationStatus']);
      const desc = await handle.describe();
      for (const [i, table] of TABLES.entries()) {
        // The activity gets the plan and the file (for the manifest) and the run's identity (for the ledger).
        expect(s.of('exportSmallFile')[i]!.input).toMatchObject({
          integrationId: s.integrationId,
          table,
          day: DAY,
          workflowId: handle.workflowId,
          runId: desc.runId,
          kind: 'manual',
          file: { table, bucket: 'mock-bucket', key: `exports/${table}/${DAY}.csv`, manifestKey: `exports/${table}/${DAY}_manifest.json` },
          plan: { appId: `app-${s.integrationId}`, day: DAY },
        });
      }
      expect(result.files.map((f) => [f.table, f.state, f.rows, f.bytes, f.parts, f.sha256])).toEqual([
        ['ua_events', 'exported', 42, 4200, 1, `small-ua_events-${DAY}`],
        ['campaign_metrics', 'exported', 3, 300, 1, `small-campaign_metrics-${DAY}`],
      ]);
      expect(s.of('recordIntegrationStatus')[0]!.input).toEqual({ integrationId: s.integrationId, status: 'succeeded', error: null });
    });

    it('plans and records its status as local activities: markers in the history, two task-queue activities, three workflow tasks', async () => {
      const s = w.scenario({ exportSmallFile: async (input) => fits(input.table, input.day) });
      const handle = await started(s, 'small-local');
      await handle.result();
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
      expect(scheduled).toEqual(['exportSmallFile', 'exportSmallFile']);
      // A local activity's marker carries its activity type in the marker's data.
      const markers = localActivityMarkers(events, /planExport|recordIntegrationStatus/);
      expect(markers).toEqual(['planExport', 'recordIntegrationStatus']);
      // Start + plan + first file, second file, status + completion: the files run one after the other.
      expect(events.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(3);
      expect(s.trace()).toEqual(['planExport', 'exportSmallFile:ua_events', 'exportSmallFile:campaign_metrics', 'recordIntegrationStatus']);
    });

    it('falls through to multipart for the table that does not fit, and only for it', async () => {
      const s = w.scenario({ exportSmallFile: async (input) => (input.table === 'campaign_metrics' ? fits(input.table, input.day) : { fits: false }) });
      const handle = await started(s, 'mixed');
      const result = await handle.result();
      expect(s.trace()).toEqual(['planExport', ...perFile('ua_events'), 'exportSmallFile:campaign_metrics', 'recordIntegrationStatus']);
      expect(result.files.map((f) => [f.state, f.parts])).toEqual([
        ['exported', 2],
        ['exported', 1],
      ]);
    });

    it('a failure is recorded by abandonFile with no upload id, and the other table still runs', async () => {
      const s = w.scenario({
        async exportSmallFile(input) {
          if (input.table === 'ua_events') throw ApplicationFailure.nonRetryable('ua-export refused ua_events row id=7: column x holds y', 'RowRefused');
          return fits(input.table, input.day);
        },
      });
      const handle = await started(s, 'small-fail');
      const err = await failureOf(handle.result());
      expect((err.cause as ApplicationFailure).type).toBe('ExportFailed');
      expect(s.trace()).toEqual([
        'planExport',
        'exportSmallFile:ua_events',
        'abandonFile:ua_events',
        'exportSmallFile:campaign_metrics',
        'recordIntegrationStatus',
      ]);
      expect(s.of('abandonFile')[0]!.input).toMatchObject({ table: 'ua_events', uploadId: null, reason: 'RowRefused', cancelled: false });
    });

    it('a cancel during its read is awaited, then abandonFile records the file cancelled; the second table never starts', async () => {
      const reading = new Gate();
      const s = w.scenario({
        async exportSmallFile() {
          reading.open();
          await heartbeatUntil(new Promise(() => undefined));
          throw new Error('unreachable');
        },
      });
      const handle = await started(s, 'small-cancel');
      await reading.promise;
      await handle.cancel();
      const err = await failureOf(handle.result());
      expect(err.cause).toBeInstanceOf(CancelledFailure);
      const [small] = s.of('exportSmallFile');
      expect(small).toMatchObject({ outcome: 'error', sawCancel: true });
      const [abandon] = s.of('abandonFile');
      expect(abandon!.input).toMatchObject({ table: 'ua_events', uploadId: null, cancelled: true });
      expect(abandon!.startedAt).toBeGreaterThanOrEqual(small!.endedAt!);
      expect(s.calls.filter((c) => (c.input as { table?: string }).table === 'campaign_metrics')).toEqual([]);
    });

    it('a cancel that arrives once it writes lets it finish: the file counts as exported, then nothing new starts', async () => {
      const writing = new Gate();
      const release = new Gate();
      const s = w.scenario({
        async exportSmallFile(input) {
          writing.open();
          // Like the real activity past its read: it no longer listens for the cancel.
          await release.promise;
          return fits(input.table, input.day);
        },
      });
      const handle = await started(s, 'small-cancel-write');
      await writing.promise;
      await handle.cancel();
      await cancelRequested(handle);
      release.open();
      const err = await failureOf(handle.result());
      expect(err.cause).toBeInstanceOf(CancelledFailure);
      expect(s.of('exportSmallFile')[0]).toMatchObject({ outcome: 'ok' });
      expect(s.trace()).toEqual(['planExport', 'exportSmallFile:ua_events', 'abandonFile:campaign_metrics']);
      const progress = await handle.query(exportProgressQuery);
      expect(progress.map((f) => [f.table, f.state])).toEqual([
        ['ua_events', 'exported'],
        ['campaign_metrics', 'cancelled'],
      ]);
    });
  });
});
