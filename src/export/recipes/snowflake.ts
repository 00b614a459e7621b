import { TABLES, type TableName } from '../tables.js';
import type { LoadingFormat } from './formats.js';
import { READER_TYPES, recipeColumns } from './types.js';

const T = READER_TYPES.snowflake;

function createTable(table: TableName): string {
  const cols = recipeColumns(table).map((c) => `  ${c.name} ${T[c.type]}${c.required ? ' NOT NULL' : ''}`);
  return [`CREATE TABLE IF NOT EXISTS ${table} (`, cols.join(',\n'), ');'].join('\n');
}

function fileFormat(f: LoadingFormat): string {
  if (f.format === 'parquet') return 'CREATE OR REPLACE FILE FORMAT ua_export_parquet TYPE = PARQUET USE_LOGICAL_TYPE = TRUE;';
  return [
    'CREATE OR REPLACE FILE FORMAT ua_export_csv',
    '  TYPE = CSV',
    '  SKIP_HEADER = 1',
    `  COMPRESSION = ${f.format === 'csv_gzip' ? 'GZIP' : 'NONE'}`,
    "  FIELD_OPTIONALLY_ENCLOSED_BY = '\"'",
    '  ESCAPE_UNENCLOSED_FIELD = NONE -- backslashes are data',
    '  EMPTY_FIELD_AS_NULL = TRUE -- an empty field is NULL, "" an empty string',
    '  NULL_IF = () -- no text such as \\N stands for NULL',
    '  TIMESTAMP_FORMAT = \'YYYY-MM-DD"T"HH24:MI:SS.FF6"Z"\'',
    "  DATE_FORMAT = 'YYYY-MM-DD'",
    "  ENCODING = 'UTF8';",
  ].join('\n');
}

/** Snowflake: typed tables, a file format that reads the CSV contract exactly, and COPY INTO per table. */
export function snowflakeRecipe(f: LoadingFormat, s3Root: string): string {
  const ff = f.format === 'parquet' ? 'ua_export_parquet' : 'ua_export_csv';
  const pattern = `.*/dt=[0-9-]+/[^/]*${f.extension.replace(/\./g, '[.]')}`;
  const copies = TABLES.map((table) =>
    [
      `COPY INTO ${table}`,
      `  FROM @ua_export/${table}/`,
      `  PATTERN = '${pattern}' -- data files only, never _manifest.json or _schema.json`,
      `  FILE_FORMAT = (FORMAT_NAME = ${ff})${f.format === 'parquet' ? '\n  MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE' : ''};`,
    ].join('\n'),
  );
  return [
    `CREATE OR REPLACE STAGE ua_export URL = '${s3Root}/' CREDENTIALS = (AWS_KEY_ID = '<access key id>' AWS_SECRET_KEY = '<secret access key>');`,
    fileFormat(f),
    ...TABLES.map(createTable),
    ...copies,
  ].join('\n\n');
}
