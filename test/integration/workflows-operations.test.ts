import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, utcDayOf } from '../../src/export/days.js';
import { WorkflowNotFoundError } from '@temporalio/client';
import { alertWorkflowId, exportWorkflowId } from '../../src/temporal/ids.js';
import { backfillWorkflow } from '../../workflows/backfill.js';
import { scheduledExportWorkflow } from '../../workflows/index.js';
import { happy, startMockWorker, waitFor, type MockWorker, type Scenario } from '../helpers/mock-worker.js';

/**
 * Issue 12's decisions in scheduledExportWorkflow, the real workflow code against mocked activities:
 * which outcome a failure records, which alerts it raises, and what the lookback re-delivers.
 * (The streak that pauses a schedule is computed in Postgres: test/integration/operations.test.ts.)
 */

let w: MockWorker;
beforeAll(async () => {
  w = await startMockWorker('operations');
});
afterAll(async () => {
  await w?.close();
});

async function runScheduled(s: Scenario) {
  const handle = w.track(
    await w.client.workflow.start(scheduledExportWorkflow, {
      taskQueue: w.taskQueue,
      workflowId: `wf-ops-${s.integrationId}`,
      args: [{ integrationId: s.integrationId }],
    }),
  );
  const day = addDays(utcDayOf((await handle.describe()).startTime), -1);
  return { handle, day };
}

const alertsOf = (s: Scenario) => s.of('sendAlert').map((c) => c.input);

describe.concurrent('scheduled run operations (mocked activities)', () => {
  it('a configuration failure records config_failed, raises export.failed, and integration.auto_paused once the streak pauses it', async () => {
    const s = w.scenario({
      uploadParts: async () => {
        throw ApplicationFailure.nonRetryable('SignatureDoesNotMatch: the secret access key is wrong', 'SignatureDoesNotMatch');
      },
      recordScheduledOutcome: async () => ({
        previousFailed: true,
        autoPaused: { sinceDay: '2026-11-28', failedDays: 3, reason: 'SignatureDoesNotMatch' },
        lookbackDays: 3,
      }),
    });
    const { handle, day } = await runScheduled(s);
    await expect(handle.result()).rejects.toThrow();
    expect(s.of('recordScheduledOutcome').map((c) => c.input)).toEqual([
      { integrationId: s.integrationId, day, outcome: 'config_failed', error: expect.stringContaining('SignatureDoesNotMatch') },
    ]);
    await waitFor('two alerts', () => s.of('sendAlert').length >= 2);
    const events = alertsOf(s);
    expect(events.map((e) => e.event).sort()).toEqual(['export.failed', 'integration.auto_paused']);
    const paused = events.find((e) => e.event === 'integration.auto_paused')!;
    expect(paused).toMatchObject({
      day,
      autoPaused: { sinceDay: '2026-11-28', failedDays: 3 },
      eventId: `${s.integrationId}:integration.auto_paused:2026-11-28`,
    });
    const failed = events.find((e) => e.event === 'export.failed')!;
    expect(failed).toMatchObject({ day, workflowId: exportWorkflowId(s.integrationId, day), error: expect.stringContaining('SignatureDoesNotMatch') });
    // A failed day reviews nothing before it: the destination is broken.
    expect(s.of('reviewRecentDays')).toHaveLength(0);
  });

  it('a failure that is not a configuration error (a refused row; a transient outage once its retries ran out) records failed, so it cannot count toward a pause', async () => {
    const s = w.scenario({
      // Retryable errors are retried for hours; what reaches the workflow after that is a non-configuration failure.
      uploadParts: async () => {
        throw ApplicationFailure.nonRetryable('ua-export refused ua_events row id=1: column x holds y', 'RowRefused');
      },
    });
    const { handle, day } = await runScheduled(s);
    await expect(handle.result()).rejects.toThrow();
    expect(s.of('recordScheduledOutcome').map((c) => [c.input.day, c.input.outcome])).toEqual([[day, 'failed']]);
    await waitFor('export.failed', () => s.of('sendAlert').length >= 1);
    expect(alertsOf(s).map((e) => e.event)).toEqual(['export.failed']);
  });

  it('a success after failures raises export.recovered; a plain success raises nothing', async () => {
    const recovered = w.scenario({ recordScheduledOutcome: async () => ({ previousFailed: true, autoPaused: null, lookbackDays: 0 }) });
    const plain = w.scenario();
    const [a, b] = await Promise.all([runScheduled(recovered), runScheduled(plain)]);
    expect(await a.handle.result()).toMatchObject({ status: 'exported', recovered: true });
    expect(await b.handle.result()).toMatchObject({ status: 'exported' });
    await waitFor('export.recovered', () => recovered.of('sendAlert').length >= 1);
    expect(alertsOf(recovered)).toEqual([
      expect.objectContaining({ event: 'export.recovered', day: a.day, eventId: `wf-ops-${recovered.integrationId}:export.recovered` }),
    ]);
    expect(plain.of('recordScheduledOutcome').map((c) => c.input.outcome)).toEqual(['succeeded']);
    expect(plain.of('sendAlert')).toHaveLength(0);
    // lookbackDays 0: no lookback, but the review for lost starts still runs, and found none.
    expect(plain.of('reviewRecentDays').map((c) => c.input)).toEqual([{ integrationId: plain.integrationId, day: b.day }]);
    expect(await b.handle.result()).not.toHaveProperty('lookback');
    expect(await b.handle.result()).not.toHaveProperty('missedRuns');
    expect(plain.of('checkLookback')).toHaveLength(0);
  });

  it('the lookback re-exports only the changed tables of a changed day, as kind redelivery, and raises export.redelivered with the row counts', async () => {
    const s = w.scenario({
      recordScheduledOutcome: async () => ({ previousFailed: false, autoPaused: null, lookbackDays: 3 }),
      reviewRecentDays: async (input) => ({
        changed: [
          {
            day: addDays(input.day, -2),
            tables: [{ table: 'ua_events', rowsBefore: 100, rowsAfter: 101, before: 'v1:100:0000000000000001', after: 'v1:101:0000000000000002' }],
          },
        ],
        missed: [],
      }),
    });
    const { handle, day } = await runScheduled(s);
    const changed = addDays(day, -2);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'exported', lookback: { checked: true, redelivered: [changed], failed: [], skippedBusy: [] } });
    expect(s.of('reviewRecentDays').map((c) => c.input)).toEqual([{ integrationId: s.integrationId, day }]);
    expect(s.of('checkLookback')).toHaveLength(0);
    const redelivery = s.of('startFile').filter((c) => c.input.day === changed);
    expect(redelivery.map((c) => [c.input.table, c.input.kind, c.input.workflowId])).toEqual([
      ['ua_events', 'redelivery', exportWorkflowId(s.integrationId, changed)],
    ]);
    await waitFor('export.redelivered', () => s.of('sendAlert').length >= 1);
    expect(alertsOf(s)).toEqual([
      expect.objectContaining({ event: 'export.redelivered', day: changed, redelivered: [{ table: 'ua_events', rowsBefore: 100, rowsAfter: 101 }] }),
    ]);
  });

  it('days whose scheduled run never started are exported whole as kind repair, before the lookback, each raising export.repaired (or export.failed)', async () => {
    // The mock learns the run's day from the review, which runs before any repair.
    let failingDay = '';
    const s = w.scenario({
      recordScheduledOutcome: async () => ({ previousFailed: false, autoPaused: null, lookbackDays: 3 }),
      reviewRecentDays: async (input) => {
        failingDay = addDays(input.day, -2);
        return {
          changed: [
            {
              day: addDays(input.day, -1),
              tables: [{ table: 'campaign_metrics', rowsBefore: 7, rowsAfter: 8, before: 'v1:7:0000000000000001', after: 'v1:8:0000000000000002' }],
            },
          ],
          missed: [
            { day: addDays(input.day, -3), scheduledAt: `${addDays(input.day, -2)}T04:00:00.000Z` },
            { day: addDays(input.day, -2), scheduledAt: `${addDays(input.day, -1)}T04:00:00.000Z` },
          ],
        };
      },
      planExport: async (input) => {
        if (input.day === failingDay) throw ApplicationFailure.nonRetryable('NoSuchBucket: the bucket does not exist', 'NoSuchBucket');
        return happy.planExport(input);
      },
    });
    const { handle, day } = await runScheduled(s);
    const [repairedDay, changedDay] = [addDays(day, -3), addDays(day, -1)];
    const result = await handle.result();
    expect(result).toMatchObject({
      status: 'exported',
      day,
      missedRuns: { repaired: [repairedDay], failed: [failingDay], skippedBusy: [] },
      lookback: { checked: true, redelivered: [changedDay], failed: [], skippedBusy: [] },
    });
    // The run's own day, then the missed days whole (both tables), then the changed table of the changed day.
    expect(s.of('planExport').map((c) => [c.input.day, c.input.tables])).toEqual([
      [day, ['ua_events', 'campaign_metrics']],
      [repairedDay, ['ua_events', 'campaign_metrics']],
      [failingDay, ['ua_events', 'campaign_metrics']],
      [changedDay, ['campaign_metrics']],
    ]);
    expect(
      s
        .of('startFile')
        .filter((c) => c.input.day === repairedDay)
        .map((c) => [c.input.table, c.input.kind, c.input.workflowId]),
    ).toEqual([
      ['ua_events', 'repair', exportWorkflowId(s.integrationId, repairedDay)],
      ['campaign_metrics', 'repair', exportWorkflowId(s.integrationId, repairedDay)],
    ]);
    await waitFor('three alerts', () => s.of('sendAlert').length >= 3);
    expect(alertsOf(s)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          event: 'export.repaired',
          day: repairedDay,
          eventId: `wf-ops-${s.integrationId}:export.repaired:${repairedDay}`,
          missedRun: { scheduledAt: `${addDays(repairedDay, 1)}T04:00:00.000Z` },
        }),
        expect.objectContaining({ event: 'export.failed', day: failingDay, error: expect.stringContaining('NoSuchBucket') }),
        expect.objectContaining({ event: 'export.redelivered', day: changedDay }),
      ]),
    );
    expect(s.of('sendAlert')).toHaveLength(3);
  });

  it('a review that cannot run is logged, never a reason to fail the day: the run is exported and tomorrow reviews the same days', async () => {
    const s = w.scenario({
      recordScheduledOutcome: async () => ({ previousFailed: false, autoPaused: null, lookbackDays: 3 }),
      reviewRecentDays: async () => {
        throw ApplicationFailure.nonRetryable('connection terminated', 'Error');
      },
    });
    const { handle } = await runScheduled(s);
    expect(await handle.result()).toMatchObject({ status: 'exported', lookback: { checked: false, redelivered: [] } });
    expect(await handle.result()).not.toHaveProperty('missedRuns');
  });

  it('a webhook that keeps failing neither fails nor delays the export: the run completes while its alert is still retrying', async () => {
    const s = w.scenario({
      recordScheduledOutcome: async () => ({ previousFailed: true, autoPaused: null, lookbackDays: 0 }),
      sendAlert: async () => {
        throw ApplicationFailure.retryable('webhook answered HTTP 503', 'AlertDeliveryFailed');
      },
    });
    const { handle } = await runScheduled(s);
    expect(await handle.result()).toMatchObject({ status: 'exported', recovered: true });
    await waitFor('a retried delivery', () => s.of('sendAlert').filter((c) => c.outcome === 'error').length >= 2, 30_000);
  });

  it('an integration without a webhook starts no alert workflow: not for a failure or auto-pause, a recovery, a redelivery or a finished backfill', async () => {
    const failing = w.scenario({
      uploadParts: async () => {
        throw ApplicationFailure.nonRetryable('SignatureDoesNotMatch: the secret access key is wrong', 'SignatureDoesNotMatch');
      },
      recordScheduledOutcome: async () => ({
        previousFailed: true,
        autoPaused: { sinceDay: '2026-11-28', failedDays: 3, reason: 'SignatureDoesNotMatch' },
        lookbackDays: 3,
        alertsConfigured: false,
      }),
    });
    const succeeding = w.scenario({
      recordScheduledOutcome: async () => ({ previousFailed: true, autoPaused: null, lookbackDays: 3, alertsConfigured: false }),
      reviewRecentDays: async (input) => ({
        changed: [
          {
            day: addDays(input.day, -2),
            tables: [{ table: 'ua_events', rowsBefore: 100, rowsAfter: 101, before: 'v1:100:0000000000000001', after: 'v1:101:0000000000000002' }],
          },
        ],
        missed: [],
      }),
    });
    const [f, ok] = await Promise.all([runScheduled(failing), runScheduled(succeeding)]);
    await expect(f.handle.result()).rejects.toThrow();
    const result = await ok.handle.result();
    // The same decisions as with a webhook (recovery, redelivery) ...
    expect(result).toMatchObject({ status: 'exported', recovered: true, lookback: { redelivered: [addDays(ok.day, -2)] } });
    const backfill = w.track(
      await w.client.workflow.start(backfillWorkflow, {
        taskQueue: w.taskQueue,
        workflowId: `wf-ops-backfill-${succeeding.integrationId}`,
        args: [
          { integrationId: succeeding.integrationId, from: '2026-10-01', to: '2026-10-01', tables: ['ua_events'], concurrency: 1, alertsConfigured: false },
        ],
      }),
    );
    expect(await backfill.result()).toMatchObject({ status: 'completed', completedDays: 1 });
    // ... but no alert workflow: a parent starts its alert child before it closes, so none exists now.
    const eventIds = [
      `wf-ops-${failing.integrationId}:export.failed`,
      `${failing.integrationId}:integration.auto_paused:2026-11-28`,
      `wf-ops-${succeeding.integrationId}:export.recovered`,
      `wf-ops-${succeeding.integrationId}:export.redelivered:${addDays(ok.day, -2)}`,
      `${backfill.workflowId}:${backfill.firstExecutionRunId}:backfill.completed`,
    ];
    for (const id of eventIds) await expect(w.client.workflow.getHandle(alertWorkflowId(id)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect([...failing.of('sendAlert'), ...succeeding.of('sendAlert')]).toHaveLength(0);
  });
});
