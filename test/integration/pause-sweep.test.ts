import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { sweepSchedulePauses, type PauseSweepResult } from '../../src/ops/pause-sweep.js';
import { recordPaused, SWEPT_PAUSE_NOTE } from '../../src/ops/schedule-pauses.js';
import { deleteSchedule, pausedIntegrationIds, syncSchedule } from '../../src/temporal/schedules.js';
import { scheduleId } from '../../src/temporal/ids.js';
import { startPauseSweep } from '../../src/worker/pause-sweep-loop.js';
import { schedulePausedState } from '../../src/worker/schedule-pauser.js';
import type { Integration } from '../../src/integrations/repo.js';
import { setupHarness, type Harness } from '../helpers/harness.js';
import { pauseStretches } from '../helpers/pause-stretches.js';

/**
 * The pause sweep on the real services: schedules paused and unpaused straight through Temporal's
 * client, as the Temporal UI and CLI do, and the pause record in Postgres.
 */

let h: Harness;
const created: string[] = [];
beforeAll(async () => {
  h = await setupHarness('pause-sweep');
});
afterAll(async () => {
  for (const id of created) await deleteSchedule(h.testEnv.client, id).catch(() => undefined);
  await h?.close();
});

const stretches = (integrationId: string) => pauseStretches(h.pool, integrationId);

async function withSchedule(queue = h.taskQueue): Promise<Integration> {
  const integration = await h.integration();
  await syncSchedule(h.testEnv.client, integration, { taskQueue: queue });
  created.push(integration.id);
  return integration;
}

const sweep = (graceMs: number): Promise<PauseSweepResult> =>
  sweepSchedulePauses({
    db: h.pool,
    listPaused: () => pausedIntegrationIds(h.testEnv.client, { taskQueue: h.taskQueue }),
    isPaused: schedulePausedState(h.testEnv.client, h.taskQueue),
    graceMs,
  });

/** Sweeps until `done` holds: Temporal's listing follows a pause within about a second. */
async function sweepUntil(graceMs: number, done: (r: PauseSweepResult) => boolean): Promise<PauseSweepResult> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await sweep(graceMs);
    if (done(r) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 250));
  }
}

describe('pause sweep', () => {
  it('records a pause made in Temporal, once, and closes it when Temporal unpauses, after the grace', async () => {
    const integration = await withSchedule();
    const schedule = h.testEnv.client.schedule.getHandle(scheduleId(integration.id));
    await schedule.pause('paused in the Temporal UI');

    const first = await sweepUntil(0, (r) => r.opened.includes(integration.id));
    expect(first.opened).toContain(integration.id);
    expect(await stretches(integration.id)).toEqual([{ note: SWEPT_PAUSE_NOTE, open: true }]);
    expect((await sweep(0)).opened).not.toContain(integration.id);
    expect(await stretches(integration.id)).toHaveLength(1);

    await schedule.unpause('unpaused in the Temporal UI');
    // The listing may still say paused; the schedule itself is asked before a stretch is closed.
    await new Promise((res) => setTimeout(res, 1500));
    expect((await sweep(60_000)).closed).not.toContain(integration.id);
    expect(await stretches(integration.id)).toEqual([{ note: SWEPT_PAUSE_NOTE, open: true }]);
    const later = await sweepUntil(0, (r) => r.closed.includes(integration.id));
    expect(later.closed).toContain(integration.id);
    expect(await stretches(integration.id)).toEqual([{ note: SWEPT_PAUSE_NOTE, open: false }]);
  });

  it('leaves a young stretch of ua-export alone while the listing lags, and closes one whose schedule never paused once it is old', async () => {
    const integration = await withSchedule();
    // Recorded as the API records a pause, but the Temporal call never happened (it failed, say).
    await recordPaused(h.pool, integration.id, 'paused from the API');
    expect((await sweep(60_000)).closed).not.toContain(integration.id);
    expect(await stretches(integration.id)).toEqual([{ note: 'paused from the API', open: true }]);
    expect((await sweep(0)).closed).toContain(integration.id);
    expect(await stretches(integration.id)).toEqual([{ note: 'paused from the API', open: false }]);
  });

  it("an operator's pause recorded after the sweep saw it names the stretch", async () => {
    const integration = await withSchedule();
    await h.testEnv.client.schedule.getHandle(scheduleId(integration.id)).pause('the API pausing');
    await sweepUntil(0, (r) => r.opened.includes(integration.id));
    await recordPaused(h.pool, integration.id, 'maintenance window');
    await recordPaused(h.pool, integration.id, SWEPT_PAUSE_NOTE);
    expect(await stretches(integration.id)).toEqual([{ note: 'maintenance window', open: true }]);
  });

  it("lists only this task queue's schedules, ignores a paused schedule with no integration here, and leaves another queue's stretches alone", async () => {
    const other = await withSchedule(`${h.taskQueue}-other`);
    const own = await withSchedule();
    await h.testEnv.client.schedule.getHandle(scheduleId(other.id)).pause('another deployment');
    await h.testEnv.client.schedule.getHandle(scheduleId(own.id)).pause('ours');
    const deadline = Date.now() + 15_000;
    let listed = new Set<string>();
    while (!listed.has(own.id) && Date.now() < deadline) listed = await pausedIntegrationIds(h.testEnv.client, { taskQueue: h.taskQueue });
    expect(listed.has(own.id)).toBe(true);
    expect(listed.has(other.id)).toBe(false);

    const orphan = await withSchedule();
    await h.pool.query('DELETE FROM integrations WHERE id = $1', [orphan.id]);
    await h.testEnv.client.schedule.getHandle(scheduleId(orphan.id)).pause('integration gone');
    const swept = await sweepSchedulePauses({
      db: h.pool,
      listPaused: async () => new Set([orphan.id, 'not-a-uuid']),
      isPaused: schedulePausedState(h.testEnv.client, h.taskQueue),
      graceMs: 0,
    });
    expect(swept.opened).toEqual([]);

    // Another queue's workers own its schedules' record: a stretch of theirs is not closed from here.
    const theirs = await withSchedule(`${h.taskQueue}-other`);
    await recordPaused(h.pool, theirs.id, 'paused by the other deployment');
    expect((await sweep(0)).closed).not.toContain(theirs.id);
    expect(await stretches(theirs.id)).toEqual([{ note: 'paused by the other deployment', open: true }]);
  });

  it('runs on its interval in a worker, and a failed sweep does not stop the next', async () => {
    const integration = await withSchedule();
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
    let failNext = true;
    const client = h.testEnv.client;
    const failingOnce = new Proxy(h.pool, {
      get(target, prop, receiver) {
        if (prop === 'query' && failNext) {
          failNext = false;
          return () => Promise.reject(new Error('connection reset'));
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const stop = startPauseSweep({ client, pool: failingOnce, taskQueue: h.taskQueue, intervalMs: 200, log });
    try {
      await client.schedule.getHandle(scheduleId(integration.id)).pause('paused in the Temporal CLI');
      const deadline = Date.now() + 15_000;
      // The sweep logs once its pass is over, after the record is written.
      const logged = () => lines.some((l) => l.includes('schedule pauses made or lifted outside ua-export recorded') && l.includes(integration.id));
      while (!logged() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    } finally {
      stop();
    }
    expect(await stretches(integration.id)).toEqual([{ note: SWEPT_PAUSE_NOTE, open: true }]);
    expect(lines.some((l) => l.includes('pause sweep failed') && l.includes('connection reset'))).toBe(true);
    expect(lines.some((l) => l.includes('schedule pauses made or lifted outside ua-export recorded') && l.includes(integration.id))).toBe(true);
  });
});
