import { TABLES } from '../tables.js';
import type { LoadingFormat } from './formats.js';
import { OPTIONAL_NOTE, READER_TYPES, recipeColumns } from './types.js';

const T = READER_TYPES.polars;

/**
 * Polars reads Parquet's JSON logical type as Binary: the Parquet scan takes json columns as Binary
 * and casts them to String after (PARQUET_AS below); CSV scans read them as String directly.
 */
function schemas(parquet: boolean): string {
  const tables = TABLES.map((table) => {
    const lines = recipeColumns(table).map(
      (c) => `        "${c.name}": ${parquet && c.type === 'json' ? 'pl.Binary' : T[c.type]},${c.optional ? `  # ${OPTIONAL_NOTE}` : ''}`,
    );
    return [`    "${table}": {`, ...lines, `    },`].join('\n');
  });
  return ['SCHEMAS = {', ...tables, '}'].join('\n');
}

function jsonColumns(): string {
  const tables = TABLES.map(
    (t) =>
      `    "${t}": [${recipeColumns(t)
        .filter((c) => c.type === 'json')
        .map((c) => `"${c.name}"`)
        .join(', ')}],`,
  );
  return ['JSON_COLUMNS = {', ...tables, '}'].join('\n');
}

/** Python with Polars: `read_table(name)` returns a DataFrame of the whole tree plus `dt`. */
export function polarsRecipe(f: LoadingFormat, root: string): string {
  const scan =
    f.format === 'parquet'
      ? `pl.scan_parquet(files, schema=SCHEMAS[table], hive_partitioning=False, include_file_paths="_path")`
      : `pl.scan_csv(files, schema=SCHEMAS[table], has_header=True, quote_char='"', include_file_paths="_path")`;
  return [
    'import glob',
    '',
    'import polars as pl',
    '',
    `ROOT = ${JSON.stringify(root)}`,
    '',
    schemas(f.format === 'parquet'),
    ...(f.format === 'parquet' ? [jsonColumns()] : []),
    '',
    '',
    'def read_table(table: str) -> pl.DataFrame:',
    `    # *${f.extension} only: a tree also holds _manifest.json and _schema.json, which are not rows.`,
    `    files = sorted(glob.glob(f"{ROOT}/{table}/dt=*/*${f.extension}"))`,
    '    return (',
    `        ${scan}`,
    '        .with_columns(pl.col("_path").str.extract(r"/dt=(\\d{4}-\\d{2}-\\d{2})/", 1).str.to_date("%Y-%m-%d").alias("dt"))',
    '        .drop("_path")',
    ...(f.format === 'parquet' ? ['        .with_columns([pl.col(c).cast(pl.String) for c in JSON_COLUMNS[table] if c in SCHEMAS[table]])'] : []),
    '        .collect()',
    '    )',
    '',
    '',
    ...TABLES.map((t) => `${t} = read_table("${t}")`),
  ].join('\n');
}
