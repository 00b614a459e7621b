import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsForDay, insertEvents, insertMetrics, metricsForDay, type EventRow, type MetricRow } from '../../src/dev/generate.js';
import { daysInRange } from '../../src/export/days.js';
import { objectKeys, tableSchemaKey } from '../../src/export/keys.js';
import type { TableName } from '../../src/export/tables.js';
import { scheduleId } from '../../src/temporal/ids.js';
import { deleteSchedule } from '../../src/temporal/schedules.js';
import { expectedEventsCsv, expectedMetricsCsv } from '../helpers/expected-csv.js';
import { setupHarness, type Harness } from '../helpers/harness.js';
import { testApi, waitFor, workflowHistoriesText, type TestApi } from './api-helpers.js';

/**
 * Stopping work through the API while files are mid-upload: a slow worker (a pause after every part,
 * 5 MiB parts, ~8 MB of events per day) so cancellation lands while multipart uploads are open.
 */
let h: Harness;
let api: TestApi;
const created: string[] = [];
const EVENTS_PER_DAY = 12_000;

beforeAll(async () => {
  h = await setupHarness('apicancel');
  await h.startWorker({ partDelayMs: 1500, partSize: 5 * 1024 * 1024 });
  api = await testApi(h);
});

afterAll(async () => {
  for (const id of created) await deleteSchedule(h.testEnv.client, id).catch(() => undefined);
  await api?.close();
  await h?.close();
});

async function createIntegration() {
  const res = await api.call('POST', '/v1/integrations', {
    appId: randomUUID(),
    endpointUrl: h.env.LOCAL_S3_ENDPOINT,
    bucket: h.bucket,
    folder: `cancel-${randomUUID().slice(0, 8)}`,
    accessKeyId: h.env.LOCAL_S3_ACCESS_KEY_ID,
    secretAccessKey: h.env.LOCAL_S3_SECRET_ACCESS_KEY,
  });
  expect(res.statusCode, res.body).toBe(201);
  created.push(res.json().id);
  return res.json<{ id: string; appId: string; bucket: string; folder: string }>();
}

async function seed(appId: string, days: string[]) {
  const data = new Map<string, { events: EventRow[]; metrics: MetricRow[] }>();
  for (const [n, day] of days.entries()) {
    const events = [...eventsForDay(appId, day, EVENTS_PER_DAY, 700 + n)].filter((r) => r.profile_id !== null);
    const metrics = metricsForDay(appId, day, 3, 800 + n);
    await insertEvents(h.pool, events);
    await insertMetrics(h.pool, metrics);
    data.set(day, { events, metrics });
  }
  return data;
}

/** Every file in the folder is whole and vouched for by its manifest; returns the (table, day) pairs present. */
async function checkNoPartialFiles(i: { bucket: string; folder: string }, data: Map<string, { events: EventRow[]; metrics: MetricRow[] }>) {
  expect(await h.openUploads(`${i.folder}/`)).toEqual([]);
  const keys = new Set(await h.listKeys(`${i.folder}/`));
  const present: string[] = [];
  for (const [day, { events, metrics }] of data) {
    for (const table of ['ua_events', 'campaign_metrics'] as TableName[]) {
      const k = objectKeys(i.bucket, i.folder, table, day);
      const hasData = keys.has(k.dataKey);
      expect(keys.has(k.manifestKey), `${table} ${day}: manifest present iff file present`).toBe(hasData);
      if (!hasData) continue;
      const csv = await h.getText(k.dataKey);
      const rows = table === 'ua_events' ? events : metrics;
      expect(csv.split('\n').length - 2, `${table} ${day} rows`).toBe(rows.length);
      expect(csv).toBe(table === 'ua_events' ? expectedEventsCsv(events) : expectedMetricsCsv(metrics));
      expect(JSON.parse(await h.getText(k.manifestKey))).toMatchObject({ rows: rows.length, key: k.dataKey });
      keys.delete(k.dataKey);
      keys.delete(k.manifestKey);
      present.push(`${table}/${day}`);
    }
  }
  // Each table folder with a file also has its _schema.json (written before the first manifest).
  for (const table of ['ua_events', 'campaign_metrics'] as TableName[]) {
    if (!present.some((p) => p.startsWith(`${table}/`))) continue;
    const schemaKey = tableSchemaKey(objectKeys(i.bucket, i.folder, table, [...data.keys()][0]!).manifestKey);
    expect(keys.has(schemaKey), `${table}: _schema.json present`).toBe(true);
    keys.delete(schemaKey);
  }
  // Nothing else (no probe leftovers, no stray objects).
  expect([...keys]).toEqual([]);
  return present;
}

describe('stopping work through the API', () => {
  it('cancels a backfill mid-way: uploads in flight are aborted, completed files stay, no partial file appears', async () => {
    const i = await createIntegration();
    const days = daysInRange('2026-04-01', '2026-04-04');
    const data = await seed(i.appId, days);

    const started = await api.call('POST', `/v1/integrations/${i.id}/backfills`, { from: days[0], to: days[3], concurrency: 2 });
    expect(started.statusCode, started.body).toBe(202);
    const { backfillId } = started.json();

    // Wait until at least one day is done and another is mid-upload.
    await waitFor(
      async () => {
        const p = (await api.call('GET', `/v1/integrations/${i.id}/backfills/${backfillId}`)).json();
        expect(p.status).toBe('running');
        return p.completedDays >= 1 && p.inProgressDays.length >= 1 && (await h.openUploads(`${i.folder}/`)).length >= 1;
      },
      90_000,
      'one day done and another uploading',
      100,
    );

    const cancel = await api.call('DELETE', `/v1/integrations/${i.id}/backfills/${backfillId}`);
    expect(cancel.statusCode, cancel.body).toBe(202);
    expect(cancel.json()).toMatchObject({ backfillId, status: 'cancelling' });

    const final = await waitFor(
      async () => {
        const p = (await api.call('GET', `/v1/integrations/${i.id}/backfills/${backfillId}`)).json();
        return p.status === 'running' ? null : p;
      },
      60_000,
      'the backfill to close',
      250,
    );
    expect(final).toMatchObject({ status: 'cancelled', inProgressDays: [], failedDays: [] });
    expect(final.finishedAt).not.toBeNull();
    expect(final.completedDays).toBeGreaterThanOrEqual(1);
    expect(final.completedDays).toBeLessThan(4);

    const present = await checkNoPartialFiles(i, data);
    const completeDays = days.filter((d) => present.includes(`ua_events/${d}`) && present.includes(`campaign_metrics/${d}`));
    expect(completeDays.length).toBeGreaterThanOrEqual(final.completedDays);
    expect(present.length).toBeLessThan(8);

    // The ledger and the bucket agree both ways: succeeded ⇔ the whole file is there. A file whose
    // completion had begun when the cancel arrived is finished (completion is not cancellable), so it
    // is succeeded; anything cut short is cancelled or never started, and has no file.
    const ledger = (await api.call('GET', `/v1/integrations/${i.id}/exports?from=${days[0]}&to=${days[3]}`)).json();
    for (const e of ledger.entries) {
      expect(['succeeded', 'cancelled', 'missing']).toContain(e.status);
      expect(present.includes(`${e.table}/${e.day}`), `${e.table}/${e.day} is ${e.status}`).toBe(e.status === 'succeeded');
    }
    expect(ledger.summary.succeeded).toBeLessThan(8);

    const list = (await api.call('GET', `/v1/integrations/${i.id}/backfills`)).json();
    expect(list.backfills[0]).toMatchObject({ backfillId, status: 'cancelled' });
    expect((await api.call('DELETE', `/v1/integrations/${i.id}/backfills/${backfillId}`)).statusCode).toBe(409);
  });

  it('deletes an integration with exports running: they are cancelled and their uploads aborted before it goes', async () => {
    const i = await createIntegration();
    const days = daysInRange('2026-04-10', '2026-04-11');
    const data = await seed(i.appId, days);
    const started = await api.call('POST', `/v1/integrations/${i.id}/backfills`, { from: days[0], to: days[1], concurrency: 2 });
    expect(started.statusCode, started.body).toBe(202);
    const { backfillId } = started.json();
    await waitFor(async () => (await h.openUploads(`${i.folder}/`)).length >= 1, 60_000, 'an upload in flight', 100);

    // An API that will not wait answers 409 and leaves the integration disabled, its schedule paused.
    const impatient = await testApi(h, { deps: { deleteWaitMs: 0 } });
    try {
      const early = await impatient.call('DELETE', `/v1/integrations/${i.id}`);
      expect(early.statusCode, early.body).toBe(409);
      expect(early.json()).toMatchObject({ error: 'exports_still_running' });
      expect(early.json().message).toContain(backfillId);
    } finally {
      await impatient.close();
    }
    expect((await api.call('GET', `/v1/integrations/${i.id}`)).json()).toMatchObject({ enabled: false, schedule: { paused: true } });

    // Asked again, it waits for the cancelled exports to close, then deletes.
    const res = await api.call('DELETE', `/v1/integrations/${i.id}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ id: i.id, deleted: true });
    expect(body.cancelledWorkflows).toContain(backfillId);
    expect(body.cancelledWorkflows.some((w: string) => w.startsWith(`ua-export-${i.id}-`))).toBe(true);

    await checkNoPartialFiles(i, data);
    expect((await api.call('GET', `/v1/integrations/${i.id}`)).statusCode).toBe(404);
    await expect(h.testEnv.client.schedule.getHandle(scheduleId(i.id)).describe()).rejects.toThrow();
    const running: string[] = [];
    for await (const wf of h.testEnv.client.workflow.list({ query: `UaIntegrationId = '${i.id}' AND ExecutionStatus = 'Running'` }))
      running.push(wf.workflowId);
    expect(running).toEqual([]);
  });

  it('leaked no secret into responses, logs or workflow histories', async () => {
    const secret = h.env.LOCAL_S3_SECRET_ACCESS_KEY;
    for (const r of api.responses) expect(r).not.toContain(secret);
    for (const l of api.logs) expect(l).not.toContain(secret);
    for (const id of created) {
      const { count, text } = await workflowHistoriesText(h, id);
      expect(count).toBeGreaterThan(1);
      expect(text).not.toContain(secret);
    }
  });
});
