import type { Client } from '@temporalio/client';
import type { Env } from '../config/env.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logging.js';
import { sweepSchedulePauses } from '../ops/pause-sweep.js';
import { pausedIntegrationIds } from '../temporal/schedules.js';
import { schedulePausedState } from './schedule-pauser.js';
import { pollsWorkflows } from './worker.js';

/**
 * How long an open pause stretch is left alone by the sweep: longer than a visibility listing lags
 * behind a pause that ua-export made and recorded.
 */
export const PAUSE_SWEEP_GRACE_MS = 60_000;

/**
 * Runs the pause sweep (src/ops/pause-sweep.ts) every `intervalMs` in a worker that runs workflows;
 * returns what stops it. Several workers may sweep at once: the record takes one open stretch per
 * integration and a close of a closed one is a no-op. A failed sweep is logged and tried again at the
 * next interval; it never stops the worker.
 */
export function startPauseSweep(opts: { client: Client; pool: Pool; taskQueue: string; intervalMs: number; log: Logger }): () => void {
  const { client, pool, taskQueue, intervalMs, log } = opts;
  const isPaused = schedulePausedState(client, taskQueue);
  let running = false;
  const sweep = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const result = await sweepSchedulePauses({
        db: pool,
        listPaused: () => pausedIntegrationIds(client, { taskQueue }),
        isPaused,
        graceMs: PAUSE_SWEEP_GRACE_MS,
      });
      if (result.opened.length || result.closed.length) log.info(result, 'schedule pauses made or lifted outside ua-export recorded');
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'pause sweep failed; it runs again at the next interval');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The sweep as a process's environment sets it (the worker's main and `npm start`): the lost-start
 * review runs in workers that run workflows, so they keep its record in step; off with
 * SCHEDULE_PAUSE_SWEEP_SECONDS=0.
 */
export function pauseSweepFromEnv(env: Env, deps: { client: Client; pool: Pool; log: Logger }): () => void {
  if (!pollsWorkflows(env.WORKER_ROLE) || env.SCHEDULE_PAUSE_SWEEP_SECONDS === 0) return () => undefined;
  return startPauseSweep({ ...deps, taskQueue: env.TEMPORAL_TASK_QUEUE, intervalMs: env.SCHEDULE_PAUSE_SWEEP_SECONDS * 1000 });
}
