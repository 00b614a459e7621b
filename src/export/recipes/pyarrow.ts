import { TABLES } from '../tables.js';
import type { LoadingFormat } from './formats.js';
import { OPTIONAL_NOTE, READER_TYPES, recipeColumns } from './types.js';

const T = READER_TYPES.pyarrow;

function schemas(): string {
  const tables = TABLES.map((table) => {
    const lines = recipeColumns(table).map((c) => `            ("${c.name}", ${T[c.type]}),${c.optional ? `  # ${OPTIONAL_NOTE}` : ''}`);
    return [`    "${table}": pa.schema(`, '        [', ...lines, '        ]', '    ),'].join('\n');
  });
  return ['SCHEMAS = {', ...tables, '}'].join('\n');
}

/** Python with pyarrow (and pandas from it): `read_table(name)` returns an Arrow table of the whole tree plus `dt`. */
export function pyarrowRecipe(f: LoadingFormat, root: string): string {
  const format =
    f.format === 'parquet'
      ? ['    fmt = ds.ParquetFileFormat()']
      : [
          '    fmt = ds.CsvFileFormat(',
          // RFC 4180: quotes doubled, never backslash-escaped; values may hold line breaks.
          '        parse_options=pacsv.ParseOptions(delimiter=",", quote_char=\'"\', double_quote=True, escape_char=False, newlines_in_values=True),',
          '        convert_options=pacsv.ConvertOptions(',
          '            column_types=SCHEMAS[table],',
          '            null_values=[""],',
          '            strings_can_be_null=True,',
          '            quoted_strings_can_be_null=False,',
          '        ),',
          '    )',
        ];
  return [
    'import glob',
    '',
    'import pyarrow as pa',
    'import pyarrow.csv as pacsv',
    'import pyarrow.dataset as ds',
    '',
    `ROOT = ${JSON.stringify(root)}`,
    '',
    schemas(),
    'DT = pa.schema([("dt", pa.date32())])',
    '',
    '',
    'def read_table(table: str) -> pa.Table:',
    `    # *${f.extension} only: a tree also holds _manifest.json and _schema.json, which are not rows.`,
    `    files = sorted(glob.glob(f"{ROOT}/{table}/dt=*/*${f.extension}"))`,
    ...format,
    '    partitioning = ds.partitioning(DT, flavor="hive")',
    '    schema = pa.unify_schemas([SCHEMAS[table], DT])',
    '    return ds.dataset(files, schema=schema, format=fmt, partitioning=partitioning, partition_base_dir=f"{ROOT}/{table}").to_table()',
    '',
    '',
    ...TABLES.map((t) => `${t} = read_table("${t}")`),
    '# pandas without losing decimals, microseconds or nullable integers:',
    '# ua_events_df = ua_events.to_pandas(types_mapper=pd.ArrowDtype)',
  ].join('\n');
}
