import { columnSpecs, tableSpec, type ColumnSpec, type ColumnType, type TableName } from '../tables.js';

/**
 * How each reader spells each logical column type (tables.ts), so every recipe declares every
 * column's type instead of letting a sniffer guess from the first rows: a header-only file of an
 * empty day gives a sniffer nothing, and "13.0" looks like a float.
 */
export type Reader = 'duckdb' | 'polars' | 'pyarrow' | 'clickhouse' | 'spark' | 'athena' | 'bigquery' | 'snowflake';

/**
 * numeric in the source has no declared precision. 38 digits is the most every target holds in a
 * fixed-point type (Arrow decimal128, DuckDB, Spark, Athena, ClickHouse Decimal128, Snowflake
 * NUMBER), and (38, 9) is BigQuery's NUMERIC exactly: 29 digits before the point and 9 after, room
 * for any amount of money and for the ratios (ctr, icr) the app stores. A value that does not fit
 * fails the load or is rounded by the reader; docs/LOADING.md says which.
 */
export const DECIMAL = { precision: 38, scale: 9 } as const;

const D = `${DECIMAL.precision},${DECIMAL.scale}`;
const D_SPACED = `${DECIMAL.precision}, ${DECIMAL.scale}`;

export const READER_TYPES: Record<Reader, Record<ColumnType, string>> = {
  // UUID and JSON are DuckDB core types; INET needs an extension download, so addresses stay text.
  duckdb: { string: 'VARCHAR', uuid: 'UUID', ip: 'VARCHAR', int64: 'BIGINT', decimal: `DECIMAL(${D})`, timestamp: 'TIMESTAMPTZ', date: 'DATE', json: 'JSON' },
  polars: {
    string: 'pl.String',
    uuid: 'pl.String',
    ip: 'pl.String',
    int64: 'pl.Int64',
    decimal: `pl.Decimal(${D_SPACED})`,
    timestamp: 'pl.Datetime("us", "UTC")',
    date: 'pl.Date',
    json: 'pl.String',
  },
  pyarrow: {
    string: 'pa.string()',
    uuid: 'pa.string()',
    ip: 'pa.string()',
    int64: 'pa.int64()',
    decimal: `pa.decimal128(${D_SPACED})`,
    timestamp: 'pa.timestamp("us", tz="UTC")',
    date: 'pa.date32()',
    json: 'pa.string()',
  },
  // Date32 and DateTime64 reach 1900-2299 (Date and DateTime stop in 2106/2149).
  clickhouse: {
    string: 'String',
    uuid: 'UUID',
    ip: 'String',
    int64: 'Int64',
    decimal: `Decimal(${D_SPACED})`,
    timestamp: "DateTime64(6, 'UTC')",
    date: 'Date32',
    json: 'String',
  },
  spark: { string: 'STRING', uuid: 'STRING', ip: 'STRING', int64: 'BIGINT', decimal: `DECIMAL(${D})`, timestamp: 'TIMESTAMP', date: 'DATE', json: 'STRING' },
  athena: { string: 'string', uuid: 'string', ip: 'string', int64: 'bigint', decimal: `decimal(${D})`, timestamp: 'timestamp', date: 'date', json: 'string' },
  bigquery: { string: 'STRING', uuid: 'STRING', ip: 'STRING', int64: 'INT64', decimal: 'NUMERIC', timestamp: 'TIMESTAMP', date: 'DATE', json: 'JSON' },
  // TIMESTAMP_NTZ holding UTC: the CSV's trailing Z is matched as a literal in the file format.
  snowflake: {
    string: 'VARCHAR',
    uuid: 'VARCHAR',
    ip: 'VARCHAR',
    int64: 'NUMBER(38,0)',
    decimal: `NUMBER(${D})`,
    timestamp: 'TIMESTAMP_NTZ(6)',
    date: 'DATE',
    json: 'VARCHAR',
  },
};

export interface RecipeColumn {
  name: string;
  type: ColumnType;
  required: boolean;
  /** user_attributes: in the file only when the integration's Send user attributes is on. */
  optional: boolean;
}

/** The recipes' columns of a table: every column the file can have, user_attributes marked optional. */
export function recipeColumns(table: TableName): RecipeColumn[] {
  const spec = tableSpec(table);
  return columnSpecs(table, true).map((c: ColumnSpec) => ({
    name: c.name,
    type: c.type,
    required: spec.required.includes(c.name),
    optional: c === spec.userAttributesColumn,
  }));
}

export const OPTIONAL_NOTE = 'only when Send user attributes is on';
