import type { SchemaElement } from 'hyparquet';
import { REFUSAL_PREFIX, type ColumnSpec, type ColumnType, type TableName } from '../tables.js';
import { CsvFields, NULL_FIELD } from './pg-csv-fields.js';

/**
 * How each column type of the table spec (tables.ts) is stored in Parquet, and how the value Postgres
 * rendered for the CSV contract becomes that Parquet value. Every value is exact: a value a Parquet
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
 * - json: BYTE_ARRAY with the JSON logical type, holding Postgres's canonical jsonb text.
 */
export const DECIMAL_PRECISION = 38;
export const DECIMAL_SCALE = 9;
const DECIMAL_MAX_INTEGER_DIGITS = DECIMAL_PRECISION - DECIMAL_SCALE;

export type ParquetValue = string | bigint | number | Uint8Array | null;

/** Reads field `i` of a split row into the column's Parquet value; `refuse` throws the row's refusal. */
type Convert = (bytes: Buffer, f: CsvFields, i: number, refuse: (why: string) => never) => ParquetValue;

const text: Convert = (bytes, f, i) => f.text(bytes, i);

const int64: Convert = (bytes, f, i) => {
  const s = f.text(bytes, i);
  return s === null ? null : BigInt(s);
};

const DIGIT0 = 0x30;
const digits = (b: Buffer, at: number, n: number): number => {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 10 + (b[at + k]! - DIGIT0);
  return v;
};

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil): exact for years 1-9999. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const date: Convert = (bytes, f, i) => {
  if (f.kind[i] === NULL_FIELD) return null;
  const s = f.start[i]!;
  if (f.end[i]! - s !== 10) throw new Error(`unexpected date text ${JSON.stringify(f.text(bytes, i))}`);
  return daysFromCivil(digits(bytes, s, 4), digits(bytes, s + 5, 2), digits(bytes, s + 8, 2));
};

// `YYYY-MM-DDTHH:MM:SS.ffffffZ`: tables.ts renders every timestamp in exactly this form.
const timestamp: Convert = (bytes, f, i) => {
  if (f.kind[i] === NULL_FIELD) return null;
  const s = f.start[i]!;
  if (f.end[i]! - s !== 27) throw new Error(`unexpected timestamp text ${JSON.stringify(f.text(bytes, i))}`);
  const days = daysFromCivil(digits(bytes, s, 4), digits(bytes, s + 5, 2), digits(bytes, s + 8, 2));
  const seconds = days * 86400 + digits(bytes, s + 11, 2) * 3600 + digits(bytes, s + 14, 2) * 60 + digits(bytes, s + 17, 2);
  return BigInt(seconds) * 1_000_000n + BigInt(digits(bytes, s + 20, 6));
};

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

const decimal: Convert = (bytes, f, i, refuse) => {
  const s = f.text(bytes, i);
  return s === null ? null : unscaledDecimal(s, refuse);
};

const json: Convert = (bytes, f, i) => {
  const s = f.text(bytes, i);
  return s === null ? null : Buffer.from(s, 'utf8');
};

const STRING: Omit<SchemaElement, 'name'> = { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' };

const BY_TYPE: Record<ColumnType, { element: Omit<SchemaElement, 'name'>; convert: Convert }> = {
  string: { element: STRING, convert: text },
  uuid: { element: STRING, convert: text },
  ip: { element: STRING, convert: text },
  int64: { element: { type: 'INT64', repetition_type: 'OPTIONAL' }, convert: int64 },
  decimal: {
    element: {
      type: 'FIXED_LEN_BYTE_ARRAY',
      type_length: 16,
      converted_type: 'DECIMAL',
      precision: DECIMAL_PRECISION,
      scale: DECIMAL_SCALE,
      logical_type: { type: 'DECIMAL', precision: DECIMAL_PRECISION, scale: DECIMAL_SCALE },
      repetition_type: 'OPTIONAL',
    },
    convert: decimal,
  },
  timestamp: {
    element: { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' }, repetition_type: 'OPTIONAL' },
    convert: timestamp,
  },
  date: { element: { type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' }, repetition_type: 'OPTIONAL' }, convert: date },
  // The JSON logical type over UTF-8 bytes: the legacy converted type says UTF8, not JSON, because
  // with JSON the writer would re-serialize the value instead of storing Postgres's canonical text,
  // and readers that know no JSON type (Polars) then still read a string rather than binary.
  json: { element: { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'JSON' }, repetition_type: 'OPTIONAL' }, convert: json },
};

export interface ParquetColumn {
  readonly name: string;
  readonly convert: Convert;
}

/** The file schema (root first, as Parquet lists it) and each column's converter, in file order. */
export function parquetColumns(columns: readonly ColumnSpec[]): { schema: SchemaElement[]; columns: ParquetColumn[] } {
  return {
    schema: [{ name: 'schema', num_children: columns.length }, ...columns.map((c): SchemaElement => ({ name: c.name, ...BY_TYPE[c.type].element }))],
    columns: columns.map((c) => ({ name: c.name, convert: BY_TYPE[c.type].convert })),
  };
}

/** The error of a row whose value the Parquet type cannot hold; query.ts's refusedRow recognizes it. */
export function parquetRefusal(table: TableName, row: string, column: string, value: string, why: string): Error {
  return new Error(`${REFUSAL_PREFIX}${table} row ${row}: column ${column} holds ${value}, ${why}`);
}
