import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { TSchema } from '@fastify/type-provider-typebox';
import { describe, expect, it } from 'vitest';
import { StartBackfillBody } from '../../src/api/schemas/backfills.js';
import { TableName } from '../../src/api/schemas/common.js';
import { eventKey as assemblerEventKey, ordinalKey as assemblerOrdinalKey } from '../../src/export/part-assembler.js';
import { buildSelect, keyColumnCount, type QueryInput } from '../../src/export/query.js';
import {
  columnNames,
  columnsOf,
  columnSpecs,
  eventKey,
  isTableName,
  ordinalKey,
  TABLE_SPECS,
  TABLES,
  tableSpec,
  windowColumn,
  type ColumnType,
  type Render,
} from '../../src/export/tables.js';

const APP = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

const input = (table: QueryInput['table'], over: Partial<QueryInput> = {}): QueryInput => ({
  table,
  appId: APP,
  day: '2026-11-28',
  settings: { excludeHistoricalEvents: false, includeEventsWithoutProfile: true, sendUserAttributes: false, eventTypes: null },
  historicalCutoff: '2026-11-01T00:00:00Z',
  after: null,
  ...over,
});

/**
 * The CSV contract as shipped with SCHEMA_VERSION 1: names, order and rendering. A change here changes
 * customers' files (and needs a SCHEMA_VERSION bump), so the spec is pinned to this copy.
 */
const CONTRACT: Record<(typeof TABLES)[number], [string, Render][]> = {
  ua_events: [
    ['profile_id', 'uuid'],
    ['event_type', 'lower'],
    ['event_datetime', 'timestamp'],
    ['campaign_id', 'text'],
    ['campaign_name', 'text'],
    ['adset_id', 'text'],
    ['adset_name', 'text'],
    ['ad_id', 'text'],
    ['ad_name', 'text'],
    ['platform', 'text'],
    ['attribution_source', 'text'],
    ['attribution_network_user_id', 'text'],
    ['attribution_status', 'text'],
    ['attribution_channel', 'text'],
    ['attribution_campaign', 'text'],
    ['attribution_ad_group', 'text'],
    ['attribution_ad_set', 'text'],
    ['attribution_creative', 'text'],
    ['click_datetime', 'timestamp'],
    ['install_datetime', 'timestamp'],
    ['conversion_datetime', 'timestamp'],
    ['conversion_type', 'text'],
    ['conversion_value_usd', 'number'],
    ['conversion_value_local', 'number'],
    ['currency', 'text'],
    ['country', 'text'],
    ['device_type', 'text'],
    ['os_version', 'text'],
    ['app_version', 'text'],
    ['user_agent', 'text'],
    ['ip_address', 'inet'],
    ['idfa', 'text'],
    ['idfv', 'text'],
    ['advertising_id', 'text'],
    ['android_id', 'text'],
    ['android_app_set_id', 'text'],
    ['device', 'text'],
    ['custom_parameters', 'json'],
  ],
  campaign_metrics: [
    ['campaign_id', 'text'],
    ['campaign_name', 'text'],
    ['adset_id', 'text'],
    ['adset_name', 'text'],
    ['ad_id', 'text'],
    ['ad_name', 'text'],
    ['platform', 'text'],
    ['date', 'date'],
    ['impressions', 'number'],
    ['clicks', 'number'],
    ['installs', 'number'],
    ['conversions', 'number'],
    ['spend_usd', 'number'],
    ['spend_local', 'number'],
    ['cpi_usd', 'number'],
    ['cpc_usd', 'number'],
    ['cpm_usd', 'number'],
    ['ctr', 'number'],
    ['icr', 'number'],
    ['ipm', 'number'],
    ['ltv_usd', 'number'],
  ],
};

/** Renderings that print a type's values faithfully; any other pairing would change or lose data. */
const RENDERS_OF: Record<ColumnType, Render[]> = {
  string: ['text', 'lower'],
  uuid: ['uuid'],
  ip: ['inet'],
  int64: ['number'],
  decimal: ['number'],
  timestamp: ['timestamp'],
  date: ['date'],
  json: ['json'],
};

describe('TABLE_SPECS', () => {
  it('has exactly one spec per table, under its own name', () => {
    expect(Object.keys(TABLE_SPECS).sort()).toEqual([...TABLES].sort());
    for (const t of TABLES) expect(tableSpec(t).name).toBe(t);
  });

  it.each(TABLES)('%s: columns are the CSV contract, in order', (t) => {
    expect(tableSpec(t).columns.map((c) => [c.name, c.render])).toEqual(CONTRACT[t]);
    expect(columnsOf(t, false)).toEqual(CONTRACT[t]);
    expect(columnNames(t, false)).toEqual(CONTRACT[t].map(([name]) => name));
  });

  it.each(TABLES)('%s: column names are unique and each type has a rendering that suits it', (t) => {
    const cols = columnSpecs(t, true);
    expect(new Set(cols.map((c) => c.name)).size).toBe(cols.length);
    for (const c of cols) expect(RENDERS_OF[c.type], c.name).toContain(c.render);
  });

  it('user_attributes: last ua_events column, only when the integration sends it; campaign_metrics has none', () => {
    expect(columnNames('ua_events', true)).toEqual([...CONTRACT.ua_events.map(([n]) => n), 'user_attributes']);
    expect(columnsOf('ua_events', true).at(-1)).toEqual(['user_attributes', 'json']);
    expect(columnNames('ua_events', false)).not.toContain('user_attributes');
    expect(columnNames('campaign_metrics', true)).toEqual(columnNames('campaign_metrics', false));
  });

  it('the manifest window column of each table is the one its SQL filters on', () => {
    expect(windowColumn('ua_events')).toBe('created_at');
    expect(windowColumn('campaign_metrics')).toBe('date');
    for (const t of TABLES) expect(buildSelect(input(t))).toContain(` t.${windowColumn(t)} `);
  });

  it('window kinds: ua_events a half-open timestamp range, campaign_metrics one date', () => {
    expect(buildSelect(input('ua_events'))).toContain(
      `t.created_at >= '2026-11-28T00:00:00.000000Z'::timestamptz AND t.created_at < '2026-11-29T00:00:00.000000Z'::timestamptz`,
    );
    expect(buildSelect(input('campaign_metrics'))).toContain(`t.date = '2026-11-28'::date`);
  });

  it.each(TABLES)('%s: SELECT leads with the key columns, in stream order, and orders by orderBy', (t) => {
    const spec = tableSpec(t);
    const sql = buildSelect(input(t));
    const firstContract = `t.${spec.columns[0]!.name}`;
    expect(sql.startsWith(`SELECT ${[...spec.keyColumns.map((k) => `t.${k.name}`), firstContract].join(', ')}`)).toBe(true);
    expect(sql.endsWith(` ORDER BY ${spec.orderBy.map((c) => `t.${c}`).join(', ')}`)).toBe(true);
    expect(keyColumnCount(t)).toBe(spec.keyColumns.length);
  });
});

describe('cursor kinds', () => {
  it('a keyset table orders by exactly its key columns, so the cursor identifies one row', () => {
    for (const spec of Object.values(TABLE_SPECS).filter((s) => s.cursor === 'keyset')) {
      expect(spec.keyColumns.length).toBeGreaterThan(0);
      expect([...spec.orderBy].sort()).toEqual(spec.keyColumns.map((k) => k.name).sort());
    }
  });

  it('an ordinal table carries no key columns', () => {
    for (const spec of Object.values(TABLE_SPECS).filter((s) => s.cursor === 'ordinal')) expect(spec.keyColumns).toEqual([]);
  });

  it('ua_events: keyset on (created_at, id) read from stream fields (id, created_at)', () => {
    const spec = tableSpec('ua_events');
    expect(spec.cursor).toBe('keyset');
    expect(spec.keyColumns.map((k) => k.name)).toEqual(['id', 'created_at']);
    expect(spec.orderBy).toEqual(['created_at', 'id']);
    expect(spec.keyOf).toBe(eventKey);
    // The key function reads each field at its key column's position in the stream.
    const fields = spec.keyColumns.map((k) => `value of ${k.name}`);
    const key = spec.keyOf(fields, 5) as unknown as Record<string, string>;
    for (const k of spec.keyColumns) expect(key[k.field]).toBe(`value of ${k.name}`);
  });

  it('ua_events: the cursor predicate compares the orderBy tuple with the key, cast per key type', () => {
    const sql = buildSelect(input('ua_events', { after: eventKey(['42', '2026-11-28 10:15:00.5+00']) }));
    expect(sql).toContain(`(t.created_at, t.id) > ('2026-11-28 10:15:00.5+00'::timestamptz, 42::bigint)`);
    expect(sql).not.toContain('OFFSET');
  });

  it('campaign_metrics: ordinal, resumed with OFFSET after the rows already written', () => {
    const spec = tableSpec('campaign_metrics');
    expect(spec.cursor).toBe('ordinal');
    expect(spec.keyOf).toBe(ordinalKey);
    expect(spec.keyOf([], 17)).toEqual({ ordinal: 17 });
    const sql = buildSelect(input('campaign_metrics', { after: spec.keyOf([], 17) }));
    expect(sql.endsWith(' ORDER BY t.platform, t.campaign_id, t.adset_id, t.ad_id OFFSET 17')).toBe(true);
    expect(sql).not.toContain(') > (');
  });

  it('a cursor of the other kind is refused', () => {
    expect(() => buildSelect(input('ua_events', { after: { ordinal: 1 } }))).toThrow('ua_events cursor must be a (createdAt, id) key');
    expect(() => buildSelect(input('campaign_metrics', { after: { createdAt: '2026-11-28 00:00:00+00', id: '1' } }))).toThrow(
      'campaign_metrics cursor must be an ordinal',
    );
  });

  it('part-assembler still exports the same key functions', () => {
    expect(assemblerEventKey).toBe(eventKey);
    expect(assemblerOrdinalKey).toBe(ordinalKey);
  });
});

describe('API schemas derive from TABLES', () => {
  // The validator the API runs (app.ts): true when `value` passes.
  const check = (schema: TSchema, value: unknown) =>
    (TypeBoxValidatorCompiler({ schema, method: 'POST', url: '/', httpPart: 'body' })(value) as { error?: unknown }).error === undefined;

  it('TableName accepts exactly the spec tables', () => {
    expect((TableName as unknown as { anyOf: { const: string }[] }).anyOf.map((s) => s.const)).toEqual([...TABLES]);
    for (const t of TABLES) expect(check(TableName, t)).toBe(true);
    for (const v of ['UA_EVENTS', 'ua_event', 'campaign_metrics ', '', 'export_runs', 1, null]) expect(check(TableName, v)).toBe(false);
    for (const v of ['UA_EVENTS', 'ua_event', '', 'export_runs']) expect(isTableName(v)).toBe(false);
  });

  it('a backfill may list every table once, and no more', () => {
    const body = (tables: unknown) => ({ from: '2026-11-01', to: '2026-11-02', tables });
    expect(check(StartBackfillBody, body([...TABLES]))).toBe(true);
    expect(check(StartBackfillBody, body([...TABLES].reverse()))).toBe(true);
    expect(check(StartBackfillBody, body([]))).toBe(false);
    expect(check(StartBackfillBody, body([TABLES[0], TABLES[0]]))).toBe(false);
    expect(check(StartBackfillBody, body([...TABLES, TABLES[0]]))).toBe(false);
    expect((StartBackfillBody.properties.tables as unknown as { maxItems: number }).maxItems).toBe(TABLES.length);
  });
});
