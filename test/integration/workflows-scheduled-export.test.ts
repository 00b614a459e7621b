import { ScheduleOverlapPolicy, WorkflowIdConflictPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, utcDayOf } from '../../src/export/days.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import { exportDayWorkflow, scheduledExportWorkflow } from '../../workflows/index.js';
import { startMockWorker, waitFor, type MockWorker } from '../helpers/mock-worker.js';

/** scheduledExportWorkflow's own logic: the real workflow and its per-day child, activities mocked. */

let w: MockWorker;
beforeAll(async () => {
  w = await startMockWorker('scheduled');
});
afterAll(async () => {
  await w?.close();
});

describe.concurrent('scheduledExportWorkflow (mocked activities)', () => {
  it('a directly started run exports the previous UTC day of its start time, as a scheduled run', async () => {
    const s = w.scenario();
    const handle = w.track(
      await w.client.workflow.start(scheduledExportWorkflow, {
        taskQueue: w.taskQueue,
        workflowId: `wf-scheduled-direct-${s.integrationId}`,
        args: [{ integrationId: s.integrationId }],
      }),
    );
    const result = await handle.result();
    const startTime = (await handle.describe()).startTime;
    const day = addDays(utcDayOf(startTime), -1);
    expect(result).toMatchObject({ status: 'exported', day, result: { integrationId: s.integrationId, day } });
    if (result.status !== 'exported') throw new Error('unreachable');
    expect(result.result.files.map((f) => [f.table, f.state])).toEqual([
      ['ua_events', 'exported'],
      ['campaign_metrics', 'exported'],
    ]);
    expect(s.of('planExport').map((c) => c.input)).toEqual([{ integrationId: s.integrationId, day, tables: ['ua_events', 'campaign_metrics'] }]);
    for (const c of s.of('startFile')) expect(c.input).toMatchObject({ workflowId: exportWorkflowId(s.integrationId, day), kind: 'scheduled' });
    // Without a schedule's scheduled time, the run's own start stands in (workflowInfo().runStartTime,
    // which the SDK takes from the run's first workflow task: at or just after the execution's start).
    const scheduledAt = s.of('recordFileExported').map((c) => c.input.scheduledAt!);
    expect(scheduledAt).toHaveLength(2);
    expect(scheduledAt[1]).toBe(scheduledAt[0]);
    const at = Date.parse(scheduledAt[0]!);
    expect(at).toBeGreaterThanOrEqual(startTime.getTime());
    expect(at - startTime.getTime()).toBeLessThan(10_000);
    expect(addDays(utcDayOf(new Date(at)), -1)).toBe(day);
  });

  it('a run a schedule starts exports the day before its *scheduled* time (TemporalScheduledStartTime), not the clock', async () => {
    const s = w.scenario();
    const scheduleId = `wf-scheduled-${s.integrationId}`;
    const schedule = await w.client.schedule.create({
      scheduleId,
      spec: { calendars: [{ hour: 4, minute: 0 }], timezone: 'UTC' },
      action: {
        type: 'startWorkflow',
        workflowType: scheduledExportWorkflow,
        args: [{ integrationId: s.integrationId }],
        taskQueue: w.taskQueue,
        workflowId: `wf-scheduled-run-${s.integrationId}`,
      },
      state: { paused: true },
    });
    try {
      // A run for a scheduled time long past, as a catch-up after an outage would start it.
      await schedule.backfill({ start: new Date('2025-01-10T03:59:00Z'), end: new Date('2025-01-10T04:01:00Z'), overlap: ScheduleOverlapPolicy.ALLOW_ALL });
      const day = '2025-01-09';
      const child = w.client.workflow.getHandle<typeof exportDayWorkflow>(exportWorkflowId(s.integrationId, day));
      const result = await waitFor("the scheduled run's export of its day", () => child.result().catch(() => null));
      expect(result.day).toBe(day);
      expect(s.of('planExport').map((c) => c.input.day)).toEqual([day]);
      expect(s.of('recordFileExported').map((c) => c.input.scheduledAt)).toEqual(['2025-01-10T04:00:00.000Z', '2025-01-10T04:00:00.000Z']);
      const runs = (await schedule.describe()).info.recentActions;
      expect(runs).toHaveLength(1);
      const run = w.client.workflow.getHandle<typeof scheduledExportWorkflow>(runs[0]!.action.workflow.workflowId);
      expect(await run.result()).toMatchObject({ status: 'exported', day });
    } finally {
      await schedule.delete();
    }
  });

  it("returns 'already-running' when the day's export workflow id is taken, and exports nothing", async () => {
    const s = w.scenario();
    const day = addDays(utcDayOf(new Date()), -1);
    w.track(
      await w.client.workflow.start(exportDayWorkflow, {
        taskQueue: `${w.taskQueue}-nobody`,
        workflowId: exportWorkflowId(s.integrationId, day),
        args: [{ integrationId: s.integrationId, day, kind: 'backfill' }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      }),
    );
    const handle = w.track(
      await w.client.workflow.start(scheduledExportWorkflow, {
        taskQueue: w.taskQueue,
        workflowId: `wf-scheduled-busy-${s.integrationId}`,
        args: [{ integrationId: s.integrationId }],
      }),
    );
    const result = await handle.result();
    // (Were the UTC day to turn between the two starts, the run would export its own day instead.)
    expect(result).toEqual({ status: 'already-running', day, workflowId: exportWorkflowId(s.integrationId, day) });
    expect(s.calls).toEqual([]);
  });
});
