import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError, WorkflowNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import type { Keyring } from '../crypto/secrets.js';
import type { Pool } from '../db/pool.js';
import { inTransaction } from '../db/transaction.js';
import { addDays, dayToExport, utcDayOf } from '../export/days.js';
import { mapLimit } from '../map-limit.js';
import { exportWorkflowId, scheduleId } from '../temporal/ids.js';
import { runningWorkflowsQuery } from '../temporal/queries.js';
import { deleteSchedule, syncSchedule, type ScheduleSettings } from '../temporal/schedules.js';
import { statusName } from '../temporal/status.js';
import { recordPaused, recordResumed } from '../ops/schedule-pauses.js';
import { createIntegration, deleteIntegration, updateIntegration, type Integration, type IntegrationPatch, type NewIntegration } from './repo.js';

/**
 * An integration's lifecycle with its Temporal side: the row and its daily schedule change together,
 * deletion stops the integration's running work first, and the schedule is repaired when it drifted.
 * Framework-free: the HTTP routes validate, call these and shape the answer.
 */

export interface IntegrationServiceDeps {
  pool: Pool;
  keyring: Keyring;
  client: Client;
  /** What every schedule is synced with: the worker reconciles with the same, so the two never flap. */
  schedule: ScheduleSettings;
  /** Runs Temporal calls under one deadline, so an unreachable server fails fast instead of hanging. */
  temporal<T>(fn: () => Promise<T>, timeoutMs?: number): Promise<T>;
}

type Deps = IntegrationServiceDeps;

/** Stores the integration and creates its schedule; if the schedule cannot be created nothing is stored. */
export async function createIntegrationWithSchedule(deps: Deps, input: Omit<NewIntegration, 'id'>): Promise<Integration> {
  const id = randomUUID();
  let scheduleTouched = false;
  try {
    return await inTransaction(deps.pool, async (db) => {
      const row = await createIntegration(db, deps.keyring, { id, ...input });
      if (!row.enabled) await recordPaused(db, id, 'integration disabled');
      scheduleTouched = true;
      await deps.temporal(() => syncSchedule(deps.client, row, deps.schedule));
      return row;
    });
  } catch (err) {
    // The row was rolled back; a schedule that may have been created for it goes too (the worker's
    // reconcile removes it otherwise).
    if (scheduleTouched) await deps.temporal(() => deleteSchedule(deps.client, id)).catch(() => undefined);
    throw err;
  }
}

/** Changes the row and its schedule together: disabling pauses the schedule, enabling resumes it. */
export async function updateIntegrationWithSchedule(deps: Deps, before: Integration, patch: IntegrationPatch): Promise<Integration> {
  return inTransaction(deps.pool, async (db) => {
    const row = await updateIntegration(db, deps.keyring, before.id, patch);
    const resume = !before.enabled && row.enabled;
    if (before.enabled && !row.enabled) await recordPaused(db, row.id, 'integration disabled');
    if (resume) await recordResumed(db, row.id, true);
    await deps.temporal(() => syncSchedule(deps.client, row, deps.schedule, resume ? 'integration enabled' : undefined, resume));
    return row;
  });
}

export type DeleteOutcome = { deleted: true; cancelled: string[] } | { deleted: false; cancelled: string[]; stillRunning: string[] };

/**
 * Safe deletion: disables the integration and pauses its schedule, cancels its running workflows and
 * waits up to `waitMs` for them to close, then deletes the schedule and the row. When some are still
 * closing after the wait, nothing is deleted and the integration stays disabled.
 */
export async function deleteIntegrationSafely(deps: Deps, integration: Integration, waitMs: number): Promise<DeleteOutcome> {
  if (integration.enabled) {
    await inTransaction(deps.pool, async (db) => {
      const row = await updateIntegration(db, deps.keyring, integration.id, { enabled: false });
      await recordPaused(db, integration.id, 'integration being deleted');
      await deps.temporal(() => syncSchedule(deps.client, row, deps.schedule, 'integration being deleted'));
    });
  } else {
    await deps.temporal(() => syncSchedule(deps.client, integration, deps.schedule));
  }
  const { cancelled, stillRunning } = await stopRunningWork(deps, integration.id, waitMs);
  if (stillRunning.length > 0) return { deleted: false, cancelled, stillRunning };
  await deps.temporal(() => deleteSchedule(deps.client, integration.id));
  await deleteIntegration(deps.pool, integration.id);
  return { deleted: true, cancelled };
}

/** Cancels every running workflow of the integration and waits (up to `waitMs`) for them to close; returns the ids it cancelled. */
export async function stopRunningWork(
  deps: Pick<Deps, 'client' | 'temporal'>,
  integrationId: string,
  waitMs: number,
): Promise<{ cancelled: string[]; stillRunning: string[] }> {
  const cancelled = new Set<string>();
  const deadline = Date.now() + waitMs;
  // integrationId is a validated uuid, so it is safe inside the visibility query.
  const query = runningWorkflowsQuery(integrationId);
  const listRunning = () =>
    deps.temporal(async () => {
      const ids: string[] = [];
      for await (const wf of deps.client.workflow.list({ query })) ids.push(wf.workflowId);
      return [...new Set(ids)];
    });
  for (;;) {
    let running = await listRunning();
    if (running.length === 0) {
      // Visibility can lag a moment behind a workflow that just started: look once more before trusting "none".
      await new Promise((r) => setTimeout(r, 1_000));
      running = await listRunning();
      if (running.length === 0) return { cancelled: [...cancelled], stillRunning: [] };
    }
    for (const id of running) {
      if (cancelled.has(id)) continue;
      await deps
        .temporal(() => deps.client.workflow.getHandle(id).cancel())
        .catch((err) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err; // closed in the meantime
        });
      cancelled.add(id);
    }
    if (Date.now() >= deadline) return { cancelled: [...cancelled], stillRunning: running };
    await new Promise((r) => setTimeout(r, 500));
  }
}

// ---------------------------------------------------------------- the daily schedule

/** The schedule's description; a schedule that drifted away (deleted by hand) is recreated first. */
export async function describeSchedule(deps: Deps, integration: Integration): Promise<ScheduleDescription> {
  const handle = deps.client.schedule.getHandle(scheduleId(integration.id));
  return deps.temporal(async () => {
    try {
      return await handle.describe();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await syncSchedule(deps.client, integration, deps.schedule, 'recreated: the schedule was missing');
      return handle.describe();
    }
  });
}

export interface ScheduledRun {
  scheduledAt: string;
  startedAt: string;
  day: string;
  workflowId: string;
  runId: string;
  status: string;
}

/** The schedule's last 10 runs, newest first, each with its workflow's status (`unknown` when it cannot be read in time). */
export async function recentScheduledRuns(deps: Pick<Deps, 'client' | 'temporal'>, d: ScheduleDescription): Promise<ScheduledRun[]> {
  const recent = [...d.info.recentActions].reverse().slice(0, 10);
  return mapLimit(recent, 5, async (a) => {
    const wf = a.action.workflow;
    const status = await deps
      .temporal(() => deps.client.workflow.getHandle(wf.workflowId, wf.firstExecutionRunId).describe(), 2_000)
      .then((x) => statusName(x.status.name))
      .catch(() => 'unknown');
    return {
      scheduledAt: a.scheduledAt.toISOString(),
      startedAt: a.takenAt.toISOString(),
      day: dayToExport(a.scheduledAt),
      workflowId: wf.workflowId,
      runId: wf.firstExecutionRunId,
      status,
    };
  });
}

/**
 * Pauses the schedule (repairing it first when missing) and records when, so the days it skips are
 * never taken for lost starts (src/ops/missed-runs.ts).
 */
export async function pauseSchedule(deps: Deps, integration: Integration, note: string): Promise<void> {
  await describeSchedule(deps, integration);
  const handle = deps.client.schedule.getHandle(scheduleId(integration.id));
  await deps.temporal(() => handle.pause(note));
  await recordPaused(deps.pool, integration.id, note);
}

/** Unpauses the schedule (repairing it first when missing) and closes its recorded pause. */
export async function resumeSchedule(deps: Deps, integration: Integration, note: string): Promise<void> {
  const before = await describeSchedule(deps, integration);
  const handle = deps.client.schedule.getHandle(scheduleId(integration.id));
  await deps.temporal(() => handle.unpause(note));
  await recordResumed(deps.pool, integration.id, before.state.paused);
}

/** Triggers the schedule once now; the run exports the previous UTC day (as of `now()` once triggered). */
export async function triggerSchedule(
  deps: Deps,
  integration: Integration,
  now: () => Date,
): Promise<{ scheduleId: string; day: string; exportWorkflowId: string }> {
  await describeSchedule(deps, integration);
  await deps.temporal(() => deps.client.schedule.getHandle(scheduleId(integration.id)).trigger());
  const day = addDays(utcDayOf(now()), -1);
  return { scheduleId: scheduleId(integration.id), day, exportWorkflowId: exportWorkflowId(integration.id, day) };
}
