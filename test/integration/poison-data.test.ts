import { createHash, randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDayWorkflow } from '../../workflows/index.js';
import { insertEvents, insertMetrics, makeEvent, metricsForDay, rng, type EventRow, type MetricRow } from '../../src/dev/generate.js';
import { exportTableDay } from '../../src/export/export-table-day.js';
import { objectKeys } from '../../src/export/keys.js';
import { refusedRow } from '../../src/export/query.js';
import { DEFAULT_SETTINGS } from '../../src/export/settings.js';
import type { TableName } from '../../src/export/tables.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import type { Integration } from '../../src/integrations/repo.js';
import { expectedEventRecords, expectedEventsCsv, expectedMetricRecords, expectedMetricsCsv, type Records } from '../helpers/expected-csv.js';
import { failureOf, setupHarness, type Harness } from '../helpers/harness.js';

/**
 * Scenario 9 of issue 9, poison data: extreme values the source columns allow are exported exactly,
 * or the row is refused with a message naming its id and column. Never skipped, never mangled.
 */

let h: Harness;

beforeAll(async () => {
  h = await setupHarness('poison');
  await h.startWorker();
});
afterAll(async () => {
  await h?.close();
});

const DAY = '2026-03-01';

function keysOf(integration: Integration, table: TableName) {
  return objectKeys(integration.bucket, integration.folder, table, DAY);
}

async function runExport(integration: Integration, tables: TableName[]) {
  return h.testEnv.client.workflow.execute(exportDayWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: exportWorkflowId(integration.id, DAY),
    args: [{ integrationId: integration.id, day: DAY, kind: 'manual', tables }],
  });
}

function event(appId: string, createdAt: string, overrides: Partial<EventRow> = {}): EventRow {
  return { ...makeEvent(rng(7), appId, DAY, 0), created_at: createdAt, profile_id: randomUUID(), ...overrides };
}

/** Reads the file back with a strict RFC 4180 parser: an unquoted empty field is NULL, a quoted one "". */
function parseCsv(csv: string): Records {
  return parse(csv, {
    // Every record must have the header's field count, quotes must be balanced and only around whole fields.
    relax_column_count: false,
    relax_quotes: false,
    record_delimiter: '\n',
    cast: (value, context) => (value === '' && !context.quoting ? null : value),
  });
}

/** What landed for one table: exactly the expected bytes, parsing back to the expected values, vouched for by its manifest. */
async function expectDelivered(integration: Integration, table: TableName, expectedCsv: string, expectedRecords: Records) {
  const csv = await h.getText(keysOf(integration, table).dataKey);
  expect(csv === expectedCsv, `${table} file differs from the expected bytes`).toBe(true);
  expect(parseCsv(csv)).toEqual(expectedRecords);
  const manifest = JSON.parse(await h.getText(keysOf(integration, table).manifestKey));
  expect(manifest).toMatchObject({
    rows: expectedRecords.length - 1,
    bytes: Buffer.byteLength(csv),
    sha256: createHash('sha256').update(csv).digest('hex'),
  });
  expect(await h.openUploads(integration.folder)).toEqual([]);
  return csv;
}

// Every character Postgres text can hold below U+0020, plus DEL. U+0000 is not among them: Postgres
// text cannot store NUL at all, and a lone surrogate cannot be stored either (it has no UTF-8 form).
const CONTROLS = [...Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)), '\u007f'].join('');
const AWKWARD = `${CONTROLS} "quoted", comma, back\\slash \\N \\. \r\n CRLF 🚀👩‍👩‍👧 𝄞 ﷽ \u2028\u2029 end`;

/** About 1 MiB of JSON text with every kind of value and escapes on every line. */
function bigJson(seed: number): Record<string, unknown> {
  const r = rng(seed);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < 4_000; i++) {
    out[`key_${i}_${Math.floor(r() * 1e6)}`] = {
      s: `${AWKWARD} ${i}`,
      n: Math.floor(r() * 1e9),
      f: 0.5,
      b: r() < 0.5,
      z: null,
      a: [i, `x,y "${i}"`, { deep: '🎉' }],
    };
  }
  return out;
}

describe('extreme values exported exactly', () => {
  it('writes a 1 MB JSON value, every control character, non-BMP text, empty vs NULL and IPv6 exactly, and reads back to the same values', async () => {
    const integration = await h.integration({ settings: { sendUserAttributes: true, includeEventsWithoutProfile: true } });
    const app = integration.appId;
    const custom = bigJson(1);
    const attributes = bigJson(2);
    const rows = [
      event(app, '2026-03-01T01:00:00.000001Z', {
        custom_parameters: custom,
        user_attributes: attributes,
        campaign_name: 'one megabyte of JSON',
      }),
      event(app, '2026-03-01T01:00:00.000002Z', {
        campaign_name: AWKWARD,
        adset_name: CONTROLS,
        ad_name: '"',
        attribution_campaign: ',',
        attribution_ad_group: '\\',
        attribution_ad_set: '\r',
        attribution_creative: '\n',
        user_agent: ' leading and trailing spaces ',
        device: '😀',
        custom_parameters: { controls: CONTROLS, text: AWKWARD, 'ключ 🔑': 'значение' },
        user_attributes: null,
        ip_address: '2001:0DB8:0000:0000:0000:0000:0000:0001/64',
      }),
      event(app, '2026-03-01T01:00:00.000003Z', {
        profile_id: null,
        campaign_id: '',
        campaign_name: null,
        adset_id: '',
        adset_name: null,
        custom_parameters: {},
        user_attributes: { empty: '', nothing: null },
        ip_address: '::ffff:1.2.3.4',
      }),
      event(app, '2026-03-01T01:00:00.000004Z', { ip_address: '::' }),
      event(app, '2026-03-01T01:00:00.000005Z', { ip_address: 'fe80::abcd:0:0:1/10' }),
    ];
    expect(JSON.stringify(custom).length).toBeGreaterThan(1_000_000);
    await insertEvents(h.pool, rows);

    const result = await runExport(integration, ['ua_events']);

    const csv = await expectDelivered(
      integration,
      'ua_events',
      expectedEventsCsv(rows, { userAttributes: true }),
      expectedEventRecords(rows, { userAttributes: true }),
    );
    expect(result.files[0]).toMatchObject({ state: 'exported', rows: rows.length });
    const parsed = parseCsv(csv);
    const col = (name: string) => parsed[0]!.indexOf(name);
    // The JSON columns load back as the very objects that were inserted.
    expect(JSON.parse(parsed[1]![col('custom_parameters')]!)).toEqual(custom);
    expect(JSON.parse(parsed[1]![col('user_attributes')]!)).toEqual(attributes);
    expect(JSON.parse(parsed[2]![col('custom_parameters')]!)).toEqual({ controls: CONTROLS, text: AWKWARD, 'ключ 🔑': 'значение' });
    expect(parsed[2]![col('campaign_name')]).toBe(AWKWARD);
    expect(parsed[2]![col('ip_address')]).toBe('2001:db8::1');
    expect(parsed[3]![col('campaign_id')]).toBe('');
    expect(parsed[3]![col('campaign_name')]).toBeNull();
    expect(parsed[3]![col('profile_id')]).toBeNull();
    expect(parsed[3]![col('ip_address')]).toBe('::ffff:1.2.3.4');
  });

  it('writes the largest numbers the columns allow and the first and last datetimes of years 0001-9999 exactly', async () => {
    const integration = await h.integration({ settings: { excludeHistoricalEvents: false } });
    const app = integration.appId;
    // numeric without a declared precision: up to 131072 digits before the point and 16383 after.
    const maxNumeric = `${'9'.repeat(131_072)}.${'9'.repeat(16_383)}`;
    const tinyNumeric = `0.${'0'.repeat(16_382)}1`;
    const events = [
      event(app, '2026-03-01T00:00:00.000000Z', {
        event_datetime: '0001-01-01T00:00:00.000000Z',
        click_datetime: '0001-01-01T00:00:00.000001Z',
        install_datetime: '9999-12-31T23:59:59.999999Z',
        conversion_datetime: '9999-12-31T23:59:59.999998Z',
        conversion_value_usd: maxNumeric,
        conversion_value_local: `-${maxNumeric}`,
      }),
      event(app, '2026-03-01T23:59:59.999999Z', {
        event_datetime: '9999-12-31T23:59:59.999999Z',
        conversion_value_usd: tinyNumeric,
        conversion_value_local: `-${tinyNumeric}`,
      }),
    ];
    const [base] = metricsForDay(app, DAY, 1, 3);
    const metrics: MetricRow[] = [
      {
        ...base!,
        impressions: '9223372036854775807',
        clicks: '-9223372036854775808',
        installs: '0',
        conversions: '9007199254740993',
        spend_usd: maxNumeric,
        spend_local: `-${maxNumeric}`,
        cpi_usd: tinyNumeric,
        cpc_usd: '0',
        cpm_usd: '0.000000',
        ctr: '1.000000000000000000000000000000000000001',
      },
    ];
    await insertEvents(h.pool, events);
    await insertMetrics(h.pool, metrics);

    await runExport(integration, ['ua_events', 'campaign_metrics']);

    const eventsCsv = await expectDelivered(integration, 'ua_events', expectedEventsCsv(events), expectedEventRecords(events));
    const metricsCsv = await expectDelivered(integration, 'campaign_metrics', expectedMetricsCsv(metrics), expectedMetricRecords(metrics));
    expect(eventsCsv).toContain(',0001-01-01T00:00:00.000000Z,');
    expect(eventsCsv).toContain(',9999-12-31T23:59:59.999999Z,');
    expect(metricsCsv).toContain(',9223372036854775807,-9223372036854775808,0,9007199254740993,');
  });
});

/** Inserts `poison` after a clean row and returns the poison row's id. */
async function insertPoison(app: string, poison: Partial<EventRow>): Promise<string> {
  const marker = `poison-${randomUUID()}`;
  await insertEvents(h.pool, [event(app, '2026-03-01T01:00:00Z'), event(app, '2026-03-01T02:00:00Z', { campaign_name: marker, ...poison })]);
  const { rows } = await h.pool.query<{ id: string }>('SELECT id::text FROM ua_events WHERE app_id = $1 AND campaign_name = $2', [app, marker]);
  return rows[0]!.id;
}

/** Streams the table-day through the real query and pipeline, collecting parts in memory; resolves to the error it rejected with. */
async function streamFailure(table: TableName, appId: string): Promise<unknown> {
  const parts: Buffer[] = [];
  const run = exportTableDay({
    pool: h.pool,
    table,
    day: DAY,
    integration: { appId, settings: { ...DEFAULT_SETTINGS, includeEventsWithoutProfile: true }, historicalCutoff: '2000-01-01T00:00:00Z' },
    partSize: 5 * 1024 * 1024,
    maxInFlight: 1,
    resume: null,
    uploadPart: (_n, body) => {
      parts.push(Buffer.from(body));
      return Promise.resolve(`"etag-${parts.length}"`);
    },
    onCheckpoint: () => undefined,
  });
  const err = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'the export must refuse the row, not write it').not.toBeNull();
  expect(parts).toEqual([]);
  return err;
}

describe('values the CSV form cannot write are refused, naming the row and column', () => {
  const CASES: [string, Partial<EventRow>, string, string][] = [
    [
      'a BC timestamp (to_char would print it as the same AD year)',
      { event_datetime: '4713-01-01 00:00:00 BC' },
      'event_datetime',
      '4713-01-01 00:00:00+00 BC',
    ],
    ['the last microsecond of 1 BC', { click_datetime: '0001-12-31 23:59:59.999999 BC' }, 'click_datetime', '0001-12-31 23:59:59.999999+00 BC'],
    ['the latest timestamp Postgres allows', { install_datetime: '294276-12-31 23:59:59.999999+00' }, 'install_datetime', '294276-12-31 23:59:59.999999+00'],
    ['the first instant of year 10000', { conversion_datetime: '10000-01-01 00:00:00+00' }, 'conversion_datetime', '10000-01-01 00:00:00+00'],
    ['infinity (to_char would print NULL)', { conversion_datetime: 'infinity' }, 'conversion_datetime', 'infinity'],
    ['-infinity in a NOT NULL column', { event_datetime: '-infinity' }, 'event_datetime', '-infinity'],
    ['numeric NaN', { conversion_value_usd: 'NaN' }, 'conversion_value_usd', 'NaN'],
    ['numeric Infinity', { conversion_value_local: 'Infinity' }, 'conversion_value_local', 'Infinity'],
    ['numeric -Infinity', { conversion_value_usd: '-Infinity' }, 'conversion_value_usd', '-Infinity'],
  ];

  it.each(CASES)('refuses %s', async (_what, poison, column, shown) => {
    const integration = await h.integration();
    const id = await insertPoison(integration.appId, poison);
    const message = refusedRow(await streamFailure('ua_events', integration.appId));
    expect(message).toBe(
      `ua-export refused ua_events row id=${id}: column ${column} holds ${shown}, ${column.endsWith('_datetime') ? 'outside the years 0001-9999 that the CSV datetime form YYYY-MM-DDTHH:MM:SS.ffffffZ can write' : 'not a finite number, so it has no plain decimal form'}`,
    );
  });

  it('refuses a campaign_metrics row with a NaN, naming its key', async () => {
    const integration = await h.integration();
    const [row] = metricsForDay(integration.appId, DAY, 1, 3);
    await insertMetrics(h.pool, [{ ...row!, platform: 'ios', campaign_id: 'c,1', adset_id: 'a"1', ad_id: '', ltv_usd: 'NaN' }]);
    const message = refusedRow(await streamFailure('campaign_metrics', integration.appId));
    expect(message).toBe(
      'ua-export refused campaign_metrics row platform=ios, campaign_id=c,1, adset_id=a"1, ad_id=: column ltv_usd holds NaN, not a finite number, so it has no plain decimal form',
    );
  });

  it('through the real workflow: the table fails at once, non-retryably, naming the row and column; the other table is still delivered; nothing half-written is left', async () => {
    const integration = await h.integration();
    const id = await insertPoison(integration.appId, { event_datetime: '294276-12-31 23:59:59.999999+00' });
    const handle = await h.testEnv.client.workflow.start(exportDayWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: exportWorkflowId(integration.id, DAY),
      args: [{ integrationId: integration.id, day: DAY, kind: 'manual' }],
    });
    const err = await failureOf(handle.result());
    const refusal = `ua-export refused ua_events row id=${id}: column event_datetime holds 294276-12-31 23:59:59.999999+00`;
    expect(err.cause).toMatchObject({ type: 'ExportFailed' });
    expect(String(err.cause?.message)).toContain(refusal);

    // One attempt: a refusal is not retried. A file that fits one part is read by exportSmallFile,
    // a bigger one by uploadParts: either way one reading activity per table.
    const history = await handle.fetchHistory();
    const readers = ['uploadParts', 'exportSmallFile'];
    const uploadAttempts = (history.events ?? []).filter(
      (e) => readers.includes(e.activityTaskScheduledEventAttributes?.activityType?.name ?? '') && e.activityTaskScheduledEventAttributes?.input,
    );
    const started = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    expect(uploadAttempts).toHaveLength(2); // one per table
    expect(started.every((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) === 1)).toBe(true);

    const events = keysOf(integration, 'ua_events');
    const metrics = keysOf(integration, 'campaign_metrics');
    const keys = await h.listKeys(integration.folder);
    expect(keys).not.toContain(events.dataKey);
    expect(keys).not.toContain(events.manifestKey);
    expect(keys).toEqual(expect.arrayContaining([metrics.dataKey, metrics.manifestKey]));
    expect(await h.openUploads(integration.folder)).toEqual([]);

    const { rows } = await h.pool.query<{ table_name: string; status: string; error: string | null }>(
      'SELECT table_name, status, error FROM export_runs WHERE integration_id = $1 AND day = $2 ORDER BY table_name',
      [integration.id, DAY],
    );
    expect(rows.map((r) => [r.table_name, r.status])).toEqual([
      ['campaign_metrics', 'succeeded'],
      ['ua_events', 'failed'],
    ]);
    expect(rows[1]!.error).toContain(refusal);
  });
});
