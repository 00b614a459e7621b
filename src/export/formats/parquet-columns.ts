import { REFUSAL_PREFIX, type TableName } from '../tables.js';

/**
 * How each column type of the table spec (tables.ts) is stored in Parquet (arrow-columns.ts reads the
 * values from Postgres's CSV into these types). Every value is exact: a value a Parquet
 * type here cannot hold is refused, like the CSV form refuses what it cannot write.
 *
 * - timestamp: INT64 TIMESTAMP(MICROS, isAdjustedToUTC): Postgres's own precision, read from the
 *   contract's `YYYY-MM-DDTHH:MM:SS.ffffffZ` text, so no microsecond passes through a JS Date.
 * - date: INT32 DATE (days since 1970-01-01).
 * - decimal: DECIMAL(38, 9) in a 16-byte FIXED_LEN_BYTE_ARRAY. The source columns are unconstrained
 *   `numeric`, so no precision follows from their type; (38, 9) is BigQuery's NUMERIC, within
 *   Snowflake's, Athena's, Spark's and DuckDB's DECIMAL limit of 38 digits, and holds every money
 *   amount to the nano-unit and every ratio the product computes (at most 6 fraction digits). A value
 *   with a non-zero 10th fraction digit or over 29 integer digits is refused, never rounded.
 * - int64: INT64. string, uuid, ip: UTF-8 strings (uuid and inet as their canonical text, as in CSV).
 * - json: BYTE_ARRAY with the JSON logical type, holding Postgres's canonical jsonb text. The legacy
 *   converted type says UTF8, so readers that know no JSON type (Polars) still read a string rather
 *   than binary (parquet-footer.ts sets the logical type).
 */
export const DECIMAL_PRECISION = 38;
export const DECIMAL_SCALE = 9;
const DECIMAL_MAX_INTEGER_DIGITS = DECIMAL_PRECISION - DECIMAL_SCALE;

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil): exact for years 1-9999. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const DECIMAL_RE = /^(-?)(\d+)(?:\.(\d+))?$/;

/** A plain decimal's unscaled DECIMAL(38, 9) value, or a refusal. */
export function unscaledDecimal(s: string, refuse: (why: string) => never): bigint {
  const m = DECIMAL_RE.exec(s);
  if (!m) throw new Error(`unexpected numeric text ${JSON.stringify(s)}`);
  const [, sign = '', whole = '', frac = ''] = m;
  const intDigits = whole.replace(/^0+(?=\d)/, '');
  if (intDigits.length > DECIMAL_MAX_INTEGER_DIGITS)
    refuse(`more than the ${DECIMAL_MAX_INTEGER_DIGITS} integer digits of DECIMAL(${DECIMAL_PRECISION},${DECIMAL_SCALE})`);
  if (/[1-9]/.test(frac.slice(DECIMAL_SCALE))) refuse(`more than the ${DECIMAL_SCALE} fraction digits of DECIMAL(${DECIMAL_PRECISION},${DECIMAL_SCALE})`);
  const unscaled = BigInt(intDigits + frac.slice(0, DECIMAL_SCALE).padEnd(DECIMAL_SCALE, '0'));
  return sign ? -unscaled : unscaled;
}

/** The error of a row whose value the Parquet type cannot hold; query.ts's refusedRow recognizes it. */
export function parquetRefusal(table: TableName, row: string, column: string, value: string, why: string): Error {
  return new Error(`${REFUSAL_PREFIX}${table} row ${row}: column ${column} holds ${value}, ${why}`);
}
