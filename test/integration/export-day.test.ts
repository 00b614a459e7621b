import { createHash, randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportDayWorkflow } from '../../workflows/index.js';
import { GzipMembers } from '../../src/export/formats/gzip-members.js';
import { eventsForDay, insertEvents, insertMetrics, makeEvent, metricsForDay, microsInstant, rng, type EventRow } from '../../src/dev/generate.js';
import { objectKeys } from '../../src/export/keys.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import { getIntegration, type Integration } from '../../src/integrations/repo.js';
import type { ExportSettings } from '../../src/export/settings.js';
import type { TableName } from '../../src/export/tables.js';
import { expectedEventsCsv, expectedMetricsCsv, EVENT_COLUMNS } from '../helpers/expected-csv.js';
import { failureOf, historyText, localActivityMarkers, setupHarness, type Harness, type RunningWorker } from '../helpers/harness.js';

let h: Harness;
let worker: RunningWorker;

beforeAll(async () => {
  h = await setupHarness('export');
  worker = await h.startWorker();
});
afterAll(async () => {
  await h?.close();
});

const DAY = '2026-03-01';

async function runExport(integration: Integration, day = DAY, tables?: TableName[]) {
  return h.testEnv.client.workflow.execute(exportDayWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: exportWorkflowId(integration.id, day),
    args: [{ integrationId: integration.id, day, kind: 'manual', ...(tables ? { tables } : {}) }],
  });
}

/** Runs `fn` with the task queue served by a worker cutting parts of `partSize` bytes instead of the default one. */
async function withPartSize<T>(partSize: number, fn: () => Promise<T>): Promise<T> {
  await worker.stop();
  const sized = await h.startWorker({ partSize });
  try {
    return await fn();
  } finally {
    await sized.stop();
    worker = await h.startWorker();
  }
}

function keysOf(integration: Integration, table: TableName, day = DAY) {
  return objectKeys(integration.bucket, integration.folder, table, day);
}

async function exportedCsv(integration: Integration, table: TableName = 'ua_events', day = DAY) {
  return h.getText(keysOf(integration, table, day).dataKey);
}

function event(appId: string, createdAt: string, overrides: Partial<EventRow> = {}, seed = 7): EventRow {
  const r = rng(seed);
  return { ...makeEvent(r, appId, DAY, 0), created_at: createdAt, profile_id: randomUUID(), ...overrides };
}

describe('exporting one day', () => {
  it('writes the exact expected bytes for both tables, then a manifest that vouches for them', async () => {
    const integration = await h.integration();
    const events = [...eventsForDay(integration.appId, DAY, 300, 11)].map((e) => ({ ...e, profile_id: e.profile_id ?? randomUUID() }));
    const metrics = metricsForDay(integration.appId, DAY, 5, 3);
    await insertEvents(h.pool, events);
    await insertMetrics(h.pool, metrics);

    const result = await runExport(integration);

    const csv = await exportedCsv(integration);
    expect(csv).toBe(expectedEventsCsv(events));
    const metricsCsv = await exportedCsv(integration, 'campaign_metrics');
    expect(metricsCsv).toBe(expectedMetricsCsv(metrics));
    expect(csv.charCodeAt(0)).not.toBe(0xfeff);
    expect(csv).not.toContain('\r\n');

    const manifest = JSON.parse(await h.getText(keysOf(integration, 'ua_events').manifestKey));
    expect(manifest).toMatchObject({
      schemaVersion: 1,
      table: 'ua_events',
      day: DAY,
      window: { start: '2026-03-01T00:00:00.000000Z', end: '2026-03-02T00:00:00.000000Z' },
      key: keysOf(integration, 'ua_events').dataKey,
      rows: 300,
      bytes: Buffer.byteLength(csv),
      sha256: createHash('sha256').update(csv).digest('hex'),
      columns: EVENT_COLUMNS,
      workflowId: exportWorkflowId(integration.id, DAY),
    });
    expect(Date.parse(manifest.exportedAt)).not.toBeNaN();
    const metricsManifest = JSON.parse(await h.getText(keysOf(integration, 'campaign_metrics').manifestKey));
    expect(metricsManifest).toMatchObject({ table: 'campaign_metrics', rows: metrics.length, sha256: createHash('sha256').update(metricsCsv).digest('hex') });
    expect(result.files.map((f) => f.state)).toEqual(['exported', 'exported']);

    const { rows } = await h.pool.query(
      `SELECT table_name, status, rows::int, bytes::int, sha256, object_key FROM export_runs WHERE integration_id = $1 ORDER BY table_name`,
      [integration.id],
    );
    expect(rows).toEqual([
      {
        table_name: 'campaign_metrics',
        status: 'succeeded',
        rows: metrics.length,
        bytes: Buffer.byteLength(metricsCsv),
        sha256: metricsManifest.sha256,
        object_key: keysOf(integration, 'campaign_metrics').dataKey,
      },
      {
        table_name: 'ua_events',
        status: 'succeeded',
        rows: 300,
        bytes: Buffer.byteLength(csv),
        sha256: manifest.sha256,
        object_key: keysOf(integration, 'ua_events').dataKey,
      },
    ]);
    expect((await getIntegration(h.pool, integration.id)).lastStatus).toBe('succeeded');
    expect(await h.openUploads(integration.folder)).toEqual([]);

    // JSON log lines name the integration, table, day and workflow; no credential appears in any.
    const exported = h.workerLogs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'file exported' && l.integrationId === integration.id);
    expect(exported.map((l) => [l.table, l.day, l.workflowId, l.rows]).sort()).toEqual([
      ['campaign_metrics', DAY, exportWorkflowId(integration.id, DAY), metrics.length],
      ['ua_events', DAY, exportWorkflowId(integration.id, DAY), 300],
    ]);
    expect(h.workerLogs.join('\n')).not.toContain(h.env.LOCAL_S3_SECRET_ACCESS_KEY);
  });

  it('includes the first and last microsecond of the day and excludes its neighbours', async () => {
    const integration = await h.integration();
    const app = integration.appId;
    const inside = [
      event(app, '2026-03-01T00:00:00.000000Z', { campaign_name: 'first instant' }),
      event(app, '2026-03-01T23:59:59.999999Z', { campaign_name: 'last microsecond' }),
    ];
    const outside = [
      event(app, '2026-02-28T23:59:59.999999Z', { campaign_name: 'previous day' }),
      event(app, '2026-03-02T00:00:00.000000Z', { campaign_name: 'next day first instant' }),
    ];
    await insertEvents(h.pool, [...outside, ...inside]);
    await runExport(integration, DAY, ['ua_events']);
    expect(await exportedCsv(integration)).toBe(expectedEventsCsv(inside));
  });

  it('exports every row exactly once when thousands share a created_at or differ only in microseconds, across many parts', async () => {
    const integration = await h.integration();
    const app = integration.appId;
    const r = rng(99);
    const rows: EventRow[] = [];
    // 12k rows on one instant, then 12k one microsecond apart: about 12 MiB, so three 5 MiB parts,
    // with part boundaries falling inside runs of equal created_at values.
    for (let i = 0; i < 12_000; i++)
      rows.push({ ...makeEvent(r, app, DAY, 0), created_at: '2026-03-01T12:00:00.000001Z', profile_id: randomUUID(), campaign_name: `same-instant-${i}` });
    for (let i = 0; i < 12_000; i++)
      rows.push({ ...makeEvent(r, app, DAY, 0), created_at: microsInstant(DAY, 50_000_000_000 + i), profile_id: randomUUID(), campaign_name: `micro-${i}` });
    await insertEvents(h.pool, rows);
    const result = await withPartSize(5 * 1024 * 1024, () => runExport(integration, DAY, ['ua_events']));
    const csv = await exportedCsv(integration);
    expect(result.files[0]!.parts).toBeGreaterThanOrEqual(3);
    expect(result.files[0]!.rows).toBe(24_000);
    expect(csv).toBe(expectedEventsCsv(rows));
  });

  it('writes a header-only file and its manifest for a day with no rows', async () => {
    const integration = await h.integration();
    await runExport(integration, '2026-01-15');
    expect(await exportedCsv(integration, 'ua_events', '2026-01-15')).toBe(`${EVENT_COLUMNS.join(',')}\n`);
    const manifest = JSON.parse(await h.getText(keysOf(integration, 'ua_events', '2026-01-15').manifestKey));
    expect(manifest.rows).toBe(0);
    expect((await exportedCsv(integration, 'campaign_metrics', '2026-01-15')).split('\n')).toHaveLength(2);
  });

  it('keeps two apps apart', async () => {
    const a = await h.integration();
    const b = await h.integration();
    const aRows = [event(a.appId, '2026-03-01T01:00:00.000000Z', { campaign_name: 'app A' })];
    const bRows = [event(b.appId, '2026-03-01T01:00:00.000000Z', { campaign_name: 'app B' }), event(b.appId, '2026-03-01T02:00:00.000000Z')];
    await insertEvents(h.pool, [...aRows, ...bRows]);
    await runExport(a, DAY, ['ua_events']);
    await runExport(b, DAY, ['ua_events']);
    expect(await exportedCsv(a)).toBe(expectedEventsCsv(aRows));
    expect(await exportedCsv(b)).toBe(expectedEventsCsv(bRows));
  });

  it('renders awkward values exactly: quotes, commas, newlines, unicode, empty vs NULL, JSON, numbers', async () => {
    const integration = await h.integration({ settings: { sendUserAttributes: true } });
    const rows = [
      event(integration.appId, '2026-03-01T05:00:00.123456Z', {
        campaign_name: 'He said "hi", then left',
        adset_name: 'line one\nline two\r\nline three',
        ad_name: 'Ünïcödé 🚀 кампания 広告',
        attribution_campaign: '',
        attribution_creative: null,
        event_type: 'SUBSCRIPTION_RENEWED',
        conversion_value_usd: '0.000001',
        conversion_value_local: '123456789012345.5',
        currency: 'JPY',
        custom_parameters: { z: 'last', a: 'quote " and \\ backslash', nested: { b: [1, 2, 'x,y'] }, emoji: '🎉' },
        user_attributes: { plan: 'annual', tags: ['a', 'b'] },
      }),
      event(integration.appId, '2026-03-01T05:00:00.123457Z', { user_attributes: null, conversion_value_usd: '10' }),
    ];
    await insertEvents(h.pool, rows);
    await runExport(integration, DAY, ['ua_events']);
    const csv = await exportedCsv(integration);
    expect(csv).toBe(expectedEventsCsv(rows, { userAttributes: true }));
    expect(csv).toContain('"He said ""hi"", then left"');
    expect(csv).toContain(',subscription_renewed,');
    expect(csv).toContain(',0.000001,123456789012345.5,JPY,');
  });

  it('produces an identical file when the same day is exported again', async () => {
    const integration = await h.integration();
    await insertEvents(h.pool, [...eventsForDay(integration.appId, DAY, 200, 5)]);
    await runExport(integration, DAY, ['ua_events']);
    const first = await h.getBytes(keysOf(integration, 'ua_events').dataKey);
    await runExport(integration, DAY, ['ua_events']);
    const second = await h.getBytes(keysOf(integration, 'ua_events').dataKey);
    expect(second.equals(first)).toBe(true);
    const { rows } = await h.pool.query(`SELECT count(*)::int AS n FROM export_runs WHERE integration_id = $1 AND status = 'succeeded'`, [integration.id]);
    expect(rows[0].n).toBe(2);
  });

  it('keeps to the bucket prefix and folder, with no doubled slashes', async () => {
    const integration = await h.integration({ bucket: `${h.bucket}/com.sample-app/`, folder: '/exports//ua/' });
    await runExport(integration, DAY, ['campaign_metrics']);
    expect(await h.listKeys('com.sample-app/')).toEqual([
      'com.sample-app/exports/ua/campaign_metrics/_schema.json',
      'com.sample-app/exports/ua/campaign_metrics/dt=2026-03-01/_manifest.json',
      'com.sample-app/exports/ua/campaign_metrics/dt=2026-03-01/campaign_metrics_2026-03-01.csv',
    ]);
  });
});

describe('integration settings', () => {
  async function exportWith(settings: Partial<ExportSettings>, rows: (app: string) => EventRow[], cutoff?: string) {
    const integration = await h.integration({ settings, ...(cutoff ? { historicalCutoff: cutoff } : {}) });
    const all = rows(integration.appId);
    await insertEvents(h.pool, all);
    await runExport(integration, DAY, ['ua_events']);
    return { csv: await exportedCsv(integration), all };
  }

  it('leaves out events without a profile unless asked to include them', async () => {
    const rows = (app: string) => [event(app, '2026-03-01T01:00:00Z', { profile_id: null }), event(app, '2026-03-01T02:00:00Z')];
    const off = await exportWith({ includeEventsWithoutProfile: false }, rows);
    expect(off.csv).toBe(expectedEventsCsv([off.all[1]!]));
    const on = await exportWith({ includeEventsWithoutProfile: true }, rows);
    expect(on.csv).toBe(expectedEventsCsv(on.all));
  });

  it('leaves out historical events (event_datetime before the cutoff) only when excludeHistoricalEvents is on', async () => {
    const rows = (app: string) => [
      event(app, '2026-03-01T01:00:00Z', { event_datetime: '2026-02-27T10:00:00.000000Z' }),
      event(app, '2026-03-01T02:00:00Z', { event_datetime: '2026-02-28T12:00:00.000000Z' }),
    ];
    const on = await exportWith({ excludeHistoricalEvents: true }, rows, '2026-02-28T00:00:00Z');
    expect(on.csv).toBe(expectedEventsCsv([on.all[1]!]));
    const off = await exportWith({ excludeHistoricalEvents: false }, rows, '2026-02-28T00:00:00Z');
    expect(off.csv).toBe(expectedEventsCsv(off.all));
  });

  it('adds user_attributes as the last column only when sendUserAttributes is on', async () => {
    const rows = (app: string) => [event(app, '2026-03-01T01:00:00Z', { user_attributes: { vip: true } })];
    const on = await exportWith({ sendUserAttributes: true }, rows);
    expect(on.csv.split('\n')[0]!.endsWith(',custom_parameters,user_attributes')).toBe(true);
    expect(on.csv).toBe(expectedEventsCsv(on.all, { userAttributes: true }));
    const off = await exportWith({ sendUserAttributes: false }, rows);
    expect(off.csv).toBe(expectedEventsCsv(off.all));
  });

  it('exports only the selected event types, matching case-insensitively', async () => {
    const rows = (app: string) => [
      event(app, '2026-03-01T01:00:00Z', { event_type: 'install' }),
      event(app, '2026-03-01T02:00:00Z', { event_type: 'Trial_Started' }),
      event(app, '2026-03-01T03:00:00Z', { event_type: 'subscription_renewed' }),
    ];
    const some = await exportWith({ eventTypes: ['trial_started', 'subscription_renewed'] }, rows);
    expect(some.csv).toBe(expectedEventsCsv(some.all.slice(1)));
  });
});

describe('failures', () => {
  it('fails fast on a wrong secret, with a message that says what to fix, no retry storm and no open upload', async () => {
    const integration = await h.integration({ secretAccessKey: 'definitely-not-the-secret' });
    await insertEvents(h.pool, [event(integration.appId, '2026-03-01T01:00:00Z')]);
    const started = Date.now();
    const err = await runExport(integration).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(Date.now() - started).toBeLessThan(30_000);
    const message = String((err as WorkflowFailedError).cause?.message);
    expect(message).toMatch(/secret access key does not match/i);

    const history = await h.testEnv.client.workflow.getHandle(exportWorkflowId(integration.id, DAY)).fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
    const failedAttempts = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes);
    // One failing attempt of the one-part export (its first write); the second table is skipped, not
    // retried against the same wrong key.
    expect(failedAttempts).toHaveLength(1);
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name)).toEqual(['exportSmallFile', 'abandonFile']);
    // The plan and the last status are local activities: markers, each recorded once.
    const markers = localActivityMarkers(history.events ?? [], /planExport|recordIntegrationStatus/);
    expect(markers).toEqual(['planExport', 'recordIntegrationStatus']);
    const after = await getIntegration(h.pool, integration.id);
    expect(after.lastStatus).toBe('failed');
    expect(after.lastError).toMatch(/secret access key does not match/i);
    expect(historyText(history)).not.toContain(h.env.LOCAL_S3_SECRET_ACCESS_KEY);
    expect(historyText(history)).toContain('secret access key does not match');
    expect(await h.listKeys(integration.folder)).toEqual([]);
  });

  it('fails fast on an unknown access key and on a missing bucket', async () => {
    const badKey = await h.integration({ accessKeyId: 'AKIAUNKNOWN000000000' });
    const e1 = await failureOf(runExport(badKey, DAY, ['ua_events']));
    expect(String(e1.cause?.message)).toMatch(/does not know access key id \*\*\*\*0000/);
    const noBucket = await h.integration({ bucket: `missing-${randomUUID().slice(0, 8)}` });
    const e2 = await failureOf(runExport(noBucket, DAY, ['ua_events']));
    expect(String(e2.cause?.message)).toMatch(/does not exist/);
  });

  it('reports access denied for credentials that may only read', async () => {
    const readOnly = await h.integration({ accessKeyId: h.env.LOCAL_S3_READONLY_ACCESS_KEY_ID, secretAccessKey: h.env.LOCAL_S3_READONLY_SECRET_ACCESS_KEY });
    const err = await failureOf(runExport(readOnly, DAY, ['ua_events']));
    expect(String(err.cause?.message)).toMatch(/access denied/i);
  });
});

describe('csv_gzip and the single-request probe', () => {
  const PART = 5 * 1024 * 1024;

  /** Events whose user_agent carries ~800 bytes of base64 hash: gzip shrinks them little. */
  function bulkyEvents(appId: string, count: number): EventRow[] {
    return [...eventsForDay(appId, DAY, count, 41)].map((row, i) => {
      let tail = '';
      for (let k = 0; tail.length < 800; k++) tail += createHash('sha512').update(`${i}/${k}`).digest('base64');
      return { ...row, user_agent: `${row.user_agent as string} ${tail}` };
    });
  }

  /** Exports the day with the encoder's input counted: the CSV bytes that went through gzip, all attempts together. */
  async function exportCounted(integration: Integration) {
    const spy = vi.spyOn(GzipMembers.prototype, 'data');
    try {
      const result = await withPartSize(PART, () => runExport(integration, DAY, ['ua_events']));
      const compressed = spy.mock.calls.reduce((n, [bytes, start = 0, end = bytes.length]) => n + (end - start), 0);
      const history = await h.testEnv.client.workflow.getHandle(exportWorkflowId(integration.id, DAY)).fetchHistory();
      const activities = (history.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
      const keys = objectKeys(integration.bucket, integration.folder, 'ua_events', DAY, 'csv_gzip');
      return { result, compressed, activities, stored: await h.getBytes(keys.dataKey), manifest: JSON.parse(await h.getText(keys.manifestKey)) };
    } finally {
      spy.mockRestore();
    }
  }

  it('compresses a day larger than one part once: the probe hands it to the multipart path before compressing any of it', { timeout: 180_000 }, async () => {
    const appId = randomUUID();
    const integration = await h.integration({ appId, settings: { includeEventsWithoutProfile: true }, output: { format: 'csv_gzip', compression: null } });
    const rows = bulkyEvents(appId, 15_000);
    await insertEvents(h.pool, rows);
    const expected = Buffer.from(expectedEventsCsv(rows));
    const { result, compressed, activities, stored, manifest } = await exportCounted(integration);
    expect(activities).toContain('exportSmallFile');
    expect(activities).toContain('uploadParts');
    expect(result.files[0]!.parts).toBeGreaterThanOrEqual(2);
    expect(gunzipSync(stored).equals(expected)).toBe(true);
    expect(manifest.uncompressedBytes).toBe(expected.length);
    // Every CSV byte went through the compressor exactly once: the probe compressed none of them.
    expect(compressed).toBe(expected.length);
  });

  it('keeps one request for a day several parts of CSV long whose gzip fits one part, compressed once', { timeout: 120_000 }, async () => {
    const appId = randomUUID();
    const integration = await h.integration({ appId, settings: { includeEventsWithoutProfile: true }, output: { format: 'csv_gzip', compression: null } });
    const rows = [...eventsForDay(appId, DAY, 12_000, 43)];
    await insertEvents(h.pool, rows);
    const expected = Buffer.from(expectedEventsCsv(rows));
    // More CSV than one part holds, so the probe gathers it into more than one buffer.
    expect(expected.length).toBeGreaterThan(PART);
    const { result, compressed, activities, stored, manifest } = await exportCounted(integration);
    expect(activities).toContain('exportSmallFile');
    expect(activities).not.toContain('uploadParts');
    expect(result.files[0]!.parts).toBe(1);
    expect(stored.length).toBeLessThan(PART);
    expect(gunzipSync(stored).equals(expected)).toBe(true);
    expect(manifest).toMatchObject({ parts: 1, uncompressedBytes: expected.length, bytes: stored.length });
    expect(compressed).toBe(expected.length);
  });
});
