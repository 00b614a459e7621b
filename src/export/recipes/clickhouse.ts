import { TABLES, type TableName } from '../tables.js';
import type { LoadingFormat } from './formats.js';
import { OPTIONAL_NOTE, READER_TYPES, recipeColumns } from './types.js';

const T = READER_TYPES.clickhouse;

function columns(table: TableName): string {
  return recipeColumns(table)
    .map((c) => `${c.name} ${c.required ? T[c.type] : `Nullable(${T[c.type]})`}`)
    .join(', ');
}

function load(table: TableName, f: LoadingFormat, s3Root: string): string {
  const fmt = f.format === 'parquet' ? 'Parquet' : 'CSVWithNames';
  const optional = recipeColumns(table).find((c) => c.optional);
  return [
    `-- ${table}${optional ? ` (drop ${optional.name} from the structure unless ${OPTIONAL_NOTE})` : ''}`,
    `INSERT INTO ${table}`,
    `SELECT *, toDate32(extract(_path, 'dt=(\\\\d{4}-\\\\d{2}-\\\\d{2})')) AS dt`,
    `FROM s3('${s3Root}/${table}/dt=*/*${f.extension}', '<access key id>', '<secret access key>', '${fmt}',`,
    `  '${columns(table)}')`,
    f.format === 'parquet'
      ? `SETTINGS input_format_parquet_allow_missing_columns = 1;`
      : `SETTINGS date_time_input_format = 'best_effort', input_format_csv_empty_as_default = 1, format_csv_allow_single_quotes = 0;`,
  ].join('\n');
}

function createTable(table: TableName): string {
  const cols = recipeColumns(table).map((c) => `  ${c.name} ${c.required ? T[c.type] : `Nullable(${T[c.type]})`},`);
  return [`CREATE TABLE IF NOT EXISTS ${table} (`, ...cols, '  dt Date32', ') ENGINE = MergeTree PARTITION BY dt ORDER BY tuple();'].join('\n');
}

/** ClickHouse SQL: typed tables, then INSERT … SELECT from the s3 table function over the tree. */
export function clickhouseRecipe(f: LoadingFormat, s3Root: string): string {
  return [...TABLES.map(createTable), ...TABLES.map((t) => load(t, f, s3Root))].join('\n\n');
}
