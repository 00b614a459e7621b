import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillProgressQuery, backfillWorkflow, exportDayWorkflow } from '../../workflows/index.js';
import { eventsForDay, insertEvents, metricsForDay, insertMetrics } from '../../src/dev/generate.js';
import { daysInRange } from '../../src/export/days.js';
import { objectKeys } from '../../src/export/keys.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import { expectedEventsCsv, expectedMetricsCsv } from '../helpers/expected-csv.js';
import { failureOf, setupHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await setupHarness('backfill');
  await h.startWorker();
});
afterAll(async () => {
  await h?.close();
});

describe('backfill workflow', () => {
  it('exports every day of the range across continue-as-new runs, with progress carried over', async () => {
    const integration = await h.integration({ settings: { includeEventsWithoutProfile: true } });
    const days = daysInRange('2026-06-01', '2026-06-07');
    const byDay = new Map(
      days.map((d, i) => [d, { events: [...eventsForDay(integration.appId, d, 40 + i, 300 + i)], metrics: metricsForDay(integration.appId, d, 2, 400 + i) }]),
    );
    for (const { events, metrics } of byDay.values()) {
      await insertEvents(h.pool, events);
      await insertMetrics(h.pool, metrics);
    }
    const handle = await h.testEnv.client.workflow.start(backfillWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: `ua-backfill-${integration.id}-test-can`,
      args: [{ integrationId: integration.id, from: days[0]!, to: days[6]!, tables: ['ua_events', 'campaign_metrics'], concurrency: 2, daysPerRun: 3 }],
    });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', totalDays: 7, completedDays: 7, failedDays: [], inProgressDays: [] });
    const totalRows = [...byDay.values()].reduce((s, d) => s + d.events.length + d.metrics.length, 0);
    expect(result.rows).toBe(totalRows);
    // 7 days at 3 per run: the first run and two continuations.
    const d = await handle.describe();
    expect(d.runId).not.toBe(handle.firstExecutionRunId);
    for (const [day, { events, metrics }] of byDay) {
      expect(await h.getText(objectKeys(integration.bucket, integration.folder, 'ua_events', day).dataKey)).toBe(expectedEventsCsv(events));
      expect(await h.getText(objectKeys(integration.bucket, integration.folder, 'campaign_metrics', day).dataKey)).toBe(expectedMetricsCsv(metrics));
      expect(JSON.parse(await h.getText(objectKeys(integration.bucket, integration.folder, 'ua_events', day).manifestKey))).toMatchObject({ day });
    }
    const progress = await h.testEnv.client.workflow.getHandle(handle.workflowId).query(backfillProgressQuery);
    expect(progress.completedDays).toBe(7);
  });

  it('stops early with the error when the configuration fails every day', async () => {
    const integration = await h.integration({ secretAccessKey: 'wrong-secret' });
    const handle = await h.testEnv.client.workflow.start(backfillWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: `ua-backfill-${integration.id}-test-stop`,
      args: [{ integrationId: integration.id, from: '2026-06-01', to: '2026-06-30', tables: ['ua_events'], concurrency: 1 }],
    });
    const err = await failureOf(handle.result());
    expect(err.cause?.message).toMatch(/stopped early: .*secret access key does not match/);
    const progress = await handle.query(backfillProgressQuery);
    expect(progress.status).toBe('failed');
    expect(progress.failedDays.length).toBeGreaterThanOrEqual(1);
    expect(progress.failedDays.length + progress.completedDays).toBeLessThan(30);
  });

  it('never exports a day twice at once: a day already being exported is waited for, then redone', async () => {
    const integration = await h.integration({ settings: { includeEventsWithoutProfile: true } });
    const day = '2026-06-10';
    const events = [...eventsForDay(integration.appId, day, 30, 77)];
    await insertEvents(h.pool, events);
    // Hold the day's workflow id with a run that waits on a missing task queue, like a stuck daily run.
    const blocker = await h.testEnv.client.workflow.start(exportDayWorkflow, {
      taskQueue: `${h.taskQueue}-nobody`,
      workflowId: exportWorkflowId(integration.id, day),
      args: [{ integrationId: integration.id, day, kind: 'scheduled' }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    });
    const handle = await h.testEnv.client.workflow.start(backfillWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: `ua-backfill-${integration.id}-test-busy`,
      args: [{ integrationId: integration.id, from: day, to: day, tables: ['ua_events'], concurrency: 1 }],
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await handle.query(backfillProgressQuery)).completedDays).toBe(0);
    await blocker.terminate('test: release the day');
    const result = await handle.result();
    expect(result.completedDays).toBe(1);
    expect(await h.getText(objectKeys(integration.bucket, integration.folder, 'ua_events', day).dataKey)).toBe(expectedEventsCsv(events));
  }, 90_000);
});
