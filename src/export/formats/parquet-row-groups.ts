import { gzipSync, zstdCompressSync } from 'node:zlib';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { CompressionCodec } from 'hyparquet';
import type { BuiltPart, PartAssembler } from '../part-assembler.js';
import type { ColumnSpec, TableName } from '../tables.js';
import type { ParquetCompression } from './format.js';
import { parquetColumns, parquetRefusal, type ParquetColumn, type ParquetValue } from './parquet-columns.js';
import type { PartSink } from './part-sink.js';
import { CsvFields } from './pg-csv-fields.js';

/**
 * Row groups close at whichever comes first. Rows: DuckDB's own default row group (122,880 rows), a
 * size every reader handles well and large enough for column statistics to prune. CSV bytes: the
 * bound that keeps the worker's memory flat, since a row group's values are held until it is
 * encoded, as JS values several times their CSV size, and hyparquet-writer's encoding buffers come on
 * top; a wide ua_events row group then has a few thousand rows (docs/BENCHMARKS.md, "Formats").
 */
export const ROW_GROUP_MAX_ROWS = 122_880;
export const ROW_GROUP_MAX_CSV_BYTES = 4 * 1024 * 1024;

const CODEC: Record<ParquetCompression, CompressionCodec> = { zstd: 'ZSTD', snappy: 'SNAPPY', gzip: 'GZIP', none: 'UNCOMPRESSED' };

const COMPRESSORS = {
  ZSTD: (input: Uint8Array) => zstdCompressSync(input),
  GZIP: (input: Uint8Array) => gzipSync(input),
};

/** No timestamp or host in the file's metadata: the same rows and settings give the same bytes. */
export const CREATED_BY = 'ua-export (hyparquet-writer)';

export const parquetEncoding = (compression: ParquetCompression): string =>
  `parquet/hyparquet-writer/${compression}/rg=${ROW_GROUP_MAX_ROWS},${ROW_GROUP_MAX_CSV_BYTES}/zlib=${process.versions.zlib ?? 'unknown'}/zstd=${process.versions.zstd ?? 'unknown'}`;

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
 * parquet: the CSV rows become typed columns, encoded a row group at a time by hyparquet-writer, and
 * each row group's bytes go to the part assembler as soon as they are written. The file's footer
 * (schema, row group offsets) comes last.
 *
 * A Parquet file cannot be resumed from the middle of its rows: the footer lists every row group
 * before it. So the part assembler never sees a row end, and every checkpoint's cursor is "from the
 * top, skipping N bytes": a retry reads and encodes the day again from its first row (the encoder is
 * deterministic) and uploads only the parts after the checkpoint, under the same part numbers.
 */
export class ParquetRowGroups implements PartSink {
  private readonly writer: ParquetWriter;
  private readonly bytes: ByteWriter & { flush?: () => void };
  private readonly columns: ParquetColumn[];
  private readonly fields: CsvFields;
  private values: ParquetValue[][];
  private toDrop: number;
  /** The current row's CSV bytes: rows arrive as data() calls, then rowEnd(). */
  private row: Buffer = Buffer.allocUnsafe(64 * 1024);
  private rowFill = 0;
  private groupRows = 0;
  private groupCsvBytes = 0;
  rows = 0;
  private readonly maxRows: number;
  private readonly maxCsvBytes: number;

  constructor(
    private readonly out: PartAssembler,
    private readonly options: ParquetRowGroupsOptions,
  ) {
    const { schema, columns } = parquetColumns(options.columns);
    this.columns = columns;
    this.fields = new CsvFields(columns.length);
    this.values = columns.map(() => []);
    this.toDrop = options.headerBytes;
    this.maxRows = options.maxRows ?? ROW_GROUP_MAX_ROWS;
    this.maxCsvBytes = options.maxCsvBytes ?? ROW_GROUP_MAX_CSV_BYTES;
    const bytes: ByteWriter & { flush?: () => void } = new ByteWriter();
    // Each row group's bytes leave as soon as it is written; `offset` keeps counting the file's bytes.
    bytes.flush = () => {
      if (bytes.index > 0) this.out.data(Buffer.from(bytes.buffer, 0, bytes.index));
      bytes.index = 0;
    };
    bytes.finish = bytes.flush;
    this.bytes = bytes;
    this.writer = new ParquetWriter({ writer: bytes, schema, codec: CODEC[options.compression], compressors: COMPRESSORS, createdBy: CREATED_BY });
  }

  data(bytes: Buffer, start = 0, end = bytes.length): void {
    if (this.toDrop > 0) {
      const n = Math.min(this.toDrop, end - start);
      this.toDrop -= n;
      start += n;
    }
    const n = end - start;
    if (n <= 0) return;
    if (this.rowFill + n > this.row.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.row.length * 2, this.rowFill + n));
      this.row.copy(bigger, 0, 0, this.rowFill);
      this.row = bigger;
    }
    bytes.copy(this.row, this.rowFill, start, end);
    this.rowFill += n;
  }

  rowEnd(source: Buffer, keyStart: number, keyEnd: number): void {
    const row = this.row;
    const f = this.fields;
    f.split(row, 0, this.rowFill);
    let i = 0;
    // One closure per row, not per value: it reads which column failed from `i`.
    const refuse = (why: string): never => {
      const keyFields = keyEnd > keyStart ? source.toString('latin1', keyStart, keyEnd).split(',') : [];
      throw parquetRefusal(this.options.table, this.options.rowName(keyFields, this.rows + 1), this.columns[i]!.name, f.text(row, i) ?? 'NULL', why);
    };
    for (; i < this.columns.length; i++) this.values[i]!.push(this.columns[i]!.convert(row, f, i, refuse));
    this.rows++;
    this.groupRows++;
    this.groupCsvBytes += this.rowFill;
    this.rowFill = 0;
    if (this.groupRows >= this.maxRows || this.groupCsvBytes >= this.maxCsvBytes) this.writeGroup();
  }

  sync(): void {
    this.out.sync();
  }

  take(): BuiltPart[] {
    return this.out.take();
  }

  finish(): BuiltPart {
    if (this.groupRows > 0) this.writeGroup();
    void this.writer.finish();
    const last = this.out.finish();
    // The assembler counts no rows (see the class comment): the file's rows are this encoder's.
    return { ...last, rows: this.rows };
  }

  private writeGroup(): void {
    const columnData = this.columns.map((c, i) => ({ name: c.name, data: this.values[i]! }));
    void this.writer.write({ columnData, rowGroupSize: this.groupRows });
    this.values = this.columns.map(() => []);
    this.groupRows = 0;
    this.groupCsvBytes = 0;
  }
}
