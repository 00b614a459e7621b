import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daysInRange } from '../../src/export/days.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import type { BackfillInput } from '../../workflows/backfill.js';
import { backfillProgressQuery, backfillWorkflow, exportDayWorkflow } from '../../workflows/index.js';
import { failureOf } from '../helpers/harness.js';
import { happy, startMockWorker, waitFor, type MockWorker, type Scenario } from '../helpers/mock-worker.js';

/** backfillWorkflow's own logic: real backfill and per-day child workflows, every activity mocked. */

let w: MockWorker;
beforeAll(async () => {
  w = await startMockWorker('backfill');
});
afterAll(async () => {
  await w?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startBackfill(s: Scenario, tag: string, input: Omit<BackfillInput, 'integrationId'>) {
  return w.track(
    await w.client.workflow.start(backfillWorkflow, {
      taskQueue: w.taskQueue,
      workflowId: `wf-backfill-${tag}-${s.integrationId}`,
      args: [{ integrationId: s.integrationId, ...input }],
    }),
  );
}

/** Days planned, in order: one planExport per day child that ran. */
const plannedDays = (s: Scenario) => s.of('planExport').map((c) => c.input.day);

/** Follows a workflow id's continue-as-new chain from its first run: the run ids, in order. */
async function runChain(handle: { workflowId: string; firstExecutionRunId: string }): Promise<string[]> {
  const runs = [handle.firstExecutionRunId];
  for (;;) {
    const history = await w.client.workflow.getHandle(handle.workflowId, runs.at(-1)).fetchHistory();
    const next = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) return runs;
    runs.push(next);
  }
}

// Tests run concurrently (each has its own integration id, so its own calls and child ids): the
// busy-day test waits out the workflow's fixed 30 s retry, and the others fit inside that wait.
describe.concurrent('backfillWorkflow (mocked activities)', () => {
  it('runs at most `concurrency` day children at once, reports progress, and sums the days', async () => {
    let active = 0;
    let maxActive = 0;
    const s = w.scenario({
      async planExport(input) {
        maxActive = Math.max(maxActive, ++active);
        return happy.planExport(input);
      },
      async uploadParts(input) {
        await sleep(300);
        return happy.uploadParts(input);
      },
      async recordIntegrationStatus() {
        active--;
      },
    });
    const days = daysInRange('2026-02-01', '2026-02-07');
    const handle = await startBackfill(s, 'concurrency', { from: days[0]!, to: days.at(-1)!, tables: ['ua_events'], concurrency: 3 });

    const mid = await waitFor('a day in progress', async () => {
      const p = await handle.query(backfillProgressQuery);
      return p.inProgressDays.length > 0 && p;
    });
    expect(mid).toMatchObject({ status: 'running', totalDays: 7, concurrency: 3, from: days[0], to: days.at(-1), tables: ['ua_events'] });
    expect(mid.inProgressDays.length).toBeLessThanOrEqual(3);

    const result = await handle.result();
    expect(maxActive).toBe(3);
    expect(result).toMatchObject({
      status: 'completed',
      totalDays: 7,
      completedDays: 7,
      failedDays: [],
      inProgressDays: [],
      rows: 700,
      bytes: 7000,
      error: null,
    });
    expect([...plannedDays(s)].sort()).toEqual(days);
    // Each day is the shared per-day workflow, under the day's deterministic id, as a backfill run.
    for (const day of days) {
      const start = s.of('startFile').find((c) => c.input.day === day)!;
      expect(start.input).toMatchObject({ workflowId: exportWorkflowId(s.integrationId, day), kind: 'backfill', table: 'ua_events' });
    }
    expect(await handle.query(backfillProgressQuery)).toEqual(result);
  });

  // The default DAYS_PER_RUN (120) takes the same path; 122 cheap days took ~100 s on this shared
  // dev server, so the run length is made reachable with the workflow's own `daysPerRun` input.
  it('continues as new every `daysPerRun` days, carrying progress, and exports each day once', async () => {
    const s = w.scenario();
    const days = daysInRange('2026-04-01', '2026-04-05');
    const handle = await startBackfill(s, 'can', { from: days[0]!, to: days.at(-1)!, tables: ['ua_events'], concurrency: 2, daysPerRun: 2 });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', totalDays: 5, completedDays: 5, failedDays: [], rows: 500, bytes: 5000 });
    expect([...plannedDays(s)].sort()).toEqual(days);
    // 5 days at 2 per run: the first run and two continuations.
    expect(await runChain(handle)).toHaveLength(3);
    // Progress survives continue-as-new: the first run's start time, not the last one's.
    const first = await w.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    expect(result.startedAt).toBe(first.startTime.toISOString());
  });

  it('stops early on a configuration error: no new day starts, and it fails as ConfigurationError', async () => {
    const s = w.scenario({
      async uploadParts() {
        throw ApplicationFailure.nonRetryable('Access Denied', 'AccessDenied');
      },
    });
    const days = daysInRange('2026-05-01', '2026-05-10');
    const handle = await startBackfill(s, 'stop', { from: days[0]!, to: days.at(-1)!, tables: ['ua_events'], concurrency: 2 });
    const err = await failureOf(handle.result());
    expect((err.cause as ApplicationFailure).type).toBe('ConfigurationError');
    expect(err.cause?.message).toMatch(/^stopped early: export of 2026-05-0[12] failed for ua_events: Access Denied$/);
    // Only the two days already running when the first failed were ever started.
    expect([...plannedDays(s)].sort()).toEqual(days.slice(0, 2));
    const progress = await handle.query(backfillProgressQuery);
    expect(progress).toMatchObject({ status: 'failed', completedDays: 0, inProgressDays: [], error: err.cause?.message });
    expect(progress.failedDays.map((f) => f.day).sort()).toEqual(days.slice(0, 2));
  });

  it('a day that fails for another reason is recorded and the rest go on', async () => {
    const bad = '2026-06-02';
    const s = w.scenario({
      async completeFile(input) {
        if (input.day === bad) throw ApplicationFailure.nonRetryable('completed object has 1 bytes, expected 1000', 'SizeMismatch');
        return happy.completeFile(input);
      },
    });
    const days = daysInRange('2026-06-01', '2026-06-03');
    const handle = await startBackfill(s, 'one-bad', { from: days[0]!, to: days.at(-1)!, tables: ['ua_events'], concurrency: 1 });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed_with_failures', totalDays: 3, completedDays: 2, rows: 200 });
    expect(result.failedDays).toEqual([{ day: bad, error: `export of ${bad} failed for ua_events: completed object has 1 bytes, expected 1000` }]);
    expect(plannedDays(s)).toEqual(days);
  });

  it('waits for a day that another run is exporting, then exports it', async () => {
    const s = w.scenario();
    const [d0, busy, d2] = daysInRange('2026-07-01', '2026-07-03') as [string, string, string];
    // Hold the busy day's workflow id with a run nobody works on, like a stuck daily run.
    const blocker = w.track(
      await w.client.workflow.start(exportDayWorkflow, {
        taskQueue: `${w.taskQueue}-nobody`,
        workflowId: exportWorkflowId(s.integrationId, busy),
        args: [{ integrationId: s.integrationId, day: busy, kind: 'scheduled' }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      }),
    );
    const t0 = Date.now();
    const handle = await startBackfill(s, 'busy', { from: d0, to: d2, tables: ['ua_events'], concurrency: 2 });
    await waitFor('the first day to complete', async () => (await handle.query(backfillProgressQuery)).completedDays === 1);
    await sleep(1500);
    const waiting = await handle.query(backfillProgressQuery);
    expect(waiting).toMatchObject({ status: 'running', completedDays: 1, failedDays: [], inProgressDays: [] });
    // Launching is in day order: the busy day holds up the days after it, and is not exported meanwhile.
    expect(plannedDays(s)).toEqual([d0]);
    await blocker.terminate('test: release the day');
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', completedDays: 3, failedDays: [] });
    expect([...plannedDays(s)].sort()).toEqual([d0, busy, d2]);
    // It retried after its fixed wait (30 s), not in a tight loop.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(29_000);
  }, 90_000);
});
