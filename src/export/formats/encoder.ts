import type { PartAssembler } from '../part-assembler.js';
import { tableSpec, type ColumnSpec, type TableName } from '../tables.js';
import type { OutputFormat } from './format.js';
import { GZIP_ENCODING, GzipMembers } from './gzip-members.js';
import { parquetEncoding, ParquetRowGroups } from './parquet-row-groups.js';
import type { PartSink } from './part-sink.js';

/** How one file's CSV stream becomes the stored bytes of its format. */
export interface FileEncoder {
  /** streamParts' hook; absent for csv, whose bytes are the file. */
  encode?: (assembler: PartAssembler) => PartSink;
  /**
   * Names everything the stored bytes depend on besides the rows (format, settings, library
   * versions). A checkpoint is resumed only under the same encoding: anything else could splice
   * differently encoded bytes into one file.
   */
  encoding: string;
  /** The CSV bytes the encoder compressed (csv_gzip, from the top of the file), else null. */
  uncompressedBytes(): number | null;
}

/** The encoding a file of this format gets (FileEncoder.encoding), without building its encoder. */
export function encodingOf(output: OutputFormat): string {
  switch (output.format) {
    case 'csv':
      return 'csv';
    case 'csv_gzip':
      return GZIP_ENCODING;
    case 'parquet':
      return parquetEncoding(output.compression ?? 'zstd');
  }
}

export function fileEncoder(output: OutputFormat, file: { table: TableName; columns: readonly ColumnSpec[]; headerBytes: number }): FileEncoder {
  switch (output.format) {
    case 'csv':
      return { encoding: encodingOf(output), uncompressedBytes: () => null };
    case 'csv_gzip': {
      let members: GzipMembers | null = null;
      return {
        encode: (assembler) => (members = new GzipMembers(assembler)),
        encoding: encodingOf(output),
        uncompressedBytes: () => members?.uncompressedBytes ?? null,
      };
    }
    case 'parquet': {
      const compression = output.compression ?? 'zstd';
      const spec = tableSpec(file.table);
      const rowName = (keyFields: string[], rowNumber: number) =>
        spec.keyColumns.length > 0
          ? spec.keyColumns.map((k, j) => `${k.name}=${keyFields[j] ?? '?'}`).join(', ')
          : `number ${rowNumber} of the day in (${spec.orderBy.join(', ')}) order`;
      return {
        encode: (assembler) =>
          new ParquetRowGroups(assembler, { table: file.table, columns: file.columns, compression, headerBytes: file.headerBytes, rowName }),
        encoding: encodingOf(output),
        uncompressedBytes: () => null,
      };
    }
  }
}
