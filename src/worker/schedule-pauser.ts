import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { scheduleId } from '../temporal/ids.js';

/**
 * How the auto-pause activity pauses an integration's schedule: the Temporal schedule itself, with a
 * note the UI shows. Pausing a paused schedule only replaces its note, so a retried activity is harmless.
 */
export function schedulePauser(client: Client): (integrationId: string, note: string) => Promise<void> {
  return (integrationId, note) => client.schedule.getHandle(scheduleId(integrationId)).pause(note);
}

/** Whether the schedule is paused right now (by anyone, in ua-export or the Temporal UI): the repair of lost starts asks before acting. */
export function schedulePausedCheck(client: Client): (integrationId: string) => Promise<boolean> {
  return async (integrationId) => (await client.schedule.getHandle(scheduleId(integrationId)).describe()).state.paused;
}

/**
 * The pause sweep's check: whether the schedule is paused, read from the schedule itself; null for one
 * that does not exist (an integration being deleted) or that another task queue's workers own.
 */
export function schedulePausedState(client: Client, taskQueue: string): (integrationId: string) => Promise<boolean | null> {
  return async (integrationId) => {
    try {
      const schedule = await client.schedule.getHandle(scheduleId(integrationId)).describe();
      return schedule.memo?.taskQueue === taskQueue ? schedule.state.paused : null;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return null;
      throw err;
    }
  };
}
