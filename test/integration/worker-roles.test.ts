import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDayWorkflow } from '../../workflows/index.js';
import { eventsForDay, insertEvents, insertMetrics, metricsForDay } from '../../src/dev/generate.js';
import { objectKeys } from '../../src/export/keys.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import { expectedEventsCsv, expectedMetricsCsv } from '../helpers/expected-csv.js';
import { localActivityMarkers, setupHarness, type Harness } from '../helpers/harness.js';

/**
 * WORKER_ROLE on the real server: a workflows-only and an activities-only worker share one task queue
 * and deliver a multipart day between them, each doing only its own kind of task. Where each task ran
 * is read from the history, which records the identity of the worker that took it.
 */

const WORKFLOWS = 'roles-test-workflows';
const ACTIVITIES = 'roles-test-activities';
const DAY = '2026-05-04';
/** The smallest part S3 allows, so a day of a few thousand events goes multipart. */
const PART = 5 * 1024 * 1024;

let h: Harness;
beforeAll(async () => {
  h = await setupHarness('roles');
  await h.startWorker({ role: 'workflows', identity: WORKFLOWS });
  await h.startWorker({ role: 'activities', identity: ACTIVITIES, partSize: PART });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

interface HistoryEvent {
  workflowTaskStartedEventAttributes?: { identity?: string | null } | null;
  activityTaskStartedEventAttributes?: { identity?: string | null } | null;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
}

describe('workflow and activity workers apart (WORKER_ROLE)', () => {
  it('delivers a multipart day with workflow tasks on one worker and every activity task on the other', async () => {
    const integration = await h.integration();
    const events = [...eventsForDay(integration.appId, DAY, 9_000, 5)].map((e) => ({ ...e, profile_id: e.profile_id ?? randomUUID() }));
    const metrics = metricsForDay(integration.appId, DAY, 4, 2);
    await insertEvents(h.pool, events);
    await insertMetrics(h.pool, metrics);

    const workflowId = exportWorkflowId(integration.id, DAY);
    await h.testEnv.client.workflow.execute(exportDayWorkflow, {
      taskQueue: h.taskQueue,
      workflowId,
      args: [{ integrationId: integration.id, day: DAY, kind: 'manual' }],
    });

    const keys = (table: 'ua_events' | 'campaign_metrics') => objectKeys(integration.bucket, integration.folder, table, DAY);
    const eventsCsv = await h.getText(keys('ua_events').dataKey);
    expect(Buffer.byteLength(eventsCsv)).toBeGreaterThan(PART);
    expect(eventsCsv).toBe(expectedEventsCsv(events));
    expect(await h.getText(keys('campaign_metrics').dataKey)).toBe(expectedMetricsCsv(metrics));

    const history = await h.testEnv.client.workflow.getHandle(workflowId).fetchHistory();
    const historyEvents = (history.events ?? []) as HistoryEvent[];
    const workflowTaskIdentities = historyEvents.flatMap((e) => (e.workflowTaskStartedEventAttributes ? [e.workflowTaskStartedEventAttributes.identity] : []));
    const activityTaskIdentities = historyEvents.flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.identity] : []));
    const activityTypes = historyEvents.flatMap((e) =>
      e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : [],
    );
    expect(workflowTaskIdentities.length).toBeGreaterThan(0);
    expect(new Set(workflowTaskIdentities)).toEqual(new Set([WORKFLOWS]));
    // The multipart file's parts were uploaded by a remote activity, on the activities-only worker.
    expect(activityTypes).toContain('uploadParts');
    expect(activityTaskIdentities.length).toBe(activityTypes.length);
    expect(new Set(activityTaskIdentities)).toEqual(new Set([ACTIVITIES]));
    // The plan and the status ran as local activities: in the workflows-only worker, which keeps them registered.
    expect(localActivityMarkers(history.events ?? [], /planExport/).filter(Boolean).length).toBeGreaterThan(0);
  }, 120_000);
});
