import { TABLES, type TableName } from '../tables.js';
import type { LoadingFormat } from './formats.js';
import { OPTIONAL_NOTE, READER_TYPES, recipeColumns } from './types.js';

const T = READER_TYPES.duckdb;

function view(table: TableName, f: LoadingFormat, root: string): string {
  const glob = `${root}/${table}/dt=*/*${f.extension}`;
  const hive = `hive_partitioning = true, hive_types = {'dt': 'DATE'}`;
  if (f.format === 'parquet') {
    // Parquet carries its own column types; union_by_name reads a tree whose column set changed.
    // uuid is stored as a string and json as a string with the JSON logical type (what every reader
    // can read): DuckDB's own UUID and JSON types come from a cast.
    const casts = recipeColumns(table)
      // An optional column (user_attributes) must be in at least one file of the tree for REPLACE.
      .filter((c) => c.type === 'uuid' || c.type === 'json')
      .map((c) => `${c.name}::${T[c.type]} AS ${c.name}`);
    const select = casts.length > 0 ? `* REPLACE (${casts.join(', ')})` : '*';
    return `CREATE OR REPLACE VIEW ${table} AS\nSELECT ${select} FROM read_parquet('${glob}', ${hive}, union_by_name = true);`;
  }
  const cols = recipeColumns(table);
  const lines = cols.map((c, i) => `    '${c.name}': '${T[c.type]}'${i < cols.length - 1 ? ',' : ''}${c.optional ? ` -- ${OPTIONAL_NOTE}` : ''}`);
  return [
    `CREATE OR REPLACE VIEW ${table} AS`,
    `SELECT * FROM read_csv('${glob}',`,
    `  header = true, delim = ',', quote = '"', escape = '"', auto_detect = false,${f.format === 'csv_gzip' ? " compression = 'gzip'," : ''}`,
    `  nullstr = '', allow_quoted_nulls = false,`,
    `  ${hive},`,
    `  columns = {`,
    ...lines,
    `  });`,
  ].join('\n');
}

/** DuckDB SQL (CLI or any client): one view per table over its whole tree, `dt` typed from the folder name. */
export function duckdbRecipe(f: LoadingFormat, root: string): string {
  return TABLES.map((t) => view(t, f, root)).join('\n\n');
}
