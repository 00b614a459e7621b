import { TABLES, type TableName } from '../tables.js';
import type { LoadingFormat } from './formats.js';
import { READER_TYPES, recipeColumns } from './types.js';

const T = READER_TYPES.bigquery;

/** The `bq load` schema file of a table: every column typed, NOT NULL ones REQUIRED. */
export function bigquerySchema(table: TableName): string {
  const fields = recipeColumns(table).map((c) => ({ name: c.name, type: T[c.type], mode: c.required ? 'REQUIRED' : 'NULLABLE' }));
  return `[\n${fields.map((f) => `  ${JSON.stringify(f)}`).join(',\n')}\n]`;
}

/** `bq load` commands from a GCS copy of the tree; `dt` comes from the folder names as a DATE. */
export function bigqueryRecipe(f: LoadingFormat, gsRoot: string): string {
  return TABLES.map((table) =>
    [
      `bq load \\`,
      ...(f.format === 'parquet'
        ? [`  --source_format=PARQUET --decimal_target_types=NUMERIC,BIGNUMERIC \\`]
        : [`  --source_format=CSV --skip_leading_rows=1 --allow_quoted_newlines --null_marker='' --encoding=UTF-8 \\`]),
      `  --hive_partitioning_mode=CUSTOM \\`,
      `  --hive_partitioning_source_uri_prefix='${gsRoot}/${table}/{dt:DATE}' \\`,
      `  mydataset.${table} \\`,
      `  '${gsRoot}/${table}/*${f.extension}'${f.format === 'parquet' ? '' : ` \\\n  ${table}.schema.json`}`,
    ].join('\n'),
  ).join('\n\n');
}
