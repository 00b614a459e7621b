import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import { ByteWriter } from 'hyparquet-writer';
import { serializeTCompactProtocol } from 'hyparquet-writer/src/thrift.js';

/**
 * One Parquet file from a sequence of single-row-group files. The wasm writer (parquet-row-groups.ts)
 * writes each row group as a complete file; this keeps the row group's column chunks, moves their
 * offsets to where they land in the combined file, and writes one footer listing every row group.
 *
 * The footers are handled as raw Thrift (field numbers, not hyparquet's decoded metadata), so what
 * the writer put there passes through untouched: statistics stay the writer's exact bytes (decoding
 * them would turn DECIMAL bounds into doubles). What changes: offsets; the page indexes, which sit
 * outside the kept chunks and are left out (row groups keep their statistics); the `ARROW:schema`
 * key-value entry (the Parquet schema says everything, as in the files the product wrote before); the
 * root's name; and the JSON logical type on the columns that hold JSON, which the Arrow writer cannot
 * express.
 */

type Thrift = { [field: `field_${number}`]: unknown };

const MAGIC = Buffer.from('PAR1');

// FileMetaData, RowGroup, ColumnChunk and ColumnMetaData fields (parquet.thrift).
const enum F {
  schema = 'field_2',
  numRows = 'field_3',
  rowGroups = 'field_4',
  keyValueMetadata = 'field_5',
}

export interface RowGroupChunk {
  /** The row group's column chunks, to append to the file. */
  bytes: Uint8Array;
  /** The row group's metadata, offsets relative to the start of `bytes`. */
  rowGroup: Thrift;
  /** The file's metadata as the writer wrote it (its schema), for the combined footer. */
  meta: Thrift;
}

/** The FileMetaData of a complete file the writer wrote, as raw Thrift. */
export function fileMetadata(file: Uint8Array): Thrift {
  const n = file.length;
  const tail = Buffer.from(file.buffer, file.byteOffset + n - 4, 4);
  if (n < 12 || !tail.equals(MAGIC)) throw new Error('Parquet writer output does not end with PAR1');
  const length = new DataView(file.buffer, file.byteOffset + n - 8, 4).getUint32(0, true);
  // A copy: the decoded strings and statistics are views into it, and the file's own bytes are freed
  // as soon as its chunks are written.
  const bytes = file.slice(n - 8 - length, n - 8);
  return deserializeTCompactProtocol({ view: new DataView(bytes.buffer), offset: 0 });
}

const int = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

/** Splits a one-row-group file into its column chunks and their metadata (offsets from the chunks' start). */
export function rowGroupOf(file: Uint8Array): RowGroupChunk {
  const meta = fileMetadata(file);
  const groups = meta[F.rowGroups] as Thrift[];
  if (groups.length !== 1) throw new Error(`expected one row group from the Parquet writer, got ${groups.length}`);
  const group = groups[0]!;
  const columns = group.field_1 as Thrift[];
  let start = Infinity;
  let end = 0;
  for (const c of columns) {
    const m = c.field_3 as Thrift;
    const first = Number(m.field_11 ?? m.field_9);
    start = Math.min(start, first);
    end = Math.max(end, first + Number(m.field_7));
  }
  if (start !== MAGIC.length) throw new Error(`Parquet writer's first column chunk starts at ${start}, not after the magic`);
  return { bytes: file.subarray(start, end), rowGroup: moved(group, -BigInt(start)), meta };
}

/** The row group with every file offset moved by `by`; page-index and ordinal fields dropped. */
export function moved(group: Thrift, by: bigint): Thrift {
  const columns = (group.field_1 as Thrift[]).map((c) => {
    const m = c.field_3 as Thrift;
    const meta: Thrift = { ...m };
    for (const f of ['field_9', 'field_10', 'field_11', 'field_14'] as const) if (m[f] !== undefined) meta[f] = int(m[f]) + by;
    // ColumnChunk: 1 file_path, 2 file_offset, 3 meta_data; 4–7 are the page indexes, not kept.
    return { field_1: c.field_1, field_2: int(c.field_2 ?? 0n) + by, field_3: meta };
  });
  // RowGroup: 1 columns, 2 total_byte_size, 3 num_rows, 4 sorting_columns, 5 file_offset, 6 total_compressed_size (7, the i16 ordinal, dropped).
  return {
    field_1: columns,
    field_2: group.field_2,
    field_3: group.field_3,
    field_4: group.field_4,
    field_5: group.field_5 === undefined ? undefined : int(group.field_5) + by,
    field_6: group.field_6,
  };
}

/**
 * A row group's metadata as the Thrift bytes it has in the footer. Why bytes: decoded, a row group's
 * metadata is a few dozen JS objects per column (and views that keep its whole single-row-group footer
 * alive); kept that way for every row group until the footer, a file's memory grew with its row count
 * (docs/BENCHMARKS.md, "Parquet: the footer's row groups"). A compact-protocol struct is the same bytes
 * alone as inside the footer's list, so footer() appends these as they are.
 */
export function encodedRowGroup(group: Thrift): Uint8Array {
  return encodedStruct(group);
}

/** A Thrift struct in the compact protocol, its closing STOP included. */
function encodedStruct(o: Thrift): Uint8Array {
  const writer = new ByteWriter();
  serializeTCompactProtocol(writer, o);
  return new Uint8Array(writer.getBuffer());
}

// Compact-protocol type ids used when the footer's field 4 is written by hand.
const LIST = 9;
const STRUCT = 12;
const STOP = 0;

/** The bytes of a struct's fields without its closing STOP: the footer goes on after them. */
function fieldsOf(o: Thrift): Uint8Array {
  const bytes = encodedStruct(o);
  if (bytes[bytes.length - 1] !== STOP) throw new Error('Thrift struct does not end with STOP');
  return bytes.subarray(0, bytes.length - 1);
}

export interface FooterOptions {
  /** Metadata of any file the writer wrote with this schema (its row groups are ignored). */
  template: Thrift;
  /** Every row group's metadata, in file order, as encodedRowGroup() gave it. */
  rowGroups: readonly Uint8Array[];
  numRows: number;
  /** Columns whose UTF-8 strings are JSON: they get the JSON logical type. */
  jsonColumns: ReadonlySet<string>;
}

const utf8 = new TextDecoder();
const nameOf = (element: Thrift): string => (element.field_4 instanceof Uint8Array ? utf8.decode(element.field_4) : String(element.field_4));

/** Fields sorted by number: the serializer writes them in key order and Thrift wants them ascending. */
function sorted(o: Thrift): Thrift {
  return Object.fromEntries<unknown>(Object.entries(o).sort(([a], [b]) => Number(a.slice(6)) - Number(b.slice(6))));
}

/** The combined file's footer: Thrift FileMetaData, its length, and the closing magic. */
export function footer(options: FooterOptions): Buffer {
  const { template } = options;
  const schema = (template[F.schema] as Thrift[]).map((element, i) => {
    if (i === 0) return { ...element, field_4: 'schema' };
    // SchemaElement 10: logical_type, a union whose field 12 is JSON.
    return options.jsonColumns.has(nameOf(element)) ? sorted({ ...element, field_10: { field_12: {} } }) : element;
  });
  const meta: Thrift = sorted({
    ...template,
    [F.schema]: schema,
    [F.numRows]: BigInt(options.numRows),
    [F.rowGroups]: undefined,
    [F.keyValueMetadata]: undefined,
  });
  // FileMetaData's fields 1–3 (version, schema, num_rows: all required), then field 4 (row_groups)
  // written by hand around the encoded row groups, then the fields after it. Field headers hold the
  // id as a delta from the previous field's, so the part after field 4 is encoded after an empty
  // field 4 and that field's two bytes are dropped: the deltas then come out as in one struct.
  const head: Thrift = {};
  const rest: Thrift = { field_4: [] };
  for (const [k, v] of Object.entries(meta) as [`field_${number}`, unknown][]) {
    if (v === undefined) continue;
    const id = Number(k.slice(6));
    if (id < 4) head[k] = v;
    else rest[k] = v;
  }
  if (!(['field_1', 'field_2', 'field_3'] as const).every((k) => head[k] !== undefined))
    throw new Error('Parquet writer footer lacks version, schema or num_rows');
  const tail = encodedStruct(rest);
  if (tail[0] !== ((4 << 4) | LIST) || tail[1]! >> 4 !== 0) throw new Error('unexpected Thrift encoding of an empty row_groups list');
  const writer = new ByteWriter();
  writer.appendBytes(fieldsOf(head));
  // Field 4, a delta of 1 from num_rows, a list of structs: the size in the header's high nibble
  // below 15, else 15 there and the size as a varint. An empty list keeps the header byte the
  // serializer gives it (no element type), so an empty day's file is the same bytes as before.
  writer.appendUint8((1 << 4) | LIST);
  const n = options.rowGroups.length;
  if (n > 14) {
    writer.appendUint8((15 << 4) | STRUCT);
    writer.appendVarInt(n);
  } else writer.appendUint8(n === 0 ? tail[1]! : (n << 4) | STRUCT);
  for (const group of options.rowGroups) writer.appendBytes(group);
  writer.appendBytes(tail.subarray(2));
  writer.appendUint32(writer.offset);
  writer.appendBytes(MAGIC);
  return Buffer.from(writer.getBuffer());
}

export const PARQUET_MAGIC = MAGIC;
