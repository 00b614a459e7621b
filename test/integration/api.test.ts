import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsForDay, insertEvents, insertMetrics, metricsForDay, type EventRow, type MetricRow } from '../../src/dev/generate.js';
import { addDays, daysInRange, utcDayOf } from '../../src/export/days.js';
import { EVENT_TYPES } from '../../src/export/event-types.js';
import { objectKeys } from '../../src/export/keys.js';
import { exportWorkflowId, scheduleId } from '../../src/temporal/ids.js';
import { deleteSchedule } from '../../src/temporal/schedules.js';
import { expectedEventsCsv, expectedMetricsCsv } from '../helpers/expected-csv.js';
import { setupHarness, type Harness } from '../helpers/harness.js';
import { testApi, TOKEN, waitFor, workflowHistoriesText, type TestApi } from './api-helpers.js';

/**
 * The HTTP API end to end against real Temporal, Postgres and S3: create → test-connection →
 * backfill → files, the schedule, the ledger, auth, and that no secret leaks anywhere.
 */
let h: Harness;
let api: TestApi;
const created: string[] = [];
let SECRET: string;

beforeAll(async () => {
  h = await setupHarness('api');
  SECRET = h.env.LOCAL_S3_SECRET_ACCESS_KEY;
  await h.startWorker();
  api = await testApi(h);
});

afterAll(async () => {
  for (const id of created) await deleteSchedule(h.testEnv.client, id).catch(() => undefined);
  await api?.close();
  await h?.close();
});

function integrationBody(overrides: Record<string, unknown> = {}) {
  return {
    appId: randomUUID(),
    endpointUrl: h.env.LOCAL_S3_ENDPOINT,
    region: 'us-east-1',
    bucket: h.bucket,
    folder: `api-${randomUUID().slice(0, 8)}`,
    accessKeyId: h.env.LOCAL_S3_ACCESS_KEY_ID,
    secretAccessKey: SECRET,
    forcePathStyle: true,
    settings: { excludeHistoricalEvents: false, includeEventsWithoutProfile: false, sendUserAttributes: false, eventTypes: null },
    ...overrides,
  };
}

async function createIntegration(overrides: Record<string, unknown> = {}) {
  const res = await api.call('POST', '/v1/integrations', integrationBody(overrides));
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json();
  created.push(body.id);
  return body;
}

const withProfile = (rows: Iterable<EventRow>) => [...rows].filter((r) => r.profile_id !== null);

/** The parts of an OpenAPI operation object the docs test reads. */
interface OpenApiOperation {
  security?: unknown;
  responses: Record<string, { content?: Record<string, { schema?: unknown } | undefined> } | undefined>;
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown } | undefined> };
}

describe('health, docs and auth', () => {
  it('answers /healthz and /readyz without a token', async () => {
    const health = await api.call('GET', '/healthz', undefined, { token: null });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await api.call('GET', '/readyz', undefined, { token: null });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { postgres: { ok: true }, temporal: { ok: true } } });
  });

  it('serves the OpenAPI document at /openapi.json and Swagger UI at /docs, every /v1 route with schemas and bearer auth', async () => {
    const doc = (await api.call('GET', '/openapi.json', undefined, { token: null })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect((await api.call('GET', '/docs/', undefined, { token: null })).statusCode).toBe(200);
    const expected = [
      'get /v1/event-types',
      'post /v1/integrations',
      'get /v1/integrations',
      'get /v1/integrations/{id}',
      'patch /v1/integrations/{id}',
      'delete /v1/integrations/{id}',
      'post /v1/integrations/{id}/test-connection',
      'post /v1/integrations/{id}/backfills',
      'get /v1/integrations/{id}/backfills',
      'get /v1/integrations/{id}/backfills/{backfillId}',
      'delete /v1/integrations/{id}/backfills/{backfillId}',
      'post /v1/integrations/{id}/backfills/{backfillId}/pause',
      'post /v1/integrations/{id}/backfills/{backfillId}/resume',
      'get /v1/integrations/{id}/schedule',
      'post /v1/integrations/{id}/schedule/pause',
      'post /v1/integrations/{id}/schedule/resume',
      'post /v1/integrations/{id}/schedule/trigger',
      'post /v1/integrations/{id}/alerts/test',
      'get /v1/integrations/{id}/exports',
      'get /v1/calendar',
      'get /v1/integrations/{id}/files/{table}/{day}',
    ];
    const ops = Object.entries(doc.paths as Record<string, Record<string, OpenApiOperation>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ key: `${method} ${path}`, path, method, op })),
    );
    const v1 = ops.filter((o) => o.path.startsWith('/v1/'));
    expect(v1.map((o) => o.key).sort()).toEqual([...expected].sort());
    for (const { key, path, method, op } of v1) {
      expect(op.security, key).toEqual([{ bearerAuth: [] }]);
      const success = Object.keys(op.responses).find((c) => c.startsWith('2'));
      expect(op.responses[success!]?.content?.['application/json']?.schema, `${key} success schema`).toBeDefined();
      for (const code of ['401', '503']) expect(op.responses[code], `${key} ${code}`).toBeDefined();
      const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const p of pathParams)
        expect(
          op.parameters?.some((x) => x.in === 'path' && x.name === p),
          `${key} param ${p}`,
        ).toBe(true);
      if (method === 'post' || method === 'patch') {
        if (!path.endsWith('/test-connection')) expect(op.requestBody?.content?.['application/json']?.schema, `${key} body`).toBeDefined();
      }
    }
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    // The secret is write-only: documented in the request, absent from every response schema.
    expect(JSON.stringify(doc.paths['/v1/integrations'].post.responses)).not.toContain('secretAccessKey');
  });

  it('refuses every /v1 route without a valid bearer token (401)', async () => {
    const doc = (await api.call('GET', '/openapi.json', undefined, { token: null })).json();
    const id = randomUUID();
    const bad: ({ token: string | null } | { header: string })[] = [
      { token: null },
      { token: 'wrong-token' },
      { token: `${TOKEN}x` },
      { token: TOKEN.slice(0, -1) },
      { header: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
      { header: TOKEN },
      { header: `Bearer  ${TOKEN}` },
    ];
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      if (!path.startsWith('/v1/')) continue;
      const url = path.replace('{id}', id).replace('{backfillId}', 'ua-backfill-x');
      for (const method of Object.keys(methods)) {
        for (const b of bad) {
          const res =
            'header' in b
              ? await api.call(method.toUpperCase(), url, method === 'get' || method === 'delete' ? undefined : {}, {
                  token: null,
                  headers: { authorization: b.header },
                })
              : await api.call(method.toUpperCase(), url, method === 'get' || method === 'delete' ? undefined : {}, { token: b.token });
          expect(res.statusCode, `${method} ${url} ${JSON.stringify(b)}`).toBe(401);
          expect(res.json()).toMatchObject({ error: 'unauthorized' });
          expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
        }
      }
    }
    expect((await api.call('GET', '/v1/event-types', undefined, { headers: { authorization: `bearer ${TOKEN}` }, token: null })).statusCode).toBe(200);
  });

  it('tags every response and log line with a request id, honouring x-request-id', async () => {
    const res = await api.call('GET', '/v1/event-types', undefined, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(res.headers['x-request-id']).toBe('trace-abc.123');
    const lines = api.logs.map((l) => JSON.parse(l)).filter((l) => l.reqId === 'trace-abc.123');
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    const generated = await api.call('GET', '/v1/event-types', undefined, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('lists the event type catalog, grouped', async () => {
    const res = await api.call('GET', '/v1/event-types');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.types).toEqual([...EVENT_TYPES]);
    expect(body.groups.map((g: { group: string }) => g.group)).toEqual(['install', 'trial', 'subscription', 'purchase']);
    expect(body.groups.flatMap((g: { types: string[] }) => g.types)).toEqual([...EVENT_TYPES]);
  });
});

describe('integrations', () => {
  it('creates an integration with its schedule; the secret is never returned and the key is masked', async () => {
    const body = integrationBody({ bucket: `${h.bucket}/nested/folders`, settings: { eventTypes: ['install', 'TRIAL_STARTED'], sendUserAttributes: true } });
    const res = await api.call('POST', '/v1/integrations', body);
    expect(res.statusCode, res.body).toBe(201);
    const i = res.json();
    created.push(i.id);
    expect(res.headers.location).toBe(`/v1/integrations/${i.id}`);
    expect(i).toMatchObject({
      appId: body.appId,
      endpointUrl: body.endpointUrl,
      bucket: `${h.bucket}/nested/folders`,
      folder: body.folder,
      accessKeyId: `****${h.env.LOCAL_S3_ACCESS_KEY_ID.slice(-4)}`,
      enabled: true,
      settings: { sendUserAttributes: true, eventTypes: ['install', 'trial_started'], includeEventsWithoutProfile: false, excludeHistoricalEvents: false },
      schedule: { scheduleId: scheduleId(i.id), paused: false },
    });
    expect(i).not.toHaveProperty('secretAccessKey');
    expect(i.schedule.nextRunTimes[0]).toMatch(/T04:00:00\.000Z$/);
    const d = await h.testEnv.client.schedule.getHandle(scheduleId(i.id)).describe();
    expect(d.state.paused).toBe(false);

    expect((await api.call('GET', `/v1/integrations/${i.id}`)).json()).toMatchObject({ id: i.id, accessKeyId: i.accessKeyId, schedule: { paused: false } });
    const list = (await api.call('GET', '/v1/integrations')).json();
    expect(list.integrations.map((x: { id: string }) => x.id)).toContain(i.id);
    // The stored secret is sealed, not plain text.
    const { rows } = await h.pool.query('SELECT secret_access_key_enc FROM integrations WHERE id = $1', [i.id]);
    expect(rows[0].secret_access_key_enc).not.toContain(SECRET);
  });

  it('creates a disabled integration with a paused schedule; enabling resumes it, disabling pauses it', async () => {
    const i = await createIntegration({ enabled: false });
    const handle = h.testEnv.client.schedule.getHandle(scheduleId(i.id));
    expect(i.schedule.paused).toBe(true);
    expect((await handle.describe()).state.paused).toBe(true);

    const enabled = await api.call('PATCH', `/v1/integrations/${i.id}`, { enabled: true });
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect(enabled.json()).toMatchObject({ enabled: true, schedule: { paused: false } });
    expect((await handle.describe()).state).toMatchObject({ paused: false, note: 'integration enabled' });

    const disabled = await api.call('PATCH', `/v1/integrations/${i.id}`, { enabled: false });
    expect(disabled.json()).toMatchObject({ enabled: false, schedule: { paused: true } });
    expect((await handle.describe()).state).toMatchObject({ paused: true, note: 'integration disabled' });
  });

  it('patches partially: settings merge, credentials are replaced (and take effect), other fields stay', async () => {
    const i = await createIntegration({ settings: { sendUserAttributes: true } });
    const res = await api.call('PATCH', `/v1/integrations/${i.id}`, { settings: { eventTypes: ['install'] }, region: 'eu-central-1' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ region: 'eu-central-1', folder: i.folder, settings: { sendUserAttributes: true, eventTypes: ['install'] } });
    expect(res.json().updatedAt >= i.updatedAt).toBe(true);

    // Read-only credentials: the probe cannot write.
    const ro = await api.call('PATCH', `/v1/integrations/${i.id}`, {
      accessKeyId: h.env.LOCAL_S3_READONLY_ACCESS_KEY_ID,
      secretAccessKey: h.env.LOCAL_S3_READONLY_SECRET_ACCESS_KEY,
    });
    expect(ro.json().accessKeyId).toBe(`****${h.env.LOCAL_S3_READONLY_ACCESS_KEY_ID.slice(-4)}`);
    const denied = (await api.call('POST', `/v1/integrations/${i.id}/test-connection`)).json();
    expect(denied.ok).toBe(false);
    expect(denied.steps[0]).toMatchObject({ name: 'put_object', ok: false });
    expect(denied.steps[0].error).toMatch(/access denied/i);

    const back = await api.call('PATCH', `/v1/integrations/${i.id}`, {
      accessKeyId: h.env.LOCAL_S3_ACCESS_KEY_ID,
      secretAccessKey: SECRET,
      region: 'us-east-1',
    });
    expect(back.statusCode).toBe(200);
    expect((await api.call('POST', `/v1/integrations/${i.id}/test-connection`)).json().ok).toBe(true);
  });

  it('deletes an integration: schedule gone, row gone, ledger kept', async () => {
    const i = await createIntegration();
    await h.pool.query(
      `INSERT INTO export_runs (integration_id, table_name, day, workflow_id, run_id, kind, status) VALUES ($1, 'ua_events', '2026-01-01', $2, 'run', 'manual', 'succeeded')`,
      [i.id, `wf-${i.id}`],
    );
    const res = await api.call('DELETE', `/v1/integrations/${i.id}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ id: i.id, deleted: true, cancelledWorkflows: [] });
    await expect(h.testEnv.client.schedule.getHandle(scheduleId(i.id)).describe()).rejects.toThrow();
    expect((await api.call('GET', `/v1/integrations/${i.id}`)).statusCode).toBe(404);
    expect((await api.call('DELETE', `/v1/integrations/${i.id}`)).statusCode).toBe(404);
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM export_runs WHERE integration_id = $1', [i.id]);
    expect(rows[0].n).toBe(1);
  });
});

describe('test-connection', () => {
  it('runs the whole write path and leaves nothing behind', async () => {
    const i = await createIntegration();
    const res = await api.call('POST', `/v1/integrations/${i.id}/test-connection`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ ok: true, endpoint: h.env.LOCAL_S3_ENDPOINT, bucket: h.bucket });
    expect(body.steps.map((s: { name: string }) => s.name)).toEqual([
      'put_object',
      'create_multipart_upload',
      'upload_part',
      'complete_multipart_upload',
      'delete_objects',
      'abort_leftovers',
    ]);
    for (const s of body.steps) expect(s, s.name).toMatchObject({ ok: true, skipped: false, error: null });
    expect(body.probePrefix).toMatch(new RegExp(`^${i.folder}/_ua_export_probe/[0-9a-f-]{36}$`));
    // SeaweedFS refuses a wrong CRC32 part checksum and its endpoint here is loopback, so exports to it
    // will send those.
    expect(body.partChecksum).toBe('crc32');
    expect(await h.listKeys(`${i.folder}/`)).toEqual([]);
    expect(await h.openUploads(`${i.folder}/`)).toEqual([]);
  });

  it.each([
    ['a wrong access key', () => ({ accessKeyId: 'AKIAWRONGKEY0000' }), /does not know access key id \*\*\*\*0000/],
    ['a wrong secret', () => ({ secretAccessKey: 'not-the-secret' }), /secret access key does not match/],
    ['a missing bucket', () => ({ bucket: `missing-${randomUUID().slice(0, 8)}` }), /does not exist: create it or fix the integration's bucket/],
    [
      'read-only credentials',
      () => ({ accessKeyId: h.env.LOCAL_S3_READONLY_ACCESS_KEY_ID, secretAccessKey: h.env.LOCAL_S3_READONLY_SECRET_ACCESS_KEY }),
      /access denied/,
    ],
    ['an unreachable endpoint', () => ({ endpointUrl: 'http://127.0.0.1:1' }), /unreachable \(ECONNREFUSED\)/],
    ['a TLS mismatch', () => ({ endpointUrl: h.env.LOCAL_S3_ENDPOINT.replace('http://', 'https://') }), /TLS/],
  ])('says what to fix for %s', async (_name, overrides, message) => {
    const i = await createIntegration(overrides());
    const res = await api.call('POST', `/v1/integrations/${i.id}/test-connection`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.ok).toBe(false);
    const failed = body.steps.find((s: { ok: boolean; skipped: boolean }) => !s.ok && !s.skipped);
    expect(failed.name).toBe('put_object');
    expect(failed.error).toMatch(message);
    expect(body.partChecksum).toBeNull();
    // Nothing was written, so nothing is left.
    expect(await h.listKeys(`${i.folder}/`)).toEqual([]);
  });
});

describe('backfill through the API', () => {
  it('exports 7 days into 14 CSV files and 14 manifests, with progress moving, and lists the ledger with its gaps', async () => {
    const i = await createIntegration();
    expect((await api.call('POST', `/v1/integrations/${i.id}/test-connection`)).json().ok).toBe(true);

    const days = daysInRange('2026-05-01', '2026-05-07');
    const data = new Map<string, { events: EventRow[]; metrics: MetricRow[] }>();
    for (const [n, day] of days.entries()) {
      const events = withProfile(eventsForDay(i.appId, day, 120 + n * 7, 500 + n));
      const metrics = metricsForDay(i.appId, day, 3, 600 + n);
      await insertEvents(h.pool, events);
      await insertMetrics(h.pool, metrics);
      data.set(day, { events, metrics });
    }

    const started = await api.call('POST', `/v1/integrations/${i.id}/backfills`, { from: '2026-05-01', to: '2026-05-07', concurrency: 1 });
    expect(started.statusCode, started.body).toBe(202);
    const b = started.json();
    expect(b).toMatchObject({ status: 'running', totalDays: 7 });
    expect(b.backfillId).toBe(b.workflowId);
    expect(b.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.uiUrl).toBe(`${h.env.TEMPORAL_UI_URL}/namespaces/${h.env.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(b.workflowId)}`);

    // The same range again while it runs: the running one.
    const again = await api.call('POST', `/v1/integrations/${i.id}/backfills`, { from: '2026-05-01', to: '2026-05-07', concurrency: 1 });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ backfillId: b.backfillId, runId: b.runId });

    const seen = new Set<number>();
    const final = await waitFor(
      async () => {
        const res = await api.call('GET', `/v1/integrations/${i.id}/backfills/${b.backfillId}`);
        expect(res.statusCode, res.body).toBe(200);
        const p = res.json();
        if (p.status === 'running') seen.add(p.completedDays);
        return p.status === 'running' ? null : p;
      },
      90_000,
      'the backfill to finish',
      100,
    );
    expect(seen.size, `completedDays seen while running: ${[...seen].join(',')}`).toBeGreaterThanOrEqual(2);
    const totalRows = [...data.values()].reduce((s, d) => s + d.events.length + d.metrics.length, 0);
    expect(final).toMatchObject({
      status: 'completed',
      from: '2026-05-01',
      to: '2026-05-07',
      totalDays: 7,
      completedDays: 7,
      failedDays: [],
      inProgressDays: [],
      rows: totalRows,
    });
    expect(final.bytes).toBeGreaterThan(0);
    expect(Date.parse(final.startedAt)).not.toBeNaN();
    expect(Date.parse(final.finishedAt)).toBeGreaterThanOrEqual(Date.parse(final.startedAt));

    const keys = await h.listKeys(`${i.folder}/`);
    expect(keys.filter((k) => k.endsWith('.csv'))).toHaveLength(14);
    expect(keys.filter((k) => k.endsWith('/_manifest.json'))).toHaveLength(14);
    // One schema per table folder, however many days were exported.
    expect(keys.filter((k) => k.endsWith('/_schema.json'))).toEqual([`${i.folder}/campaign_metrics/_schema.json`, `${i.folder}/ua_events/_schema.json`]);
    expect(keys).toHaveLength(30);
    for (const [day, { events, metrics }] of data) {
      const ev = objectKeys(i.bucket, i.folder, 'ua_events', day);
      const me = objectKeys(i.bucket, i.folder, 'campaign_metrics', day);
      expect(await h.getText(ev.dataKey)).toBe(expectedEventsCsv(events));
      expect(await h.getText(me.dataKey)).toBe(expectedMetricsCsv(metrics));
      expect(JSON.parse(await h.getText(ev.manifestKey))).toMatchObject({ day, table: 'ua_events', rows: events.length, key: ev.dataKey });
      expect(JSON.parse(await h.getText(me.manifestKey))).toMatchObject({ day, table: 'campaign_metrics', rows: metrics.length, key: me.dataKey });
    }

    const list = (await api.call('GET', `/v1/integrations/${i.id}/backfills`)).json();
    expect(list.backfills[0]).toMatchObject({ backfillId: b.backfillId, status: 'completed', from: '2026-05-01', to: '2026-05-07' });

    // The ledger, with the days around the range showing as gaps.
    const ledger = await api.call('GET', `/v1/integrations/${i.id}/exports?from=2026-04-30&to=2026-05-08`);
    expect(ledger.statusCode, ledger.body).toBe(200);
    const l = ledger.json();
    expect(l.entries).toHaveLength(18);
    expect(l.summary).toEqual({ succeeded: 14, failed: 0, running: 0, cancelled: 0, missing: 4 });
    for (const e of l.entries) {
      if (e.day === '2026-04-30' || e.day === '2026-05-08') {
        expect(e).toMatchObject({ status: 'missing', rows: null, key: null, workflowId: null, attempts: 0 });
        continue;
      }
      const d = data.get(e.day)!;
      expect(e).toMatchObject({
        status: 'succeeded',
        rows: e.table === 'ua_events' ? d.events.length : d.metrics.length,
        key: objectKeys(i.bucket, i.folder, e.table, e.day).dataKey,
        workflowId: exportWorkflowId(i.id, e.day),
        attempts: 1,
      });
      expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Date.parse(e.finishedAt)).not.toBeNaN();
    }
    const onlyMetrics = (await api.call('GET', `/v1/integrations/${i.id}/exports?from=2026-05-01&to=2026-05-02&table=campaign_metrics`)).json();
    expect(onlyMetrics.entries.map((e: { table: string }) => e.table)).toEqual(['campaign_metrics', 'campaign_metrics']);

    // Cancelling a finished backfill is a conflict, not a silent success.
    expect((await api.call('DELETE', `/v1/integrations/${i.id}/backfills/${b.backfillId}`)).statusCode).toBe(409);
  });
});

describe('the schedule through the API', () => {
  it('pauses and resumes the Temporal schedule itself, with the note, visible in describe() and GET …/schedule', async () => {
    const i = await createIntegration();
    const handle = h.testEnv.client.schedule.getHandle(scheduleId(i.id));
    const initial = (await api.call('GET', `/v1/integrations/${i.id}/schedule`)).json();
    expect(initial).toMatchObject({ scheduleId: scheduleId(i.id), paused: false, recentRuns: [], pauses: [] });
    expect(initial.nextRunTimes.length).toBeGreaterThan(0);
    expect(initial.uiUrl).toBe(`${h.env.TEMPORAL_UI_URL}/namespaces/${h.env.TEMPORAL_NAMESPACE}/schedules/${scheduleId(i.id)}`);

    const paused = await api.call('POST', `/v1/integrations/${i.id}/schedule/pause`, { note: 'customer rotating keys' });
    expect(paused.statusCode, paused.body).toBe(200);
    expect(paused.json()).toMatchObject({ paused: true, note: 'customer rotating keys', pauses: [{ resumedAt: null, note: 'customer rotating keys' }] });
    expect((await handle.describe()).state).toMatchObject({ paused: true, note: 'customer rotating keys' });
    expect((await api.call('GET', `/v1/integrations/${i.id}/schedule`)).json()).toMatchObject({ paused: true, note: 'customer rotating keys' });
    expect((await api.call('GET', `/v1/integrations/${i.id}`)).json().schedule).toMatchObject({ paused: true, note: 'customer rotating keys' });

    const resumed = await api.call('POST', `/v1/integrations/${i.id}/schedule/resume`, { note: 'keys rotated' });
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect(resumed.json()).toMatchObject({ paused: false, note: 'keys rotated' });
    // The stretch is closed, and stays in the view: the days it skipped were skipped on purpose.
    const [stretch] = resumed.json().pauses as { pausedAt: string; resumedAt: string; note: string }[];
    expect(stretch).toMatchObject({ note: 'customer rotating keys', resumedAt: expect.any(String) });
    expect(Date.parse(stretch!.resumedAt)).toBeGreaterThanOrEqual(Date.parse(stretch!.pausedAt));
    expect((await handle.describe()).state).toMatchObject({ paused: false, note: 'keys rotated' });
    expect((await api.call('GET', `/v1/integrations/${i.id}/schedule`)).json()).toMatchObject({ paused: false, note: 'keys rotated' });

    // The body is optional.
    const bare = await api.call('POST', `/v1/integrations/${i.id}/schedule/pause`);
    expect(bare.statusCode, bare.body).toBe(200);
    expect((await handle.describe()).state).toMatchObject({ paused: true, note: 'paused via API' });
    expect(bare.json().pauses.map((p: { note: string; resumedAt: string | null }) => [p.note, p.resumedAt === null])).toEqual([
      ['paused via API', true],
      ['customer rotating keys', false],
    ]);
  });

  it('trigger exports yesterday now, and the run shows in recentRuns', async () => {
    const i = await createIntegration();
    const yesterday = addDays(utcDayOf(new Date()), -1);
    const events = withProfile(eventsForDay(i.appId, yesterday, 60, 91));
    const metrics = metricsForDay(i.appId, yesterday, 2, 92);
    await insertEvents(h.pool, events);
    await insertMetrics(h.pool, metrics);

    const res = await api.call('POST', `/v1/integrations/${i.id}/schedule/trigger`);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ day: yesterday, exportWorkflowId: exportWorkflowId(i.id, yesterday), scheduleId: scheduleId(i.id) });

    const result = await waitFor(
      () =>
        h.testEnv.client.workflow
          .getHandle(exportWorkflowId(i.id, yesterday))
          .result()
          .catch(() => null),
      60_000,
      `the export of ${yesterday}`,
      300,
    );
    expect(result.day).toBe(yesterday);
    expect(await h.getText(objectKeys(i.bucket, i.folder, 'ua_events', yesterday).dataKey)).toBe(expectedEventsCsv(events));
    expect(await h.getText(objectKeys(i.bucket, i.folder, 'campaign_metrics', yesterday).dataKey)).toBe(expectedMetricsCsv(metrics));

    const s = await waitFor(
      async () => {
        const body = (await api.call('GET', `/v1/integrations/${i.id}/schedule`)).json();
        return body.recentRuns.length > 0 && body.recentRuns[0].status === 'completed' ? body : null;
      },
      30_000,
      'the triggered run in recentRuns',
      300,
    );
    expect(s.recentRuns[0]).toMatchObject({ day: yesterday, status: 'completed' });
    expect(s.recentRuns[0].workflowId).toMatch(new RegExp(`^${scheduleId(i.id)}`));
    const ledger = (await api.call('GET', `/v1/integrations/${i.id}/exports?from=${yesterday}&to=${yesterday}`)).json();
    expect(ledger.summary).toMatchObject({ succeeded: 2, missing: 0 });
  });
});

describe('secrets', () => {
  it('never appear in an API response, a log line, or a Temporal workflow history', async () => {
    expect(created.length).toBeGreaterThan(5);
    expect(api.responses.length).toBeGreaterThan(50);
    for (const r of api.responses) expect(r).not.toContain(SECRET);
    expect(api.logs.length).toBeGreaterThan(50);
    for (const line of api.logs) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(TOKEN);
    }
    let histories = 0;
    for (const id of created) {
      const { count, text } = await workflowHistoriesText(h, id);
      histories += count;
      expect(text).not.toContain(SECRET);
      const d = await h.testEnv.client.schedule
        .getHandle(scheduleId(id))
        .describe()
        .catch(() => null);
      if (d) expect(JSON.stringify(d)).not.toContain(SECRET);
    }
    // The backfill (1 + 7 day exports) and the triggered run (1 + 1) at least.
    expect(histories).toBeGreaterThanOrEqual(10);
  });
});
