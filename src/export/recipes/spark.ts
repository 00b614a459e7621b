import { TABLES } from '../tables.js';
import type { LoadingFormat } from './formats.js';
import { READER_TYPES, recipeColumns } from './types.js';

const T = READER_TYPES.spark;

/** PySpark: a DDL schema per table (dt from partition discovery) and one reader over each tree. */
export function sparkRecipe(f: LoadingFormat, s3Root: string): string {
  const schemas = TABLES.map((table) => {
    const cols = recipeColumns(table).map((c) => `${c.name} ${T[c.type]}${c.required ? ' NOT NULL' : ''}`);
    return `    "${table}": "${[...cols, 'dt DATE'].join(', ')}",`;
  });
  const reader =
    f.format === 'parquet'
      ? ['        spark.read.schema(SCHEMAS[table])', `        .option("pathGlobFilter", "*${f.extension}")`, '        .parquet(f"{ROOT}/{table}/")']
      : [
          '        spark.read.schema(SCHEMAS[table])',
          '        .option("header", True)',
          '        .option("multiLine", True)  # values may hold line breaks',
          '        .option("quote", \'"\').option("escape", \'"\')  # RFC 4180: quotes doubled, backslashes are data',
          '        .option("nullValue", "").option("emptyValue", "")  # empty field NULL, "" an empty string',
          '        .option("timestampFormat", "yyyy-MM-dd\'T\'HH:mm:ss.SSSSSSX")',
          '        .option("mode", "FAILFAST")',
          `        .option("pathGlobFilter", "*${f.extension}")  # not _manifest.json or _schema.json`,
          '        .csv(f"{ROOT}/{table}/")',
        ];
  return [
    'spark.conf.set("spark.sql.session.timeZone", "UTC")',
    `ROOT = ${JSON.stringify(s3Root.replace(/^s3:/, 's3a:'))}`,
    '# user_attributes: drop it from the schema unless Send user attributes is on',
    'SCHEMAS = {',
    ...schemas,
    '}',
    '',
    '',
    'def read_table(table):',
    '    return (',
    ...reader,
    '    )',
    '',
    '',
    ...TABLES.map((t) => `${t} = read_table("${t}")`),
  ].join('\n');
}
