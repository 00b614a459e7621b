import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, utcDayOf } from '../../src/export/days.js';
import { EVENT_TYPES } from '../../src/export/event-types.js';
import { scheduleId } from '../../src/temporal/ids.js';
import { deleteSchedule } from '../../src/temporal/schedules.js';
import { setupHarness, type Harness } from '../helpers/harness.js';
import { testApi, type TestApi } from './api-helpers.js';

/**
 * Every kind of bad input gets its 4xx with `{ error, message, details: [{ field, rule }] }`, and
 * nothing is started or stored; unknown ids are 404; an unreachable Temporal is a quick 503.
 */
let h: Harness;
let api: TestApi;
const created: string[] = [];
/** The app id every rejected create uses: no integration row may ever appear for it. */
const REJECTED_APP = randomUUID();

beforeAll(async () => {
  h = await setupHarness('apival');
  api = await testApi(h);
});

afterAll(async () => {
  for (const id of created) await deleteSchedule(h.testEnv.client, id).catch(() => undefined);
  await api?.close();
  await h?.close();
});

function validBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    appId: REJECTED_APP,
    endpointUrl: h.env.LOCAL_S3_ENDPOINT,
    bucket: h.bucket,
    folder: 'bad-input',
    accessKeyId: h.env.LOCAL_S3_ACCESS_KEY_ID,
    secretAccessKey: h.env.LOCAL_S3_SECRET_ACCESS_KEY,
    ...overrides,
  };
}

async function createIntegration(overrides: Record<string, unknown> = {}) {
  const res = await api.call('POST', '/v1/integrations', validBody({ appId: randomUUID(), folder: `v-${randomUUID().slice(0, 8)}`, ...overrides }));
  expect(res.statusCode, res.body).toBe(201);
  created.push(res.json().id);
  return res.json();
}

interface ErrorBody {
  error: string;
  message: string;
  details: { field: string; rule: string }[];
  requestId: string;
}

function expectError(res: { statusCode: number; body: string; json(): unknown }, status: number, error: string): ErrorBody {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json() as ErrorBody;
  expect(body).toMatchObject({ error, message: expect.any(String), details: expect.any(Array), requestId: expect.any(String) });
  // Never a stack trace.
  expect(res.body).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
  return body;
}

function expectDetail(body: ErrorBody, field: string, rule: RegExp) {
  expect(body.details, JSON.stringify(body.details)).toContainEqual({ field, rule: expect.stringMatching(rule) });
}

async function rowsForRejectedApp(): Promise<number> {
  const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM integrations WHERE app_id = $1', [REJECTED_APP]);
  return rows[0].n;
}

describe('creating an integration with bad input (400, nothing stored)', () => {
  it('rejects unknown fields, at the top level and in settings', async () => {
    const top = expectError(await api.call('POST', '/v1/integrations', validBody({ color: 'blue' })), 400, 'validation_failed');
    expectDetail(top, 'color', /not a known field/);
    const nested = expectError(
      await api.call('POST', '/v1/integrations', validBody({ settings: { sendUserAttributes: true, bogus: 1 } })),
      400,
      'validation_failed',
    );
    expectDetail(nested, 'settings.bogus', /not a known field/);
  });

  it('rejects missing required fields, naming each', async () => {
    const body = expectError(await api.call('POST', '/v1/integrations', {}), 400, 'validation_failed');
    for (const f of ['appId', 'endpointUrl', 'bucket', 'accessKeyId', 'secretAccessKey']) expectDetail(body, f, /is required/);
    const noBody = await api.call('POST', '/v1/integrations');
    expect(noBody.statusCode).toBe(400);
  });

  it('rejects wrong types without coercing them', async () => {
    expectDetail(expectError(await api.call('POST', '/v1/integrations', validBody({ enabled: 'true' })), 400, 'validation_failed'), 'enabled', /boolean/);
    expectDetail(expectError(await api.call('POST', '/v1/integrations', validBody({ appId: 'not-a-uuid' })), 400, 'validation_failed'), 'appId', /uuid/);
    expectError(await api.call('POST', '/v1/integrations', validBody({ settings: { eventTypes: 'install' } })), 400, 'validation_failed');
  });

  it('rejects unknown event types, listing the valid ones', async () => {
    const body = expectError(
      await api.call('POST', '/v1/integrations', validBody({ settings: { eventTypes: ['install', 'app_opened'] } })),
      400,
      'validation_failed',
    );
    expectDetail(body, 'settings.eventTypes', /unknown event type\(s\) "app_opened"/);
    for (const t of EVENT_TYPES) expect(body.message).toContain(t);
    expectError(await api.call('POST', '/v1/integrations', validBody({ settings: { eventTypes: [] } })), 400, 'validation_failed');
  });

  it.each([
    ['My_Bucket', /lowercase letters/],
    ['ab', /3/],
    ['192.168.1.10', /IP address/],
    ['bucket..name', /adjacent dots/],
    ['-bucket', /begin and end/],
    ['xn--bucket', /xn--/],
    ['good-bucket/../escape', /"\."|"\.\."/],
  ])('rejects the bucket %j', async (bucket, rule) => {
    const body = expectError(await api.call('POST', '/v1/integrations', validBody({ bucket })), 400, 'validation_failed');
    expectDetail(body, 'bucket', rule);
  });

  it('rejects a folder that escapes with ".."', async () => {
    expectDetail(expectError(await api.call('POST', '/v1/integrations', validBody({ folder: 'a/../b' })), 400, 'validation_failed'), 'folder', /"\.\."/);
  });

  it.each([
    ['not a url', /absolute URL/],
    ['s3.amazonaws.com', /absolute URL/],
    ['/relative/path', /absolute URL/],
    ['ftp://s3.example.com', /https/],
    ['file:///etc/passwd', /https/],
    ['https://AKIA:secret@s3.example.com', /credentials/],
    ['https://s3.example.com/?X-Amz-Credential=x', /query/],
    ['https://s3.example.com/#frag', /fragment/],
    ['http://169.254.169.254', /metadata/],
    ['http://169.254.169.254.nip.io.invalid', /does not resolve/],
    ['http://169.254.10.20:9000', /link-local/],
    ['http://[fe80::1]:9000', /link-local/],
    ['http://[fd00:ec2::254]', /metadata/],
    ['http://[::ffff:169.254.169.254]', /metadata/],
    ['http://metadata.google.internal/computeMetadata/v1', /metadata/],
    ['http://0.0.0.0:8333', /unspecified/],
    ['http://224.0.0.1', /multicast/],
    ['https://does-not-exist.invalid', /does not resolve/],
  ])('rejects the endpoint %j', async (endpointUrl, rule) => {
    const body = expectError(await api.call('POST', '/v1/integrations', validBody({ endpointUrl })), 400, 'validation_failed');
    expectDetail(body, 'endpointUrl', rule);
    if (endpointUrl.includes('secret')) expect(JSON.stringify(body)).not.toContain('AKIA:secret');
  });

  it('rejects plain http and private addresses when the configuration does not allow them', async () => {
    const strict = await testApi(h, { env: { ALLOW_PLAIN_HTTP_ENDPOINTS: false, ALLOW_PRIVATE_ENDPOINTS: false }, deps: { localDev: false } });
    try {
      const cases: [string, RegExp][] = [
        [h.env.LOCAL_S3_ENDPOINT, /plain http/],
        ['https://10.1.2.3', /private address/],
        ['https://172.16.5.4:9000', /private address/],
        ['https://192.168.0.10', /private address/],
        ['https://100.64.1.1', /private address/],
        ['https://[fd12:3456::1]', /private address/],
        ['https://127.0.0.1:8333', /loopback/],
        ['https://localhost:8333', /loopback/],
        ['https://[::1]:8333', /loopback/],
      ];
      for (const [endpointUrl, rule] of cases) {
        const body = expectError(await strict.call('POST', '/v1/integrations', validBody({ endpointUrl })), 400, 'validation_failed');
        expectDetail(body, 'endpointUrl', rule);
      }
    } finally {
      await strict.close();
    }
    // Local development (the default outside production): loopback over plain http is fine.
    const dev = await testApi(h, { env: { ALLOW_PLAIN_HTTP_ENDPOINTS: true, ALLOW_PRIVATE_ENDPOINTS: false }, deps: { localDev: true } });
    try {
      const res = await dev.call('POST', '/v1/integrations', validBody({ appId: randomUUID(), folder: 'dev-loopback' }));
      expect(res.statusCode, res.body).toBe(201);
      created.push(res.json().id);
    } finally {
      await dev.close();
    }
  });

  it('rejects oversized bodies (413), malformed JSON without echoing it, and non-JSON bodies (415)', async () => {
    const big = expectError(await api.call('POST', '/v1/integrations', validBody({ folder: 'x'.repeat(70_000) })), 413, 'payload_too_large');
    expect(big.details).toEqual([{ field: 'body', rule: expect.any(String) }]);
    const secretish = 'SUPERSECRET-in-a-broken-body';
    const bad = expectError(await api.call('POST', '/v1/integrations', undefined, { rawBody: `{"secretAccessKey": "${secretish}", ` }), 400, 'bad_request');
    expect(bad.message).toBe('body is not valid JSON');
    expect(JSON.stringify(bad)).not.toContain(secretish);
    expectError(
      await api.call('POST', '/v1/integrations', undefined, { rawBody: 'appId=1', headers: { 'content-type': 'text/plain' } }),
      415,
      'unsupported_media_type',
    );
    for (const line of api.logs) expect(line).not.toContain(secretish);
  });

  it('stored nothing for any of the rejected requests', async () => {
    expect(await rowsForRejectedApp()).toBe(0);
  });
});

describe('changing an integration with bad input', () => {
  it('rejects unknown fields, empty patches and bad values, and changes nothing', async () => {
    const i = await createIntegration();
    expectDetail(expectError(await api.call('PATCH', `/v1/integrations/${i.id}`, { nope: true }), 400, 'validation_failed'), 'nope', /not a known field/);
    expectError(await api.call('PATCH', `/v1/integrations/${i.id}`, {}), 400, 'validation_failed');
    expectDetail(expectError(await api.call('PATCH', `/v1/integrations/${i.id}`, { bucket: 'Bad_Bucket' }), 400, 'validation_failed'), 'bucket', /lowercase/);
    expectDetail(
      expectError(await api.call('PATCH', `/v1/integrations/${i.id}`, { endpointUrl: 'http://169.254.169.254' }), 400, 'validation_failed'),
      'endpointUrl',
      /metadata/,
    );
    expectDetail(
      expectError(await api.call('PATCH', `/v1/integrations/${i.id}`, { enabled: false, settings: { eventTypes: ['nope'] } }), 400, 'validation_failed'),
      'settings.eventTypes',
      /unknown event type/,
    );
    const after = (await api.call('GET', `/v1/integrations/${i.id}`)).json();
    expect(after).toMatchObject({ bucket: i.bucket, endpointUrl: i.endpointUrl, enabled: true, updatedAt: i.updatedAt, schedule: { paused: false } });
  });
});

describe('starting a backfill with bad input (400, nothing started)', () => {
  const today = utcDayOf(new Date());
  it.each([
    ['an unknown field', { from: '2026-05-01', to: '2026-05-02', force: true }, 'force', /not a known field/],
    ['a missing from', { to: '2026-05-02' }, 'from', /is required/],
    ['a missing to', { from: '2026-05-02' }, 'to', /is required/],
    ['a day that does not exist', { from: '2026-02-30', to: '2026-03-02' }, 'from', /real calendar day/],
    ['a month that does not exist', { from: '2026-01-01', to: '2026-13-01' }, 'to', /real calendar day/],
    ['a non-date', { from: 'yesterday', to: '2026-03-02' }, 'from', /pattern/],
    ['from after to', { from: '2026-05-07', to: '2026-05-01' }, 'from', /on or before to/],
    ['to = today', { from: addDays(today, -3), to: today }, 'to', /before today/],
    ['to in the future', { from: addDays(today, -3), to: addDays(today, 5) }, 'to', /before today/],
    ['a range longer than the maximum', { from: '2023-01-01', to: '2025-01-02' }, 'to', /at most 731/],
    [
      'an unknown table',
      { from: '2026-05-01', to: '2026-05-02', tables: ['ua_events', 'installs'] },
      'tables[1]',
      /^must be one of ua_events, campaign_metrics$/,
    ],
    ['an empty table list', { from: '2026-05-01', to: '2026-05-02', tables: [] }, 'tables', /./],
    ['concurrency 0', { from: '2026-05-01', to: '2026-05-02', concurrency: 0 }, 'concurrency', /./],
    ['concurrency above the maximum', { from: '2026-05-01', to: '2026-05-02', concurrency: 17 }, 'concurrency', /1 to 16/],
    ['concurrency as a string', { from: '2026-05-01', to: '2026-05-02', concurrency: '4' }, 'concurrency', /integer/],
  ])('rejects %s', async (_name, body, field, rule) => {
    const i = await backfillTarget();
    const res = await api.call('POST', `/v1/integrations/${i.id}/backfills`, body);
    expectDetail(expectError(res, 400, 'validation_failed'), field, rule);
  });

  it('started no backfill for any of them', async () => {
    const i = await backfillTarget();
    const list = await api.call('GET', `/v1/integrations/${i.id}/backfills`);
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json()).toEqual({ backfills: [] });
    const found: string[] = [];
    for await (const wf of h.testEnv.client.workflow.list({ query: `UaIntegrationId = '${i.id}'` })) found.push(wf.workflowId);
    expect(found).toEqual([]);
  });

  it('refuses a disabled integration (409) and reading with a bad query (400)', async () => {
    const i = await createIntegration({ enabled: false });
    expectError(await api.call('POST', `/v1/integrations/${i.id}/backfills`, { from: '2026-05-01', to: '2026-05-02' }), 409, 'conflict');
    expectError(await api.call('POST', `/v1/integrations/${i.id}/schedule/resume`, { note: 'x' }), 409, 'conflict');
    expectError(await api.call('POST', `/v1/integrations/${i.id}/schedule/trigger`), 409, 'conflict');
    expectError(await api.call('GET', `/v1/integrations/${i.id}/backfills?limit=0`), 400, 'validation_failed');
    expectError(await api.call('GET', `/v1/integrations/${i.id}/backfills?limit=10&x=1`), 400, 'validation_failed');
    expectDetail(
      expectError(await api.call('POST', `/v1/integrations/${i.id}/schedule/pause`, { note: 'x', extra: 1 }), 400, 'validation_failed'),
      'extra',
      /not a known field/,
    );
    expectError(await api.call('POST', `/v1/integrations/${i.id}/schedule/trigger`, { day: '2026-05-01' }), 400, 'validation_failed');
  });
});

let target: { id: string } | null = null;
async function backfillTarget(): Promise<{ id: string }> {
  target ??= await createIntegration();
  return target!;
}

describe('reading the ledger with bad input', () => {
  it.each([
    ['from=2026-02-30&to=2026-03-01', 'from', /real calendar day/],
    ['from=2026-03-05&to=2026-03-01', 'from', /on or before/],
    ['from=2020-01-01&to=2026-01-01', 'to', /at most 731/],
    ['from=2026-03-01&to=2026-03-02&tables=x', 'tables', /not a known field/],
    ['from=2026-03-01&table=installs', 'table', /./],
  ])('rejects ?%s', async (qs, field, rule) => {
    const i = await backfillTarget();
    expectDetail(expectError(await api.call('GET', `/v1/integrations/${i.id}/exports?${qs}`), 400, 'validation_failed'), field, rule);
  });

  it('defaults to the 30 days up to yesterday, all missing for a new integration', async () => {
    const i = await backfillTarget();
    const res = await api.call('GET', `/v1/integrations/${i.id}/exports`);
    expect(res.statusCode, res.body).toBe(200);
    const yesterday = addDays(utcDayOf(new Date()), -1);
    expect(res.json()).toMatchObject({ from: addDays(yesterday, -29), to: yesterday, summary: { missing: 60, succeeded: 0 } });
  });
});

describe('unknown ids (404)', () => {
  it('answers 404 on every route for an integration that does not exist, or an id that is not one', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', '1']) {
      const routes: [string, string, unknown?][] = [
        ['GET', `/v1/integrations/${id}`],
        ['PATCH', `/v1/integrations/${id}`, { enabled: false }],
        ['DELETE', `/v1/integrations/${id}`],
        ['POST', `/v1/integrations/${id}/test-connection`],
        ['POST', `/v1/integrations/${id}/backfills`, { from: '2026-05-01', to: '2026-05-02' }],
        ['GET', `/v1/integrations/${id}/backfills`],
        ['GET', `/v1/integrations/${id}/backfills/ua-backfill-${id}-2026-05-01-2026-05-02-all`],
        ['DELETE', `/v1/integrations/${id}/backfills/ua-backfill-${id}-2026-05-01-2026-05-02-all`],
        ['GET', `/v1/integrations/${id}/schedule`],
        ['POST', `/v1/integrations/${id}/schedule/pause`, { note: 'x' }],
        ['POST', `/v1/integrations/${id}/schedule/resume`],
        ['POST', `/v1/integrations/${id}/schedule/trigger`],
        ['GET', `/v1/integrations/${id}/exports`],
      ];
      for (const [method, url, body] of routes) expectError(await api.call(method, url, body), 404, 'not_found');
    }
    expectError(await api.call('GET', '/v1/nothing-here'), 404, 'not_found');
  });

  it('answers 404 for a backfill id that does not exist, or belongs to another integration', async () => {
    const i = await backfillTarget();
    const other = randomUUID();
    for (const backfillId of [`ua-backfill-${i.id}-2026-05-01-2026-05-02-all`, `ua-backfill-${other}-2026-05-01-2026-05-02-all`, 'whatever']) {
      expectError(await api.call('GET', `/v1/integrations/${i.id}/backfills/${backfillId}`), 404, 'not_found');
      expectError(await api.call('DELETE', `/v1/integrations/${i.id}/backfills/${backfillId}`), 404, 'not_found');
    }
  });
});

describe('Temporal unreachable (503)', () => {
  it('answers 503 temporal_unavailable within a few seconds, with nothing stored or half-done', async () => {
    const existing = await createIntegration();
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1 second' });
    const dead = await testApi(h, { deps: { client: new Client({ connection, namespace: h.env.TEMPORAL_NAMESPACE }), temporalTimeoutMs: 1_000 } });
    try {
      const started = Date.now();
      const res = await dead.call('POST', '/v1/integrations', validBody());
      const body = expectError(res, 503, 'temporal_unavailable');
      expect(body.message).toMatch(/Temporal could not be reached/);
      expect(Date.now() - started).toBeLessThan(6_000);
      expect(await rowsForRejectedApp()).toBe(0);

      expectError(await dead.call('GET', `/v1/integrations/${existing.id}/schedule`), 503, 'temporal_unavailable');
      expectError(await dead.call('POST', `/v1/integrations/${existing.id}/schedule/pause`, { note: 'x' }), 503, 'temporal_unavailable');
      expectError(await dead.call('POST', `/v1/integrations/${existing.id}/backfills`, { from: '2026-05-01', to: '2026-05-02' }), 503, 'temporal_unavailable');
      expectError(await dead.call('GET', `/v1/integrations/${existing.id}/backfills`), 503, 'temporal_unavailable');

      // A PATCH is all or nothing: the row keeps its old values when the schedule cannot follow.
      expectError(await dead.call('PATCH', `/v1/integrations/${existing.id}`, { enabled: false }), 503, 'temporal_unavailable');
      expect((await api.call('GET', `/v1/integrations/${existing.id}`)).json()).toMatchObject({ enabled: true, updatedAt: existing.updatedAt });
      // DELETE changes nothing either.
      expectError(await dead.call('DELETE', `/v1/integrations/${existing.id}`), 503, 'temporal_unavailable');
      expect((await api.call('GET', `/v1/integrations/${existing.id}`)).statusCode).toBe(200);

      // What does not need Temporal still works, with the schedule state left out.
      const read = await dead.call('GET', `/v1/integrations/${existing.id}`);
      expect(read.statusCode).toBe(200);
      expect(read.json().schedule).toBeNull();
      const ready = await dead.call('GET', '/readyz', undefined, { token: null });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'not_ready', checks: { postgres: { ok: true }, temporal: { ok: false } } });
      expect((await dead.call('GET', '/healthz', undefined, { token: null })).statusCode).toBe(200);
      for (const r of dead.responses) expect(r).not.toMatch(/\n\s+at /);
    } finally {
      await dead.close();
      await connection.close().catch(() => undefined);
    }
    expect((await h.testEnv.client.schedule.getHandle(scheduleId(existing.id)).describe()).state.paused).toBe(false);
  });
});
