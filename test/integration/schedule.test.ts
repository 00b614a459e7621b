import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, utcDayOf } from '../../src/export/days.js';
import { eventsForDay, insertEvents } from '../../src/dev/generate.js';
import { objectKeys } from '../../src/export/keys.js';
import { updateIntegration, type Integration } from '../../src/integrations/repo.js';
import { scheduleId, exportWorkflowId } from '../../src/temporal/ids.js';
import { deleteSchedule, reconcileSchedules, syncSchedule } from '../../src/temporal/schedules.js';
import { expectedEventsCsv } from '../helpers/expected-csv.js';
import { setupHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await setupHarness('schedule');
  await h.startWorker();
});
afterAll(async () => {
  await h?.close();
});

const settings = () => ({ taskQueue: h.taskQueue });

async function waitForExport(integration: Integration, day: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = h.testEnv.client.workflow.getHandle(exportWorkflowId(integration.id, day));
      return await handle.result();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

describe('the daily schedule', () => {
  it('is created at 04:00 UTC with an explicit overlap policy and catch-up window', async () => {
    const integration = await h.integration();
    await syncSchedule(h.testEnv.client, integration, settings());
    const d = await h.testEnv.client.schedule.getHandle(scheduleId(integration.id)).describe();
    expect(d.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 4, end: 4, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] });
    expect(d.spec.timezone).toBe('UTC');
    expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.BUFFER_ALL);
    expect(d.policies.catchupWindow).toBe(30 * 24 * 3600 * 1000);
    expect(d.state.paused).toBe(false);
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledExportWorkflow', taskQueue: h.taskQueue });
    await deleteSchedule(h.testEnv.client, integration.id);
  });

  it('exports the previous UTC day when triggered', async () => {
    const integration = await h.integration();
    const yesterday = addDays(utcDayOf(new Date()), -1);
    const rows = [...eventsForDay(integration.appId, yesterday, 50, 4)].filter((r) => r.profile_id !== null);
    await insertEvents(h.pool, rows);
    await syncSchedule(h.testEnv.client, integration, settings());
    await h.testEnv.client.schedule.getHandle(scheduleId(integration.id)).trigger();
    await waitForExport(integration, yesterday);
    const keys = objectKeys(integration.bucket, integration.folder, 'ua_events', yesterday);
    expect(await h.getText(keys.dataKey)).toBe(expectedEventsCsv(rows));
    await deleteSchedule(h.testEnv.client, integration.id);
  });

  it('derives the day from the scheduled time, so a caught-up firing exports its own day', async () => {
    const integration = await h.integration();
    const rows = [...eventsForDay(integration.appId, '2026-03-04', 20, 8)].filter((r) => r.profile_id !== null);
    await insertEvents(h.pool, rows);
    await syncSchedule(h.testEnv.client, integration, settings());
    // A schedule backfill replays the 2026-03-05 04:00 UTC firing now, long after it was due.
    await h.testEnv.client.schedule.getHandle(scheduleId(integration.id)).backfill({
      start: new Date('2026-03-05T03:59:00Z'),
      end: new Date('2026-03-05T04:01:00Z'),
      overlap: ScheduleOverlapPolicy.ALLOW_ALL,
    });
    await waitForExport(integration, '2026-03-04');
    const keys = objectKeys(integration.bucket, integration.folder, 'ua_events', '2026-03-04');
    expect(await h.getText(keys.dataKey)).toBe(expectedEventsCsv(rows));
    await deleteSchedule(h.testEnv.client, integration.id);
  });

  it('follows the integration: disabling pauses it, re-enabling resumes it, deleting removes it', async () => {
    const integration = await h.integration();
    const client = h.testEnv.client;
    const handle = client.schedule.getHandle(scheduleId(integration.id));
    await syncSchedule(client, integration, settings());
    const disabled = await updateIntegration(h.pool, h.keyring, integration.id, { enabled: false });
    await syncSchedule(client, disabled, settings());
    expect((await handle.describe()).state.paused).toBe(true);
    const enabled = await updateIntegration(h.pool, h.keyring, integration.id, { enabled: true });
    await syncSchedule(client, enabled, settings(), 'integration enabled', true);
    expect((await handle.describe()).state.paused).toBe(false);
    await deleteSchedule(client, integration.id);
    await expect(handle.describe()).rejects.toThrow();
  });

  it('is repaired by reconcile: missing schedules come back, orphans of this task queue go, an operator pause stays', async () => {
    const client = h.testEnv.client;
    const kept = await h.integration();
    const paused = await h.integration();
    const orphan = await h.integration();
    await syncSchedule(client, paused, settings());
    await client.schedule.getHandle(scheduleId(paused.id)).pause('operator pause');
    await syncSchedule(client, orphan, settings());
    // `kept` has no schedule (drift); `orphan` has one but is not in the integration list any more.
    const result = await reconcileSchedules(client, [kept, paused], settings());
    expect(result.deleted).toBe(1);
    expect((await client.schedule.getHandle(scheduleId(kept.id)).describe()).state.paused).toBe(false);
    const p = await client.schedule.getHandle(scheduleId(paused.id)).describe();
    expect(p.state.paused).toBe(true);
    expect(p.state.note).toBe('operator pause');
    await expect(client.schedule.getHandle(scheduleId(orphan.id)).describe()).rejects.toThrow();
    await deleteSchedule(client, kept.id);
    await deleteSchedule(client, paused.id);
  });

  it("does not fail a worker's start when a schedule is deleted while it reconciles, and does not bring it back", async () => {
    const going = await h.integration();
    const staying = await h.integration();
    await syncSchedule(h.testEnv.client, going, settings());
    await syncSchedule(h.testEnv.client, staying, settings());
    await h.testEnv.client.schedule.getHandle(scheduleId(staying.id)).pause('operator pause');
    const client = deleteBeforeUpdate(h.testEnv.client, [scheduleId(going.id)]);
    const result = await reconcileSchedules(client, [going, staying], settings());
    expect(result).toMatchObject({ synced: 1, vanished: 1 });
    await expect(h.testEnv.client.schedule.getHandle(scheduleId(going.id)).describe()).rejects.toThrow(ScheduleNotFoundError);
    // The other integration's schedule was still reconciled, its operator pause kept.
    expect((await h.testEnv.client.schedule.getHandle(scheduleId(staying.id)).describe()).state).toMatchObject({ paused: true, note: 'operator pause' });
    await deleteSchedule(h.testEnv.client, staying.id);
  });

  it('is created once when two processes sync it at the same time (two workers starting together), and neither fails', async () => {
    // Found by the chaos suite: both describe, find nothing, create; the second create used to throw
    // ScheduleAlreadyRunning out of reconcile and end that worker's start. The client below holds each
    // create until both describes are done, so the race happens every time.
    const integration = await h.integration();
    const creates: string[] = [];
    const client = raceCreates(h.testEnv.client, 2, creates);
    await Promise.all([syncSchedule(client, integration, settings()), reconcileSchedules(client, [integration], settings())]);
    expect(creates.sort()).toEqual(['already exists', 'created']);
    const d = await h.testEnv.client.schedule.getHandle(scheduleId(integration.id)).describe();
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledExportWorkflow', taskQueue: h.taskQueue });
    expect(d.state.paused).toBe(false);
    await deleteSchedule(h.testEnv.client, integration.id);
  });
});

/** A client whose schedule creates wait until `n` schedule describes have answered, recording each create's outcome. */
/** `target` with some members replaced; the others still act on `target` itself. */
function bind<T extends object>(target: T, overrides: Partial<Record<PropertyKey, unknown>>): T {
  return new Proxy(target, {
    get(t, p) {
      if (p in overrides) return overrides[p];
      const v: unknown = Reflect.get(t, p, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/**
 * A client whose schedule updates find the schedule gone: each update first deletes it for real, as an
 * integration's deletion does between a reconcile's describe and its update.
 */
function deleteBeforeUpdate(client: Client, ids: string[]): Client {
  const schedule = bind(client.schedule, {
    getHandle: (id: string) => {
      const handle = client.schedule.getHandle(id);
      if (!ids.includes(id)) return handle;
      return bind(handle, {
        update: async (fn: Parameters<typeof handle.update>[0]) => {
          await handle.delete();
          return handle.update(fn);
        },
      });
    },
  });
  return bind(client, { schedule });
}

function raceCreates(client: Client, n: number, creates: string[]): Client {
  let described = 0;
  let release = () => undefined as void;
  const allDescribed = new Promise<void>((r) => (release = r));
  const schedule = bind(client.schedule, {
    getHandle: (id: string) => {
      const handle = client.schedule.getHandle(id);
      return bind(handle, {
        describe: async () => {
          try {
            return await handle.describe();
          } finally {
            if (++described === n) release();
          }
        },
      });
    },
    create: async (opts: Parameters<Client['schedule']['create']>[0]) => {
      await allDescribed;
      try {
        const created = await client.schedule.create(opts);
        creates.push('created');
        return created;
      } catch (err) {
        creates.push(err instanceof ScheduleAlreadyRunning ? 'already exists' : String(err));
        throw err;
      }
    },
  });
  return bind(client, { schedule });
}
