import { DEFAULT_OUTPUT, type OutputFormat } from './format.js';
import { DECIMAL_PRECISION, DECIMAL_SCALE } from './parquet-columns.js';
import { ROW_GROUP_MAX_CSV_BYTES, ROW_GROUP_MAX_ROWS } from './parquet-row-groups.js';

const CSV = { type: 'csv', encoding: 'utf-8', delimiter: ',', lineEnding: '\n', header: true, null: '' } as const;

/** The manifest's `format`: how to read the file's bytes. csv's is unchanged from before formats existed. */
export function manifestFormat(output: OutputFormat = DEFAULT_OUTPUT) {
  switch (output.format) {
    case 'csv':
      return CSV;
    case 'csv_gzip':
      // Several gzip members, one after the other: any gzip reader reads them as one CSV stream.
      return { ...CSV, compression: 'gzip' };
    case 'parquet':
      return {
        type: 'parquet',
        compression: output.compression ?? 'zstd',
        timestamps: 'TIMESTAMP(MICROS, UTC)',
        decimals: `DECIMAL(${DECIMAL_PRECISION},${DECIMAL_SCALE})`,
        rowGroup: { maxRows: ROW_GROUP_MAX_ROWS, maxCsvBytes: ROW_GROUP_MAX_CSV_BYTES },
      };
  }
}
