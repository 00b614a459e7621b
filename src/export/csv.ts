import { stringify } from 'csv-stringify/sync';

/**
 * The header row. Data rows are written by Postgres's COPY (FORMAT csv); the header is written here
 * with the same rules: RFC 4180 quoting only where needed, `\n` line ends, no BOM.
 */
export function csvHeader(columns: readonly string[]): Buffer {
  return Buffer.from(stringify([columns], { record_delimiter: '\n' }), 'utf8');
}
