import type { ExportSettings } from './settings.js';
import { columnSpecs, tableSpec, type ColumnSpec, type ColumnType, type TableName } from './tables.js';

/**
 * The Frictionless Table Schema (https://specs.frictionlessdata.io/table-schema/) of one exported
 * file: what each manifest carries as `schema` and what `<table>/_schema.json` holds, so a reader can
 * type a whole tree before reading a single file instead of sniffing header-only files of empty days.
 *
 * Every mapping below describes the bytes Postgres actually writes for the column (tables.ts
 * renderSql, then COPY … (FORMAT csv)); a Frictionless reader that follows the spec parses each value
 * back to the source's value.
 */

/** Frictionless field types this export uses. */
export type FrictionlessType = 'string' | 'integer' | 'number' | 'datetime' | 'date' | 'any';

export interface SchemaField {
  name: string;
  type: FrictionlessType;
  format?: string;
  description?: string;
  constraints?: { required: true };
  /** Field-level missing values (Table Schema v2): overrides the schema's for this field. */
  missingValues?: string[];
}

export interface TableSchema {
  fields: SchemaField[];
  /**
   * NULL is written as an empty field (COPY's default). A Frictionless reader compares values after
   * CSV unquoting, so it cannot tell NULL from a quoted empty string `""` in a nullable text column;
   * readers that can (DuckDB, Polars, pyarrow: docs/LOADING.md) are told to keep `""` as text.
   */
  missingValues: string[];
  primaryKey?: string[];
}

type Mapped = Pick<SchemaField, 'type' | 'format' | 'description'>;

const FIELD: Record<ColumnType, Mapped> = {
  string: { type: 'string' },
  // Postgres prints uuid in the canonical lower-case 8-4-4-4-12 form, which is the spec's `uuid` format.
  uuid: { type: 'string', format: 'uuid' },
  // The spec has no IP type; the text is host(inet): the address alone, IPv6 compressed.
  ip: { type: 'string', description: 'IPv4 or IPv6 address without prefix length (2001:db8::1)' },
  // bigint's text: an optional minus and digits. Frictionless integers are unbounded, so none is clipped.
  int64: { type: 'integer' },
  // numeric's text is a plain decimal (never an exponent, never NaN or Infinity: refused at export).
  // Frictionless `number` is a decimal, not a binary float (frictionless-py reads it as Decimal), so
  // money keeps every digit; the defaults (`.` decimal mark, no group mark, bare number) match.
  decimal: { type: 'number' },
  // YYYY-MM-DDTHH:MM:SS.ffffffZ is the XML Schema dateTime lexical form the `default` format names.
  // A strptime pattern would need a literal Z and give readers a naive datetime: the zone would be lost.
  timestamp: { type: 'datetime', description: 'UTC instant with microseconds (YYYY-MM-DDTHH:MM:SS.ffffffZ)' },
  date: { type: 'date' },
  // jsonb holds any JSON value (object, array or scalar), so `object` would reject some valid rows;
  // `any` hands the canonical jsonb text through unchanged, for the reader to parse.
  json: { type: 'any', description: 'JSON value as canonical jsonb text' },
};

function field(column: ColumnSpec, required: boolean): SchemaField {
  const out: SchemaField = { name: column.name, ...FIELD[column.type] };
  if (required) {
    out.constraints = { required: true };
    // A NOT NULL text column holds no NULL, so its empty field is an empty string: without this a
    // reader would turn it into a missing value and then fail the required constraint (adset_id '').
    if (out.type === 'string') out.missingValues = [];
  }
  return out;
}

/** The Table Schema of a table's file for an integration with these settings (its column set). */
export function tableSchema(table: TableName, settings: Pick<ExportSettings, 'sendUserAttributes'>): TableSchema {
  const spec = tableSpec(table);
  const fields = columnSpecs(table, settings.sendUserAttributes).map((c) => field(c, spec.required.includes(c.name)));
  return { fields, missingValues: [''], ...(spec.fileKey.length > 0 ? { primaryKey: [...spec.fileKey] } : {}) };
}
