import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertPayload } from '../../src/alerts/events.js';
import { verify } from '../../src/alerts/signature.js';
import { partSizeBytes } from '../../src/config/env.js';
import { eventsForDay, insertEvents, type EventRow, insertMetrics, metricsForDay } from '../../src/dev/generate.js';
import { addDays, daysInRange, utcDayOf } from '../../src/export/days.js';
import { createActivities } from '../../activities/index.js';
import { fingerprintRows, sourceFingerprint } from '../../src/export/fingerprint.js';
import { objectKeys } from '../../src/export/keys.js';
import { updateIntegration, type Integration } from '../../src/integrations/repo.js';
import { exportWorkflowId, scheduleId } from '../../src/temporal/ids.js';
import { syncSchedule } from '../../src/temporal/schedules.js';
import { schedulePausedCheck } from '../../src/worker/schedule-pauser.js';
import { createExportWorker } from '../../src/worker/worker.js';
import type { exportDayWorkflow } from '../../workflows/export-day.js';
import type { ScheduledExportResult } from '../../workflows/scheduled-export.js';
import type { BackfillProgress } from '../../workflows/backfill.js';
import { expectedEventsCsv } from '../helpers/expected-csv.js';
import { setupHarness, type Harness } from '../helpers/harness.js';
import { testApi, waitFor, type TestApi } from './api-helpers.js';

/**
 * Issue 12 on the real services: a local webhook receiver gets signed events for a failure, an
 * auto-pause, a recovery and a redelivery; three failed scheduled days pause the schedule and resume
 * with catch-up delivers them; rows inserted into and deleted from an exported day are re-delivered
 * by the next daily run. Scheduled runs are driven through the schedule's own backfill with chosen
 * scheduled times, never by waiting for 04:00.
 */

const SECRET = 'whsec_ops_test_9d1f';
interface Received {
  headers: Record<string, string | undefined>;
  body: string;
  payload: AlertPayload;
}

let h: Harness;
let api: TestApi;
let worker: Worker;
let running: Promise<void>;
let receiver: Server;
let hookUrl: string;
const received: Received[] = [];
/** The worker's test hook, run in a file's read snapshot right before its fingerprint query. */
let beforeFingerprint: (() => Promise<void>) | null = null;
/** The smallest part S3 allows: a day of a little over one part goes multipart without a big insert. */
const PART = 5 * 1024 * 1024;

beforeAll(async () => {
  h = await setupHarness('ops');
  worker = await createExportWorker({
    connection: h.testEnv.nativeConnection,
    namespace: h.env.TEMPORAL_NAMESPACE,
    taskQueue: h.taskQueue,
    pool: h.pool,
    keyring: h.keyring,
    partSize: PART,
    beforeFingerprint: () => beforeFingerprint?.() ?? Promise.resolve(),
    client: h.testEnv.client,
    temporalUiUrl: h.env.TEMPORAL_UI_URL,
  });
  running = worker.run();
  api = await testApi(h);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers as Record<string, string | undefined>, body, payload: JSON.parse(body) as AlertPayload });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
}, 60_000);

afterAll(async () => {
  await api?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await h?.close();
  // A receiver that never started must not hang the hook.
  if (receiver) await new Promise((r) => receiver.close(r));
});

const eventsFor = (integrationId: string, event: string) => received.filter((r) => r.payload.integrationId === integrationId && r.payload.event === event);

function expectSigned(r: Received): void {
  expect(verify(SECRET, r.headers['x-ua-export-signature'], r.headers['x-ua-export-timestamp'], r.body, Math.floor(Date.now() / 1000))).toBe(true);
  expect(r.headers['x-ua-export-delivery']).toBe(r.payload.id);
  expect(r.body).not.toContain(SECRET);
  expect(r.body).not.toContain(h.env.LOCAL_S3_SECRET_ACCESS_KEY);
}

/**
 * Runs the integration's schedule for each scheduled time in turn (one schedule backfill each, waiting
 * for its run to close before the next: the streak is about consecutive days, in order) and returns
 * the runs' results.
 */
async function runScheduledAt(
  integration: Integration,
  times: Date[],
  overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.BUFFER_ALL,
): Promise<ScheduledExportResult[]> {
  const schedule = h.testEnv.client.schedule.getHandle(scheduleId(integration.id));
  const out: ScheduledExportResult[] = [];
  for (const t of times) {
    const before = (await schedule.describe()).info.recentActions.length;
    await schedule.backfill({ start: new Date(t.getTime() - 60_000), end: new Date(t.getTime() + 60_000), overlap });
    const action = await waitFor(
      async () => (await schedule.describe()).info.recentActions[before],
      30_000,
      `the scheduled run of ${t.toISOString()} to start`,
    );
    const handle = h.testEnv.client.workflow.getHandle<() => Promise<ScheduledExportResult>>(action.action.workflow.workflowId);
    out.push(await handle.result().catch((err: unknown) => ({ status: 'failed', error: String(err) }) as unknown as ScheduledExportResult));
  }
  return out;
}

const at04 = (day: string) => new Date(`${addDays(day, 1)}T04:00:00Z`);

describe('operations that run themselves (real services)', () => {
  it('re-delivers a day whose rows were inserted and deleted after export, with a signed export.redelivered; the file matches the source again', async () => {
    const R = '2025-06-10';
    const integration = await h.integration({ alerts: { webhookUrl: hookUrl, format: 'json', secret: SECRET }, lookbackDays: 2 });
    await syncSchedule(h.testEnv.client, integration, { taskQueue: h.taskQueue });
    const initial = [...eventsForDay(integration.appId, R, 40, 21)].map((e) => ({ ...e, profile_id: e.profile_id ?? randomUUID() }));
    await insertEvents(h.pool, initial);
    await insertMetrics(h.pool, metricsForDay(integration.appId, R, 3, 2));
    try {
      const [first] = await runScheduledAt(integration, [at04(R)]);
      expect(first).toMatchObject({ status: 'exported', day: R, lookback: { checked: true, redelivered: [] } });
      const keys = objectKeys(integration.bucket, integration.folder, 'ua_events', R);
      expect(await h.getText(keys.dataKey)).toBe(expectedEventsCsv(initial));
      const manifestBefore = JSON.parse(await h.getText(keys.manifestKey)) as { sourceFingerprint: string; rows: number };
      expect(manifestBefore.sourceFingerprint).toMatch(/^v1:40:[0-9a-f]{16}$/);

      // Late data: three rows arrive for R, two are erased (a delete + insert that a count alone would half miss).
      const deleted = [initial[5]!, initial[30]!];
      await h.pool.query('DELETE FROM ua_events WHERE app_id = $1 AND created_at = ANY($2::timestamptz[])', [
        integration.appId,
        deleted.map((d) => d.created_at),
      ]);
      const late = [...eventsForDay(integration.appId, R, 3, 99)].map((e) => ({ ...e, profile_id: randomUUID() }));
      await insertEvents(h.pool, late);
      const [next] = await runScheduledAt(integration, [at04(addDays(R, 1))]);
      expect(next).toMatchObject({ status: 'exported', day: addDays(R, 1), lookback: { checked: true, redelivered: [R], failed: [] } });

      const now = [...initial.filter((e) => !deleted.includes(e)), ...late];
      expect(await h.getText(keys.dataKey)).toBe(expectedEventsCsv(now));
      const manifest = JSON.parse(await h.getText(keys.manifestKey)) as { sourceFingerprint: string; rows: number };
      const fresh = await sourceFingerprint(h.pool, {
        table: 'ua_events',
        appId: integration.appId,
        day: R,
        settings: integration.settings,
        historicalCutoff: integration.historicalCutoff,
      });
      expect(manifest).toMatchObject({ rows: 41, sourceFingerprint: fresh.fingerprint });
      // Only the changed table went again, in the ledger as a redelivery.
      const { rows: kinds } = await h.pool.query<{ table_name: string; kind: string }>(
        `SELECT table_name, kind FROM export_runs WHERE integration_id = $1 AND day = $2 ORDER BY id`,
        [integration.id, R],
      );
      expect(kinds).toEqual([
        { table_name: 'ua_events', kind: 'scheduled' },
        { table_name: 'campaign_metrics', kind: 'scheduled' },
        { table_name: 'ua_events', kind: 'redelivery' },
      ]);
      const alert = await waitFor(async () => eventsFor(integration.id, 'export.redelivered')[0], 20_000, 'export.redelivered');
      expectSigned(alert);
      expect(alert.payload).toMatchObject({
        day: R,
        appId: integration.appId,
        table: 'ua_events',
        redelivered: [{ table: 'ua_events', rowsBefore: 40, rowsAfter: 41 }],
      });
      expect(alert.payload.uiUrl).toContain(encodeURIComponent(exportWorkflowId(integration.id, R)));

      // The test endpoint: one signed alert.test, the receiver's status in the answer.
      const res = await api.call('POST', `/v1/integrations/${integration.id}/alerts/test`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ delivered: true, status: 200, error: null });
      expectSigned(eventsFor(integration.id, 'alert.test')[0]!);
      // The secret is write-only.
      const shown = await api.call('GET', `/v1/integrations/${integration.id}`);
      expect(shown.json()).toMatchObject({
        alerts: { webhookUrl: `${new URL(hookUrl).origin}/…hook`, format: 'json', hasSecret: true },
        lookbackDays: 2,
        autoPauseAfterFailedDays: 3,
      });
      expect(shown.body).not.toContain(SECRET);
    } finally {
      await h.testEnv.client.schedule.getHandle(scheduleId(integration.id)).delete();
    }
  }, 90_000);

  it('a day whose scheduled run never started is exported whole by the next scheduled run (kind repair, signed export.repaired); a paused day is not', async () => {
    const [A, B, C] = ['2025-07-10', '2025-07-11', '2025-07-12'];
    const integration = await h.integration({ alerts: { webhookUrl: hookUrl, format: 'json', secret: SECRET }, lookbackDays: 2 });
    // The integration (and its schedule) existed before A's firing: B's run was owed.
    await h.pool.query(`UPDATE integrations SET created_at = $2 WHERE id = $1`, [integration.id, new Date(at04(A).getTime() - 3_600_000)]);
    await syncSchedule(h.testEnv.client, integration, { taskQueue: h.taskQueue });
    const source: Record<string, EventRow[]> = {};
    const metricRows: Record<string, number> = {};
    for (const [i, d] of [A, B, C].entries()) {
      source[d] = [...eventsForDay(integration.appId, d, 25 + i, 40 + i)].map((e) => ({ ...e, profile_id: e.profile_id ?? randomUUID() }));
      await insertEvents(h.pool, source[d]);
      const metrics = [...metricsForDay(integration.appId, d, 2, 3 + i)];
      metricRows[d] = metrics.length;
      await insertMetrics(h.pool, metrics);
    }
    try {
      const [first] = await runScheduledAt(integration, [at04(A)]);
      expect(first).toMatchObject({ status: 'exported', day: A });
      expect(first).not.toHaveProperty('missedRuns');
      // B's firing is lost: the scheduler never starts it (as when a start fails non-retryably). C's run repairs it.
      const [next] = await runScheduledAt(integration, [at04(C)]);
      expect(next).toMatchObject({ status: 'exported', day: C, missedRuns: { repaired: [B], failed: [], skippedBusy: [] }, lookback: { checked: true } });
      const keys = objectKeys(integration.bucket, integration.folder, 'ua_events', B);
      expect(await h.getText(keys.dataKey)).toBe(expectedEventsCsv(source[B]!));
      const { rows: ledger } = await h.pool.query<{ table_name: string; kind: string; status: string; rows: string }>(
        `SELECT table_name, kind, status, rows::text FROM export_runs WHERE integration_id = $1 AND day = $2 ORDER BY id`,
        [integration.id, B],
      );
      expect(ledger).toEqual([
        { table_name: 'ua_events', kind: 'repair', status: 'succeeded', rows: String(source[B]!.length) },
        { table_name: 'campaign_metrics', kind: 'repair', status: 'succeeded', rows: String(metricRows[B]) },
      ]);
      const alert = await waitFor(async () => eventsFor(integration.id, 'export.repaired')[0], 20_000, 'export.repaired');
      expectSigned(alert);
      expect(alert.payload).toMatchObject({ day: B, missedRun: { scheduledAt: at04(B).toISOString() } });
      expect(alert.payload.uiUrl).toContain(encodeURIComponent(exportWorkflowId(integration.id, B)));
      // The run after that finds nothing owed: B is in the ledger now.
      const [after] = await runScheduledAt(integration, [at04(addDays(C, 1))]);
      expect(after).toMatchObject({ status: 'exported', day: addDays(C, 1) });
      expect(after).not.toHaveProperty('missedRuns');

      // An operator's pause through the API is recorded, and its resume closes it ...
      expect((await api.call('POST', `/v1/integrations/${integration.id}/schedule/pause`, { note: 'holiday' })).statusCode).toBe(200);
      const open = await h.pool.query(`SELECT note, resumed_at FROM schedule_pauses WHERE integration_id = $1`, [integration.id]);
      expect(open.rows).toEqual([{ note: 'holiday', resumed_at: null }]);
      expect((await api.call('POST', `/v1/integrations/${integration.id}/schedule/resume`, {})).statusCode).toBe(200);
      const closed = await h.pool.query<{ paused_at: Date; resumed_at: Date }>(`SELECT paused_at, resumed_at FROM schedule_pauses WHERE integration_id = $1`, [
        integration.id,
      ]);
      expect(closed.rows).toHaveLength(1);
      expect(closed.rows[0]!.resumed_at.getTime()).toBeGreaterThanOrEqual(closed.rows[0]!.paused_at.getTime());
      // ... and a day whose firing fell in a pause is the operator's decision, never repaired. (The
      // recorded stretch is moved back over D+1's firing, as if the pause had been then.)
      const [D, E] = [addDays(C, 3), addDays(C, 4)];
      await h.pool.query(`UPDATE schedule_pauses SET paused_at = $2, resumed_at = $3 WHERE integration_id = $1`, [
        integration.id,
        new Date(at04(D).getTime() - 60_000),
        new Date(at04(D).getTime() + 60_000),
      ]);
      // C+2's firing is lost as well, outside the pause: that one is owed.
      const [paused] = await runScheduledAt(integration, [at04(E)]);
      expect(paused).toMatchObject({ status: 'exported', day: E, missedRuns: { repaired: [addDays(C, 2)] } });
      const { rows: dayD } = await h.pool.query(`SELECT 1 FROM export_runs WHERE integration_id = $1 AND day = $2`, [integration.id, D]);
      expect(dayD).toEqual([]);
    } finally {
      await h.testEnv.client.schedule.getHandle(scheduleId(integration.id)).delete();
    }
  }, 120_000);

  it('a schedule paused where ua-export cannot record it (the Temporal UI) repairs nothing while paused; its resume through the API keeps the paused days unowed', async () => {
    const [A, B, C] = ['2025-08-10', '2025-08-11', '2025-08-12'];
    const integration = await h.integration({ lookbackDays: 0 });
    await h.pool.query(`UPDATE integrations SET created_at = $2 WHERE id = $1`, [integration.id, new Date(at04(A).getTime() - 3_600_000)]);
    await syncSchedule(h.testEnv.client, integration, { taskQueue: h.taskQueue });
    const schedule = h.testEnv.client.schedule.getHandle(scheduleId(integration.id));
    const activities = createActivities({
      pool: h.pool,
      keyring: h.keyring,
      partSize: partSizeBytes(h.env),
      schedulePaused: schedulePausedCheck(h.testEnv.client),
    });
    try {
      const [first] = await runScheduledAt(integration, [at04(A)]);
      expect(first).toMatchObject({ status: 'exported', day: A });
      // B never ran. Not paused: owed.
      expect(await activities.reviewRecentDays({ integrationId: integration.id, day: C })).toEqual({
        changed: [],
        missed: [{ day: B, scheduledAt: at04(B).toISOString() }],
      });
      // Paused in Temporal directly: nothing is recorded, and the review leaves B alone while it lasts.
      await schedule.pause('paused in the Temporal UI');
      expect(await activities.reviewRecentDays({ integrationId: integration.id, day: C })).toEqual({ changed: [], missed: [] });
      // Resumed through the API: the unrecorded pause is taken to have lasted since the integration's
      // creation (there is no earlier stretch), so B is never repaired.
      expect((await api.call('POST', `/v1/integrations/${integration.id}/schedule/resume`, {})).statusCode).toBe(200);
      const { rows } = await h.pool.query<{ paused_at: Date; note: string }>(`SELECT paused_at, note FROM schedule_pauses WHERE integration_id = $1`, [
        integration.id,
      ]);
      expect(rows).toEqual([{ paused_at: new Date(at04(A).getTime() - 3_600_000), note: 'paused outside ua-export (Temporal UI or CLI)' }]);
      expect(await activities.reviewRecentDays({ integrationId: integration.id, day: C })).toEqual({ changed: [], missed: [] });
      expect(await activities.reviewRecentDays({ integrationId: integration.id, day: addDays(C, 365) })).toEqual({ changed: [], missed: [] });
    } finally {
      await schedule.delete();
    }
  }, 90_000);

  it('three failed scheduled days pause the schedule with a note; resume with catch-up delivers them; the next success is export.recovered', async () => {
    const integration = await h.integration({
      secretAccessKey: 'wrong-secret-for-ops-test',
      alerts: { webhookUrl: hookUrl, format: 'json', secret: SECRET },
      lookbackDays: 0,
    });
    await syncSchedule(h.testEnv.client, integration, { taskQueue: h.taskQueue });
    // The last three complete days whose 04:00 run time has passed.
    const today = utcDayOf(new Date());
    const last = new Date() >= new Date(`${today}T04:05:00Z`) ? addDays(today, -1) : addDays(today, -2);
    const days = [addDays(last, -2), addDays(last, -1), last];
    for (const d of days)
      await insertEvents(
        h.pool,
        [...eventsForDay(integration.appId, d, 5, 3)].map((e) => ({ ...e, profile_id: randomUUID() })),
      );
    const schedule = h.testEnv.client.schedule.getHandle(scheduleId(integration.id));
    try {
      const results = await runScheduledAt(integration, days.map(at04));
      expect(results.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
      const d = await schedule.describe();
      expect(d.state.paused).toBe(true);
      expect(d.state.note).toContain(`auto-paused: 3 consecutive scheduled days failed with a configuration error since ${days[0]}`);
      expect(d.state.note).toMatch(/SignatureDoesNotMatch|secret/i);
      const shown = (await api.call('GET', `/v1/integrations/${integration.id}`)).json<{
        schedule: { paused: boolean; autoPaused: { since: string; reason: string } };
      }>();
      expect(shown.schedule).toMatchObject({ paused: true, autoPaused: { since: days[0] } });
      // The auto-pause is recorded like an operator's, so the days it skips are never taken for lost starts.
      const stretch = await h.pool.query<{ note: string; resumed_at: Date | null }>(`SELECT note, resumed_at FROM schedule_pauses WHERE integration_id = $1`, [
        integration.id,
      ]);
      expect(stretch.rows).toEqual([{ note: d.state.note, resumed_at: null }]);
      const calendar = (await api.call('GET', '/v1/calendar')).json<{ integrations: { id: string; autoPaused: { since: string } | null }[] }>();
      expect(calendar.integrations.find((i) => i.id === integration.id)?.autoPaused).toMatchObject({ since: days[0] });

      await waitFor(
        async () => eventsFor(integration.id, 'export.failed').length >= 3 && eventsFor(integration.id, 'integration.auto_paused').length >= 1,
        20_000,
        'failure alerts',
      );
      const failed = eventsFor(integration.id, 'export.failed');
      expect(failed.map((f) => f.payload.day).sort()).toEqual(days);
      for (const f of failed) {
        expectSigned(f);
        expect(f.payload).toMatchObject({ table: 'ua_events', attempts: 1, appId: integration.appId });
        expect(f.payload.error).toMatch(/secret/i);
      }
      const paused = eventsFor(integration.id, 'integration.auto_paused');
      expect(paused).toHaveLength(1);
      expectSigned(paused[0]!);
      expect(paused[0]!.payload.autoPaused).toMatchObject({ sinceDay: days[0], failedDays: 3 });

      // Fixed: the right secret; resume with catch-up backfills the missed days.
      await updateIntegration(h.pool, h.keyring, integration.id, { secretAccessKey: h.env.LOCAL_S3_SECRET_ACCESS_KEY });
      const res = await api.call('POST', `/v1/integrations/${integration.id}/schedule/resume`, { catchUp: true });
      expect(res.statusCode).toBe(200);
      const body = res.json<{
        paused: boolean;
        pauses: { note: string; resumedAt: string | null }[];
        catchUp: { backfillId: string; from: string; to: string; missedDays: string[] };
      }>();
      expect(body.paused).toBe(false);
      expect(body.pauses).toEqual([expect.objectContaining({ note: d.state.note, resumedAt: expect.any(String) })]);
      // Before 04:05 UTC yesterday's run has not happened yet: it is missed too.
      const missed = daysInRange(days[0]!, addDays(today, -1));
      expect(body.catchUp).toMatchObject({ from: days[0], to: missed.at(-1), missedDays: missed });
      const progress = await h.testEnv.client.workflow.getHandle<() => Promise<BackfillProgress>>(body.catchUp.backfillId).result();
      expect(progress).toMatchObject({ status: 'completed', completedDays: missed.length });
      for (const d of days) {
        const csv = await h.getText(objectKeys(integration.bucket, integration.folder, 'ua_events', d).dataKey);
        expect(csv.trimEnd().split('\n')).toHaveLength(6);
      }
      const after = (await api.call('GET', `/v1/integrations/${integration.id}`)).json<{ schedule: { autoPaused: unknown } }>();
      expect(after.schedule.autoPaused).toBeNull();
      const done = await waitFor(async () => eventsFor(integration.id, 'backfill.completed')[0], 20_000, 'backfill.completed');
      expect(done.payload.backfill).toMatchObject({ from: days[0], to: missed.at(-1), status: 'completed', completedDays: missed.length });

      // The next scheduled success after failed days is a recovery.
      const [again] = await runScheduledAt(integration, [at04(days[2]!)], ScheduleOverlapPolicy.ALLOW_ALL);
      expect(again).toMatchObject({ status: 'exported', recovered: true });
      const recovered = await waitFor(async () => eventsFor(integration.id, 'export.recovered')[0], 20_000, 'export.recovered');
      expectSigned(recovered);
      expect(recovered.payload.day).toBe(days[2]);
    } finally {
      await schedule.delete();
    }
  }, 180_000);

  it('takes the delivered fingerprint in the snapshot the file is read in: a row committed meanwhile is in neither, and the next lookback sees it', async () => {
    // The worker's test hook commits one row for the day while the file is being read, right before
    // the fingerprint query. The small day fits one part (single request, fingerprint after the COPY
    // in its transaction), the large one does not (multipart, fingerprint beside the COPY on a second
    // connection in the exported snapshot).
    const integration = await h.integration({ lookbackDays: 2 });
    const SMALL = '2025-07-01';
    const LARGE = '2025-07-02';
    const LARGE_ROWS = 25_000;
    const rowsOf = (day: string, n: number, seed: number) =>
      [...eventsForDay(integration.appId, day, n, seed)].map((e) => ({ ...e, profile_id: randomUUID() }));
    const source: Record<string, ReturnType<typeof rowsOf>> = { [SMALL]: rowsOf(SMALL, 30, 31), [LARGE]: rowsOf(LARGE, LARGE_ROWS, 32) };
    await insertEvents(h.pool, [...source[SMALL]!, ...source[LARGE]!]);
    let lateDay: string | null = null;
    const late: Record<string, number> = {};
    beforeFingerprint = async () => {
      if (lateDay === null) return;
      await insertEvents(h.pool, rowsOf(lateDay, 1, 99));
      late[lateDay] = (late[lateDay] ?? 0) + 1;
    };
    try {
      for (const day of [SMALL, LARGE]) {
        lateDay = day;
        const result = await h.testEnv.client.workflow.execute<typeof exportDayWorkflow>('exportDayWorkflow', {
          taskQueue: h.taskQueue,
          workflowId: exportWorkflowId(integration.id, day),
          args: [{ integrationId: integration.id, day, kind: 'scheduled', tables: ['ua_events'] }],
        });
        lateDay = null;
        expect(late[day]).toBe(1);
        const keys = objectKeys(integration.bucket, integration.folder, 'ua_events', day);
        const manifest = JSON.parse(await h.getText(keys.manifestKey)) as { sourceFingerprint: string; rows: number; parts: number };
        // The file has the rows of its snapshot, not the one committed while it was read ...
        expect(await h.getText(keys.dataKey)).toBe(expectedEventsCsv(source[day]!));
        expect(manifest.parts).toBe(day === LARGE ? result.files[0]!.parts : 1);
        if (day === LARGE) expect(manifest.parts).toBeGreaterThan(1);
        // ... and the fingerprint, taken after that commit, counts exactly the file's rows.
        expect(manifest.rows).toBe(source[day]!.length);
        expect(fingerprintRows(manifest.sourceFingerprint)).toBe(manifest.rows);
      }
    } finally {
      beforeFingerprint = null;
    }
    // The lookback of the next day's run sees both days changed by their late row.
    const activities = createActivities({ pool: h.pool, keyring: h.keyring, partSize: partSizeBytes(h.env) });
    const { changed, missed } = await activities.reviewRecentDays({ integrationId: integration.id, day: addDays(LARGE, 1) });
    expect(missed).toEqual([]);
    expect(changed.map((c) => ({ day: c.day, tables: c.tables.map((t) => ({ table: t.table, rowsBefore: t.rowsBefore, rowsAfter: t.rowsAfter })) }))).toEqual([
      { day: SMALL, tables: [{ table: 'ua_events', rowsBefore: 30, rowsAfter: 31 }] },
      { day: LARGE, tables: [{ table: 'ua_events', rowsBefore: LARGE_ROWS, rowsAfter: LARGE_ROWS + 1 }] },
    ]);
  }, 90_000);

  it('refuses a webhook at a metadata address with the field and the rule', async () => {
    const integration = await h.integration();
    const res = await api.call('PATCH', `/v1/integrations/${integration.id}`, { alerts: { webhookUrl: 'http://169.254.169.254/latest/meta-data' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ details: [{ field: 'alerts.webhookUrl', rule: expect.stringContaining('metadata') }] });
  });
});
