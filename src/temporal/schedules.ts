import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import { addDays } from '../export/days.js';
import type { Integration } from '../integrations/repo.js';
import { mapLimit } from '../map-limit.js';
import { integrationIdOfSchedule, scheduleId, scheduledWorkflowIdBase } from './ids.js';
import { SA_INTEGRATION_ID, SA_RUN_KIND } from './search-attributes.js';

/**
 * Each integration's daily schedule, kept in step with its row. Runs fire at 04:00 UTC; BUFFER_ALL
 * with a long catch-up window means an outage of the worker or server delays days but never skips
 * them: Temporal replays every missed firing, each exporting its own (scheduled) day.
 */
export const SCHEDULE_HOUR_UTC = 4;
export const CATCHUP_WINDOW = '30 days';
/** Schedules synced at once by reconcile: enough to start in seconds, few enough not to flood the frontend. */
const RECONCILE_CONCURRENCY = 16;

/** When the schedule fires to export `day`: 04:00 UTC the day after (the inverse of dayToExport). */
export function scheduledFiringOf(day: string): Date {
  return new Date(`${addDays(day, 1)}T${String(SCHEDULE_HOUR_UTC).padStart(2, '0')}:00:00.000Z`);
}

export interface ScheduleSettings {
  taskQueue: string;
}

function scheduleOptions(integration: Integration, s: ScheduleSettings, note: string): ScheduleOptions {
  return {
    scheduleId: scheduleId(integration.id),
    spec: { calendars: [{ hour: SCHEDULE_HOUR_UTC, minute: 0 }], timezone: 'UTC' },
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledExportWorkflow',
      workflowId: scheduledWorkflowIdBase(integration.id),
      taskQueue: s.taskQueue,
      // Only what names the work: how it is done (the part size) is the worker's configuration. An
      // older schedule's args may still carry a partSize; the update below replaces them.
      args: [{ integrationId: integration.id }],
      typedSearchAttributes: [
        { key: SA_INTEGRATION_ID, value: integration.id },
        { key: SA_RUN_KIND, value: 'scheduled' },
      ],
      staticSummary: `Daily export trigger for integration ${integration.id} (app ${integration.appId})`,
    },
    policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: CATCHUP_WINDOW, pauseOnFailure: false },
    state: { paused: !integration.enabled, note },
    // The task queue in the memo scopes reconcile: a worker only prunes schedules that target its own queue.
    memo: { integrationId: integration.id, appId: integration.appId, taskQueue: s.taskQueue },
  };
}

/**
 * Creates or updates the schedule so it matches the integration. A disabled integration's schedule is
 * always paused; an enabled one's pause belongs to the operator (POST …/schedule/pause), so it is only
 * lifted when `resume` says the integration was just enabled.
 */
export async function syncSchedule(client: Client, integration: Integration, s: ScheduleSettings, note?: string, resume = false): Promise<void> {
  const defaultNote = integration.enabled ? 'enabled' : 'integration disabled';
  const handle = client.schedule.getHandle(scheduleId(integration.id));
  let current: ScheduleDescription | null = null;
  try {
    current = await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  const opts = scheduleOptions(integration, s, note ?? defaultNote);
  if (!current) {
    try {
      await client.schedule.create(opts);
      return;
    } catch (err) {
      // Another process created it since the describe (two workers starting at once both reconcile):
      // theirs is brought in step below like any existing one, instead of failing this worker's start.
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
  }
  // The pause state rides in the same update: a separate pause/unpause patch may be applied before the
  // update, whose copy of the old state would then undo it.
  await handle.update((prev) => {
    const paused = !integration.enabled || (prev.state.paused && !resume);
    const state =
      paused === prev.state.paused ? prev.state : { ...prev.state, paused, note: note ?? (paused ? 'integration disabled' : 'integration enabled') };
    return { ...prev, spec: opts.spec, action: opts.action, policies: opts.policies, state };
  });
}

/**
 * The integrations whose schedules on this task queue are paused now, as Temporal's visibility lists
 * them (the `TemporalSchedulePaused` search attribute: one query, however many schedules run).
 */
export async function pausedIntegrationIds(client: Client, s: ScheduleSettings): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const summary of client.schedule.list({ query: 'TemporalSchedulePaused = true' })) {
    const integrationId = integrationIdOfSchedule(summary.scheduleId);
    if (integrationId !== null && summary.memo?.taskQueue === s.taskQueue) ids.add(integrationId);
  }
  return ids;
}

export async function deleteSchedule(client: Client, integrationId: string): Promise<void> {
  try {
    await client.schedule.getHandle(scheduleId(integrationId)).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

/**
 * Repairs drift on worker start: every integration has its schedule, and no schedule of this task queue
 * outlives its integration.
 */
export async function reconcileSchedules(
  client: Client,
  integrations: Integration[],
  s: ScheduleSettings,
): Promise<{ synced: number; deleted: number; vanished?: number }> {
  const known = new Set(integrations.map((i) => scheduleId(i.id)));
  // A few at a time: one by one, a thousand integrations held a worker's start for minutes (each is a
  // describe and an update), and the worker polls only once reconcile is done.
  let vanished = 0;
  await mapLimit(integrations, RECONCILE_CONCURRENCY, async (integration) => {
    try {
      await syncSchedule(client, integration, s);
    } catch (err) {
      // The schedule went between its describe and its update: an integration being deleted loses its
      // schedule before its row (integrations/service.ts), so the deletion owns it. Nothing to repair,
      // and no reason to fail this worker's start (found by the chaos suite: a worker restarted while a
      // run deleted its integrations exited before it polled).
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      vanished++;
    }
  });
  let deleted = 0;
  for await (const summary of client.schedule.list()) {
    const ownQueue = summary.memo?.taskQueue === s.taskQueue;
    const integrationId = integrationIdOfSchedule(summary.scheduleId);
    if (ownQueue && integrationId !== null && !known.has(summary.scheduleId)) {
      await deleteSchedule(client, integrationId);
      deleted++;
    }
  }
  return { synced: integrations.length - vanished, deleted, ...(vanished > 0 ? { vanished } : {}) };
}
