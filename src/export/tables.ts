/**
 * The CSV contract and everything else that differs between the exported tables, one spec per table:
 * its columns in file order and how Postgres renders each, the window that makes a row part of a day,
 * the order the file is written in, and how a part boundary is recorded so a retry can resume there.
 * query.ts, part-assembler.ts and the API's schemas derive their per-table rules from here.
 *
 * Changing a column list here is a schema change: bump SCHEMA_VERSION (it is in every manifest).
 */
export const SCHEMA_VERSION = 1;

export const TABLES = ['ua_events', 'campaign_metrics'] as const;
export type TableName = (typeof TABLES)[number];

export function isTableName(value: string): value is TableName {
  return (TABLES as readonly string[]).includes(value);
}

/** How a column's value becomes CSV text (renderSql). */
export type Render = 'text' | 'lower' | 'timestamp' | 'date' | 'number' | 'json' | 'uuid' | 'inet';

/** What a column holds, whatever its rendering: follows the Postgres column type (migrations/). */
export type ColumnType = 'string' | 'uuid' | 'ip' | 'int64' | 'decimal' | 'timestamp' | 'date' | 'json';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly render: Render;
}

/** The rendering a type gets unless its column says otherwise. */
const DEFAULT_RENDER: Record<ColumnType, Render> = {
  string: 'text',
  uuid: 'uuid',
  ip: 'inet',
  int64: 'number',
  decimal: 'number',
  timestamp: 'timestamp',
  date: 'date',
  json: 'json',
};

const col = (name: string, type: ColumnType, render: Render = DEFAULT_RENDER[type]): ColumnSpec => ({ name, type, render });

const USER_ATTRIBUTES = col('user_attributes', 'json');

/** Which rows belong to a day (dayWindow). */
export type WindowSpec =
  /** `column` in the day's half-open UTC range [D 00:00, D+1 00:00). */
  | { readonly kind: 'timestamp-range'; readonly column: string }
  /** `column` equal to the day. */
  | { readonly kind: 'date'; readonly column: string };

/** The keyset cursor's value: fields of a key column, as the stream printed them. */
export interface KeysetKey {
  /** created_at as Postgres text, never a JS Date: a Date would drop the microseconds. */
  createdAt: string;
  /** bigint as text: past 2^53 a JS number would round. */
  id: string;
}

/** Where a part starts: after the row with this key (null: from the start of the file). */
export type RowKey = KeysetKey | { ordinal: number };

/**
 * A column the COPY stream carries before the contract's columns, to record part boundaries; the
 * file leaves it out. Its values are numbers and timestamps: never quoted, never holding a comma.
 */
export interface KeyColumn {
  readonly name: string;
  readonly type: 'int64' | 'timestamp';
  /** The RowKey field that holds its value. */
  readonly field: keyof KeysetKey;
}

/** The key a part boundary records, from the row's key fields (stream order) and the rows written before it. */
export type KeyOf = (fields: readonly string[], rowsSoFar: number) => RowKey;

export interface TableSpec {
  readonly name: TableName;
  /** The contract's columns, in file order. */
  readonly columns: readonly ColumnSpec[];
  /** Appended last when the integration's sendUserAttributes is on; null: the table has none. */
  readonly userAttributesColumn: ColumnSpec | null;
  readonly window: WindowSpec;
  /** Columns of the file's row order; a resumed attempt must meet the rows in the same order. */
  readonly orderBy: readonly string[];
  /**
   * How a retry resumes after a part boundary. keyset: `(orderBy) > (key)`, reading from the index
   * right at the cursor; the key columns are orderBy's, unique together. ordinal: OFFSET of the rows
   * already written, for a day small enough to re-read; no key columns.
   */
  readonly cursor: 'keyset' | 'ordinal';
  /** Leading stream columns the cursor is read from, in stream order (keyOf's `fields`). */
  readonly keyColumns: readonly KeyColumn[];
  readonly keyOf: KeyOf;
  /** Whether the integration's event filters (settingsFilter) apply to the table. */
  readonly filteredBySettings: boolean;
  /** Columns that name one row to an operator, in a refused row's message (refusalGuard). */
  readonly rowName: readonly string[];
  /**
   * Contract columns that are NOT NULL in the source (migrations/): an empty field there is an empty
   * string, never a NULL, and the published schema (table-schema.ts) declares them required.
   */
  readonly required: readonly string[];
  /** Columns unique together within one integration's tree (its app), for the published schema; empty: none in the file. */
  readonly fileKey: readonly string[];
}

export const eventKey = (fields: readonly string[]): RowKey => {
  const [id, createdAt] = fields;
  if (id === undefined || createdAt === undefined) throw new Error('ua_events row without its key columns');
  return { id, createdAt };
};

export const ordinalKey = (_fields: readonly string[], rowsSoFar: number): RowKey => ({ ordinal: rowsSoFar });

export const TABLE_SPECS: Readonly<Record<TableName, TableSpec>> = {
  ua_events: {
    name: 'ua_events',
    columns: [
      col('profile_id', 'uuid'),
      col('event_type', 'string', 'lower'),
      col('event_datetime', 'timestamp'),
      col('campaign_id', 'string'),
      col('campaign_name', 'string'),
      col('adset_id', 'string'),
      col('adset_name', 'string'),
      col('ad_id', 'string'),
      col('ad_name', 'string'),
      col('platform', 'string'),
      col('attribution_source', 'string'),
      col('attribution_network_user_id', 'string'),
      col('attribution_status', 'string'),
      col('attribution_channel', 'string'),
      col('attribution_campaign', 'string'),
      col('attribution_ad_group', 'string'),
      col('attribution_ad_set', 'string'),
      col('attribution_creative', 'string'),
      col('click_datetime', 'timestamp'),
      col('install_datetime', 'timestamp'),
      col('conversion_datetime', 'timestamp'),
      col('conversion_type', 'string'),
      col('conversion_value_usd', 'decimal'),
      col('conversion_value_local', 'decimal'),
      col('currency', 'string'),
      col('country', 'string'),
      col('device_type', 'string'),
      col('os_version', 'string'),
      col('app_version', 'string'),
      col('user_agent', 'string'),
      col('ip_address', 'ip'),
      col('idfa', 'string'),
      col('idfv', 'string'),
      col('advertising_id', 'string'),
      col('android_id', 'string'),
      col('android_app_set_id', 'string'),
      col('device', 'string'),
      col('custom_parameters', 'json'),
    ],
    userAttributesColumn: USER_ATTRIBUTES,
    window: { kind: 'timestamp-range', column: 'created_at' },
    // The (app_id, created_at, id) index serves the window, this order and the cursor.
    orderBy: ['created_at', 'id'],
    // A day can be most of the table: re-reading the rows before a boundary would cost as much as the export.
    cursor: 'keyset',
    keyColumns: [
      { name: 'id', type: 'int64', field: 'id' },
      { name: 'created_at', type: 'timestamp', field: 'createdAt' },
    ],
    keyOf: eventKey,
    filteredBySettings: true,
    rowName: ['id'],
    required: ['event_type', 'event_datetime', 'custom_parameters'],
    // id and created_at, which identify an event, are cursor columns the file leaves out.
    fileKey: [],
  },
  campaign_metrics: {
    name: 'campaign_metrics',
    columns: [
      col('campaign_id', 'string'),
      col('campaign_name', 'string'),
      col('adset_id', 'string'),
      col('adset_name', 'string'),
      col('ad_id', 'string'),
      col('ad_name', 'string'),
      col('platform', 'string'),
      col('date', 'date'),
      col('impressions', 'int64'),
      col('clicks', 'int64'),
      col('installs', 'int64'),
      col('conversions', 'int64'),
      col('spend_usd', 'decimal'),
      col('spend_local', 'decimal'),
      col('cpi_usd', 'decimal'),
      col('cpc_usd', 'decimal'),
      col('cpm_usd', 'decimal'),
      col('ctr', 'decimal'),
      col('icr', 'decimal'),
      col('ipm', 'decimal'),
      col('ltv_usd', 'decimal'),
    ],
    userAttributesColumn: null,
    window: { kind: 'date', column: 'date' },
    // The primary key after (app_id, date): a total order, so an OFFSET lands on the same row every time.
    orderBy: ['platform', 'campaign_id', 'adset_id', 'ad_id'],
    // A day has at most thousands of rows: skipping the written ones again is cheap.
    cursor: 'ordinal',
    keyColumns: [],
    keyOf: ordinalKey,
    filteredBySettings: false,
    rowName: ['platform', 'campaign_id', 'adset_id', 'ad_id'],
    required: ['campaign_id', 'adset_id', 'ad_id', 'platform', 'date', 'impressions', 'clicks', 'installs', 'conversions'],
    // The primary key without app_id: one integration exports one app.
    fileKey: ['date', 'platform', 'campaign_id', 'adset_id', 'ad_id'],
  },
};

export function tableSpec(table: TableName): TableSpec {
  return TABLE_SPECS[table];
}

/** The column whose value puts a row in a day; the manifest names it. */
export function windowColumn(table: TableName): string {
  return TABLE_SPECS[table].window.column;
}

/** The file's columns, in order, for an integration with or without user attributes. */
export function columnSpecs(table: TableName, sendUserAttributes: boolean): ColumnSpec[] {
  const { columns, userAttributesColumn } = TABLE_SPECS[table];
  return sendUserAttributes && userAttributesColumn ? [...columns, userAttributesColumn] : [...columns];
}

const asPair = (c: ColumnSpec): readonly [string, Render] => [c.name, c.render];

/** ua_events' contract columns as (name, render) pairs, without user_attributes. */
export const UA_EVENT_COLUMNS: readonly (readonly [string, Render])[] = TABLE_SPECS.ua_events.columns.map(asPair);

export const USER_ATTRIBUTES_COLUMN = asPair(USER_ATTRIBUTES);

export const CAMPAIGN_METRIC_COLUMNS: readonly (readonly [string, Render])[] = TABLE_SPECS.campaign_metrics.columns.map(asPair);

export function columnsOf(table: TableName, sendUserAttributes: boolean): (readonly [string, Render])[] {
  return columnSpecs(table, sendUserAttributes).map(asPair);
}

export function columnNames(table: TableName, sendUserAttributes: boolean): string[] {
  return columnSpecs(table, sendUserAttributes).map((c) => c.name);
}

/**
 * SQL that renders one column exactly as the contract says, so Postgres's own CSV writer produces
 * the final bytes. Every session runs with TimeZone=UTC and DateStyle=ISO (createPool, src/db/pool.ts):
 * the rendering of timestamps and dates depends on them.
 */
export function renderSql(column: string, render: Render, alias = 't'): string {
  const c = `${alias}.${column}`;
  switch (render) {
    case 'timestamp':
      // Always six fraction digits and a Z, never the locale-dependent default text.
      return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    case 'lower':
      return `lower(${c})`;
    case 'inet':
      return `host(${c})`;
    // numeric's text output is plain decimal (never an exponent); jsonb's is canonical (sorted keys,
    // one spacing), so the same value always gives the same bytes; dates print as YYYY-MM-DD.
    case 'number':
    case 'json':
    case 'date':
    case 'uuid':
    case 'text':
      return c;
  }
}

/**
 * Values a column's type can hold but the contract's form cannot write. A timestamp outside years
 * 0001-9999 (BC, year 10000 on, ±infinity) has no `YYYY-MM-DDTHH:MM:SS.ffffffZ` text: to_char would
 * print a BC year as the same AD year, a 5- or 6-digit year where readers expect four, and NULL for
 * infinity. A numeric NaN or ±Infinity is no plain decimal. Such a row is refused rather than
 * written differently: the reader's types (warehouse TIMESTAMP and DECIMAL) cannot hold it either,
 * and a loader would reject the file or null the value where nobody looks.
 */
const REFUSED: Partial<Record<ColumnType, { readonly valid: (c: string) => string; readonly why: string; readonly as: string }>> = {
  timestamp: {
    valid: (c) => `${c} >= '0001-01-01 00:00:00+00'::timestamptz AND ${c} < '10000-01-01 00:00:00+00'::timestamptz`,
    why: 'outside the years 0001-9999 that the CSV datetime form YYYY-MM-DDTHH:MM:SS.ffffffZ can write',
    as: 'text',
  },
  decimal: {
    // numeric orders -Infinity < every number < Infinity < NaN, so one range test finds all three.
    valid: (c) => `${c} > '-Infinity'::numeric AND ${c} < 'Infinity'::numeric`,
    why: 'not a finite number, so it has no plain decimal form',
    as: 'numeric',
  },
};

/**
 * Marks a refused row's error. SQL cannot raise an error without a function, and the export creates
 * none, so the guard casts its message to integer: the cast fails with the message quoted, and only
 * for a row that reaches it (the message depends on the row, so the planner cannot fold it early).
 */
export const REFUSAL_PREFIX = 'ua-export refused ';

/** Single-quoted SQL literal of trusted text (names from the specs, fixed wording). */
const lit = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * The CASE that refuses a row whose column value the contract cannot write, around the column's
 * rendering; the rendering alone when its type has no such value. NULL passes to the rendering.
 */
export function refusalGuard(spec: TableSpec, column: ColumnSpec, alias = 't'): string {
  const rendered = renderSql(column.name, column.render, alias);
  const rule = REFUSED[column.type];
  if (!rule) return rendered;
  const c = `${alias}.${column.name}`;
  const row = spec.rowName.map((n, i) => `${lit(`${i ? ', ' : ''}${n}=`)} || ${alias}.${n}::text`).join(' || ');
  const message = `${lit(`${REFUSAL_PREFIX}${spec.name} row `)} || ${row} || ${lit(`: column ${column.name} holds `)} || ${c}::text || ${lit(`, ${rule.why}`)}`;
  return `CASE WHEN NOT (${rule.valid(c)}) THEN (${message})::integer::${rule.as} ELSE ${rendered} END`;
}
