import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daysInRange } from '../../src/export/days.js';
import type { BackfillInput } from '../../workflows/backfill.js';
import { backfillProgressQuery, backfillWorkflow, pauseBackfillSignal, resumeBackfillSignal } from '../../workflows/index.js';
import { Gate, happy, heartbeatUntil, startMockWorker, waitFor, type MockWorker, type Scenario } from '../helpers/mock-worker.js';

/**
 * Pausing and resuming a backfill (workflows/backfill.ts) with every activity mocked: a paused
 * backfill starts no new day while the days already running finish, keeps its place across
 * continue-as-new, and a resume goes on from the first day not yet started, each day exactly once.
 */

let w: MockWorker;
beforeAll(async () => {
  w = await startMockWorker('backfill-pause');
});
afterAll(async () => {
  await w?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Long enough for a workflow that wrongly started a day to have planned it on this shared server. */
const QUIET_MS = 2_000;

/** Days planned, in order: one planExport per day child that ran. */
const plannedDays = (s: Scenario) => s.of('planExport').map((c) => c.input.day);

/** A scenario whose upload of each given day waits until the test opens that day's gate. */
function gated(days: string[]): { s: Scenario; gates: Map<string, Gate> } {
  const gates = new Map(days.map((d) => [d, new Gate()]));
  const s = w.scenario({
    async uploadParts(input) {
      const gate = gates.get(input.day);
      if (gate) await heartbeatUntil(gate.promise);
      return happy.uploadParts(input);
    },
  });
  return { s, gates };
}

async function start(s: Scenario, tag: string, input: Omit<BackfillInput, 'integrationId'>) {
  return w.track(
    await w.client.workflow.start(backfillWorkflow, {
      taskQueue: w.taskQueue,
      workflowId: `wf-backfill-${tag}-${s.integrationId}`,
      args: [{ integrationId: s.integrationId, ...input }],
    }),
  );
}

describe.concurrent('backfillWorkflow pause and resume (mocked activities)', () => {
  it('paused mid-run: running days finish, no new day starts; resumed: goes on from its place', async () => {
    const days = daysInRange('2026-08-01', '2026-08-05');
    const { s, gates } = gated([days[0]!]);
    const handle = await start(s, 'pause', { from: days[0]!, to: days.at(-1)!, tables: ['ua_events'], concurrency: 1 });
    await waitFor('the first day running', async () => (await handle.query(backfillProgressQuery)).inProgressDays.length === 1);

    await handle.signal(pauseBackfillSignal);
    await handle.signal(pauseBackfillSignal); // idempotent
    await waitFor('paused', async () => (await handle.query(backfillProgressQuery)).paused);
    gates.get(days[0]!)!.open();
    await waitFor('the running day to finish while paused', async () => (await handle.query(backfillProgressQuery)).completedDays === 1);
    await sleep(QUIET_MS);
    expect(plannedDays(s)).toEqual([days[0]]);
    expect(await handle.query(backfillProgressQuery)).toMatchObject({ status: 'running', paused: true, completedDays: 1, inProgressDays: [] });

    await handle.signal(resumeBackfillSignal);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', paused: false, totalDays: 5, completedDays: 5, failedDays: [], rows: 500 });
    // Resumed from its place: every day once, in order (concurrency 1).
    expect(plannedDays(s)).toEqual(days);
  });

  it('stays paused across continue-as-new, and a resume reaches the new run', async () => {
    const days = daysInRange('2026-09-01', '2026-09-05');
    const { s, gates } = gated(days.slice(0, 2));
    // Two days per run: the first run starts days 0 and 1, then must continue as new.
    const handle = await start(s, 'pause-can', { from: days[0]!, to: days.at(-1)!, tables: ['ua_events'], concurrency: 2, daysPerRun: 2 });
    await waitFor('two days running', async () => (await handle.query(backfillProgressQuery)).inProgressDays.length === 2);
    await handle.signal(pauseBackfillSignal);
    await waitFor('paused', async () => (await handle.query(backfillProgressQuery)).paused);
    for (const g of gates.values()) g.open();

    // The first run finishes its days and continues as new, carrying the pause.
    const second = await waitFor('the continued run', async () => {
      const d = await w.client.workflow.getHandle(handle.workflowId).describe();
      return d.runId !== handle.firstExecutionRunId && d;
    });
    expect(second.status.name).toBe('RUNNING');
    await sleep(QUIET_MS);
    // Exactly the first run's two days, and nothing while paused; at concurrency 2 they may be planned in either order.
    expect([...plannedDays(s)].sort()).toEqual(days.slice(0, 2));
    const latest = w.client.workflow.getHandle(handle.workflowId);
    expect(await latest.query(backfillProgressQuery)).toMatchObject({ status: 'running', paused: true, completedDays: 2, inProgressDays: [], totalDays: 5 });

    await latest.signal(resumeBackfillSignal);
    const result = await latest.result();
    expect(result).toMatchObject({ status: 'completed', paused: false, completedDays: 5, failedDays: [], rows: 500 });
    expect([...plannedDays(s)].sort()).toEqual(days);
    expect(new Set(plannedDays(s)).size).toBe(days.length);
  });

  it('a resume of a backfill that is not paused changes nothing', async () => {
    const s = w.scenario();
    const days = daysInRange('2026-10-01', '2026-10-03');
    const handle = await start(s, 'resume-noop', { from: days[0]!, to: days.at(-1)!, tables: ['ua_events'], concurrency: 1 });
    await handle.signal(resumeBackfillSignal);
    expect(await handle.result()).toMatchObject({ status: 'completed', paused: false, completedDays: 3 });
    expect(plannedDays(s)).toEqual(days);
  });
});
