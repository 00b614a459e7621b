import { TABLES, type TableName } from '../tables.js';
import type { LoadingFormat } from './formats.js';
import { READER_TYPES, recipeColumns } from './types.js';

const T = READER_TYPES.athena;

function projection(table: TableName, s3Root: string): string[] {
  // Partition projection: Athena computes the dt folders from the range, no MSCK REPAIR or crawler.
  return [
    "  'projection.enabled' = 'true',",
    "  'projection.dt.type' = 'date',",
    "  'projection.dt.format' = 'yyyy-MM-dd',",
    "  'projection.dt.range' = '2020-01-01,NOW',",
    "  'projection.dt.interval' = '1',",
    "  'projection.dt.interval.unit' = 'DAYS',",
    `  'storage.location.template' = '${s3Root}/${table}/dt=\${dt}/'`,
  ];
}

/** The raw CSV text of a column turned into its type: OpenCSVSerDe reads every CSV column as a string. */
function typed(name: string, type: keyof typeof T): string {
  switch (type) {
    case 'timestamp':
      return `from_iso8601_timestamp(NULLIF(${name}, '')) AS ${name}`;
    case 'date':
    case 'int64':
    case 'decimal':
      return `CAST(NULLIF(${name}, '') AS ${T[type]}) AS ${name}`;
    default:
      return `NULLIF(${name}, '') AS ${name}`;
  }
}

function csvTable(table: TableName, f: LoadingFormat, s3Root: string): string {
  const cols = recipeColumns(table);
  return [
    `CREATE EXTERNAL TABLE ${table}_csv (`,
    cols.map((c) => `  ${c.name} string`).join(',\n'),
    ')',
    'PARTITIONED BY (dt string)',
    "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'",
    "WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '\"', 'escapeChar' = '\\u0000')",
    `LOCATION '${s3Root}/${table}/'`,
    'TBLPROPERTIES (',
    "  'skip.header.line.count' = '1',",
    ...(f.format === 'csv_gzip' ? ["  'compressionType' = 'gzip',"] : []),
    ...projection(table, s3Root),
    ');',
    '',
    `CREATE OR REPLACE VIEW ${table} AS`,
    `SELECT ${cols.map((c) => typed(c.name, c.type)).join(',\n       ')},`,
    `       CAST(dt AS date) AS dt`,
    `FROM ${table}_csv;`,
  ].join('\n');
}

function parquetTable(table: TableName, s3Root: string): string {
  return [
    `CREATE EXTERNAL TABLE ${table} (`,
    recipeColumns(table)
      .map((c) => `  ${c.name} ${T[c.type]}`)
      .join(',\n'),
    ')',
    'PARTITIONED BY (dt date)',
    'STORED AS PARQUET',
    `LOCATION '${s3Root}/${table}/'`,
    'TBLPROPERTIES (',
    ...projection(table, s3Root),
    ');',
  ].join('\n');
}

/** Athena / Glue DDL with dt partition projection; Athena skips files whose names start with `_`. */
export function athenaRecipe(f: LoadingFormat, s3Root: string): string {
  return TABLES.map((t) => (f.format === 'parquet' ? parquetTable(t, s3Root) : csvTable(t, f, s3Root))).join('\n\n');
}
