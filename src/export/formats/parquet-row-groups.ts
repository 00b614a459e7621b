import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BuiltPart, PartAssembler } from '../part-assembler.js';
import type { ColumnSpec, TableName } from '../tables.js';
import { arrow, ArrowColumn } from './arrow-columns.js';
import type { ParquetCompression } from './format.js';
import { encodedRowGroup, fileMetadata, footer, moved, PARQUET_MAGIC, rowGroupOf } from './parquet-footer.js';
import { parquetRefusal } from './parquet-columns.js';
import type { PartSink } from './part-sink.js';
import { encodeRowGroup } from './parquet-thread.js';
import { CsvFields } from './pg-csv-fields.js';

/**
 * Row groups close at whichever comes first. Rows: DuckDB's own default row group (122,880 rows), a
 * size every reader handles well and large enough for column statistics to prune. CSV bytes: the
 * bound that keeps the worker's memory flat, since a row group is held as Arrow buffers (about its
 * CSV size), then copied once into the writer's WebAssembly memory, which keeps its high-water mark;
 * a wide ua_events row group then has about six thousand rows (docs/BENCHMARKS.md, "Parquet through
 * Arrow").
 */
export const ROW_GROUP_MAX_ROWS = 122_880;
export const ROW_GROUP_MAX_CSV_BYTES = 4 * 1024 * 1024;

const require = createRequire(import.meta.url);
// The writer's version names the encoding (a checkpoint resumes only under the same bytes); its
// package.json is not among the package's exports, so it is read beside the module it resolves to.
const WRITER_VERSION: string = (
  JSON.parse(readFileSync(path.join(path.dirname(require.resolve('parquet-wasm')), '..', 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * Row groups being encoded by the Parquet thread, per file, while the next one fills: the bound that
 * keeps memory flat when Postgres reads faster than the thread encodes.
 */
export const ROW_GROUPS_IN_FLIGHT = 2;

/** No timestamp or host in the file's metadata: the same rows and settings give the same bytes. */
export const CREATED_BY = `ua-export (parquet-wasm ${WRITER_VERSION})`;

export const parquetEncoding = (compression: ParquetCompression): string =>
  `parquet/parquet-wasm@${WRITER_VERSION}/${compression}/rg=${ROW_GROUP_MAX_ROWS},${ROW_GROUP_MAX_CSV_BYTES}`;

export interface ParquetRowGroupsOptions {
  table: TableName;
  columns: readonly ColumnSpec[];
  compression: ParquetCompression;
  /** Length of the CSV header the stream starts with when it starts at the top: Parquet names columns in its schema. */
  headerBytes: number;
  /** Names a row in a refusal from its key fields (stream order) and its position in the file. */
  rowName: (keyFields: string[], rowNumber: number) => string;
  maxRows?: number;
  maxCsvBytes?: number;
}

/**
 * parquet: the CSV rows become Arrow columns (arrow-columns.ts), and each row group is written by
 * parquet-wasm (the Rust `parquet` crate compiled to WebAssembly) on the process's Parquet thread
 * (parquet-thread.ts) as a file of one row group, while the next row group fills. Its column chunks
 * go to the part assembler in row-group order; the file's footer (schema, every row group's offsets
 * and statistics) is written last from theirs (parquet-footer.ts).
 *
 * A Parquet file cannot be resumed from the middle of its rows: the footer lists every row group
 * before it. So the part assembler never sees a row end, and every checkpoint's cursor is "from the
 * top, skipping N bytes": a retry reads and encodes the day again from its first row (the encoder is
 * deterministic) and uploads only the parts after the checkpoint, under the same part numbers.
 */
export class ParquetRowGroups implements PartSink {
  private readonly columns: ArrowColumn[];
  private readonly fields: CsvFields;
  private readonly jsonColumns: ReadonlySet<string>;
  private toDrop: number;
  /**
   * The current row's CSV bytes: rows arrive as data() calls, then rowEnd(). A row that comes in one
   * call (every row streamParts reads) is read where it lies, `source[sourceStart, sourceEnd)`, which
   * the caller leaves untouched until rowEnd() (streamParts calls both in one synchronous step); only
   * a row split over several calls is gathered into `row`.
   */
  private row: Buffer = Buffer.allocUnsafe(64 * 1024);
  private rowFill = 0;
  private source: Buffer | null = null;
  private sourceStart = 0;
  private sourceEnd = 0;
  private groupCsvBytes = 0;
  /** Bytes of the file so far: where the next row group's chunks start. */
  private written = 0;
  /** Every written row group's footer metadata, encoded (see encodedRowGroup). */
  private readonly rowGroups: Uint8Array[] = [];
  private template: Record<`field_${number}`, unknown> | null = null;
  private readonly pending: PendingGroup[] = [];
  rows = 0;
  private readonly maxRows: number;
  private readonly maxCsvBytes: number;

  constructor(
    private readonly out: PartAssembler,
    private readonly options: ParquetRowGroupsOptions,
  ) {
    this.columns = options.columns.map((c) => new ArrowColumn(c));
    this.fields = new CsvFields(this.columns.length);
    this.jsonColumns = new Set(options.columns.filter((c) => c.type === 'json').map((c) => c.name));
    this.toDrop = options.headerBytes;
    this.maxRows = options.maxRows ?? ROW_GROUP_MAX_ROWS;
    this.maxCsvBytes = options.maxCsvBytes ?? ROW_GROUP_MAX_CSV_BYTES;
  }

  data(bytes: Buffer, start = 0, end = bytes.length): void {
    if (this.toDrop > 0) {
      const n = Math.min(this.toDrop, end - start);
      this.toDrop -= n;
      start += n;
    }
    const n = end - start;
    if (n <= 0) return;
    if (this.source === null && this.rowFill === 0) {
      this.source = bytes;
      this.sourceStart = start;
      this.sourceEnd = end;
      return;
    }
    if (this.source !== null) {
      const held = this.source;
      this.source = null;
      this.append(held, this.sourceStart, this.sourceEnd);
    }
    this.append(bytes, start, end);
  }

  private append(bytes: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.rowFill + n > this.row.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.row.length * 2, this.rowFill + n));
      this.row.copy(bigger, 0, 0, this.rowFill);
      this.row = bigger;
    }
    bytes.copy(this.row, this.rowFill, start, end);
    this.rowFill += n;
  }

  rowEnd(source: Buffer, keyStart: number, keyEnd: number): void {
    const inPlace = this.source !== null;
    const row = inPlace ? this.source! : this.row;
    const from = inPlace ? this.sourceStart : 0;
    const to = inPlace ? this.sourceEnd : this.rowFill;
    const f = this.fields;
    f.split(row, from, to);
    let i = 0;
    // One closure per row, not per value: it reads which column failed from `i`.
    const refuse = (why: string): never => {
      const keyFields = keyEnd > keyStart ? source.toString('latin1', keyStart, keyEnd).split(',') : [];
      throw parquetRefusal(this.options.table, this.options.rowName(keyFields, this.rows + 1), this.columns[i]!.spec.name, f.text(row, i) ?? 'NULL', why);
    };
    for (; i < this.columns.length; i++) this.columns[i]!.push(row, f, i, refuse);
    this.rows++;
    this.groupCsvBytes += to - from;
    this.rowFill = 0;
    this.source = null;
    if (this.columns[0]!.length >= this.maxRows || this.groupCsvBytes >= this.maxCsvBytes) this.sendGroup();
  }

  sync(): void {
    this.out.sync();
  }

  /**
   * Writes encoded row groups to the assembler in order, waiting while more than
   * ROW_GROUPS_IN_FLIGHT are encoding. `final`: the source has ended; the last row group is sent and
   * every one written (for an empty day, the schema is learnt from an empty one), so finish() can follow.
   */
  async flush(final: boolean): Promise<void> {
    if (final && (this.columns[0]!.length > 0 || (this.template === null && this.pending.length === 0))) this.sendGroup();
    for (;;) {
      const head = this.pending[0];
      if (!head) return;
      if (head.file === null && head.failed === null && !final && this.pending.length <= ROW_GROUPS_IN_FLIGHT) return;
      await head.done;
      this.pending.shift();
      if (head.failed) throw head.failed;
      this.writeGroup(head.file!, head.rows);
    }
  }

  take(): BuiltPart[] {
    return this.out.take();
  }

  finish(): BuiltPart {
    if (this.columns[0]!.length > 0 || this.pending.length > 0 || this.template === null) throw new Error('ParquetRowGroups.finish before flush(true)');
    this.startFile();
    this.out.data(footer({ template: this.template, rowGroups: this.rowGroups, numRows: this.rows, jsonColumns: this.jsonColumns }));
    const last = this.out.finish();
    // The assembler counts no rows (see the class comment): the file's rows are this encoder's.
    return { ...last, rows: this.rows };
  }

  private startFile(): void {
    if (this.written > 0) return;
    this.out.data(PARQUET_MAGIC);
    this.written = PARQUET_MAGIC.length;
  }

  /** Sends the rows held to the Parquet thread as one row group (none: to learn the schema's footer). */
  private sendGroup(): void {
    const A = arrow();
    const rows = this.columns[0]!.length;
    const fields = this.columns.map((c) => A.Field.new({ name: c.spec.name, type: c.arrowType(), nullable: true }));
    const data = A.makeData({ type: new A.Struct(fields), length: rows, nullCount: 0, children: this.columns.map((c) => c.toData()) });
    const ipc = A.tableToIPC(new A.Table([new A.RecordBatch(new A.Schema(fields), data)]), 'stream');
    for (const c of this.columns) c.reset();
    this.groupCsvBytes = 0;
    const group: PendingGroup = { rows, file: null, failed: null, done: Promise.resolve() };
    group.done = encodeRowGroup({ ipc, compression: this.options.compression, maxRows: this.maxRows, createdBy: CREATED_BY }).then(
      (file) => void (group.file = file),
      (err: unknown) => void (group.failed = err instanceof Error ? err : new Error(String(err))),
    );
    this.pending.push(group);
  }

  /** Appends one encoded row group's column chunks and keeps its metadata for the footer. */
  private writeGroup(file: Uint8Array, rows: number): void {
    if (rows === 0) {
      this.template ??= fileMetadata(file);
      return;
    }
    const { bytes, rowGroup, meta } = rowGroupOf(file);
    this.template ??= meta;
    this.startFile();
    this.rowGroups.push(encodedRowGroup(moved(rowGroup, BigInt(this.written))));
    this.out.data(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    this.written += bytes.length;
    // The assembler has copied the chunks: free the row group's file now, not at the next collection.
    (file.buffer as ArrayBuffer).transfer(0);
  }
}

interface PendingGroup {
  rows: number;
  file: Uint8Array | null;
  failed: Error | null;
  done: Promise<void>;
}
