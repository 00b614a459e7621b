import type { Problem } from '../keys.js';

/**
 * The file formats a day can be delivered in, per integration. `csv` is the original contract, byte
 * for byte; `csv_gzip` is the same bytes gzipped; `parquet` is typed and column-compressed.
 */
export const FORMATS = ['csv', 'csv_gzip', 'parquet'] as const;
export type FileFormat = (typeof FORMATS)[number];

/** Parquet's column compression; the CSV formats have none to choose (gzip is the format itself). */
export const PARQUET_COMPRESSIONS = ['zstd', 'snappy', 'gzip', 'none'] as const;
export type ParquetCompression = (typeof PARQUET_COMPRESSIONS)[number];

export const DEFAULT_PARQUET_COMPRESSION: ParquetCompression = 'zstd';

/** What an integration stores and an export plan carries: compression is null unless the format is parquet. */
export interface OutputFormat {
  format: FileFormat;
  compression: ParquetCompression | null;
}

export const DEFAULT_OUTPUT: OutputFormat = { format: 'csv', compression: null };

export function isFileFormat(value: string): value is FileFormat {
  return (FORMATS as readonly string[]).includes(value);
}

export function isParquetCompression(value: string): value is ParquetCompression {
  return (PARQUET_COMPRESSIONS as readonly string[]).includes(value);
}

/** The data file's name ending: readers and globs (`*.parquet`) go by it. */
export function fileExtension(format: FileFormat): string {
  switch (format) {
    case 'csv':
      return '.csv';
    case 'csv_gzip':
      return '.csv.gz';
    case 'parquet':
      return '.parquet';
  }
}

/** The format a data key was planned with, from its extension (keys.ts objectKeys). */
export function formatOfKey(key: string): FileFormat {
  if (key.endsWith('.csv.gz')) return 'csv_gzip';
  if (key.endsWith('.parquet')) return 'parquet';
  return 'csv';
}

/**
 * The name a downloaded data file gets: its object's own name (`ua_events_2026-03-04.csv.gz`), so the
 * extension always says the format the bytes are in, whichever format the day was exported in.
 */
export function downloadName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

export function contentType(format: FileFormat): string {
  switch (format) {
    case 'csv':
      return 'text/csv; charset=utf-8';
    case 'csv_gzip':
      return 'application/gzip';
    case 'parquet':
      return 'application/vnd.apache.parquet';
  }
}

export interface OutputFormatInput {
  format?: string | undefined;
  compression?: string | undefined;
}

/**
 * The format an integration ends up with after a create (no `current`) or a PATCH, or the problems
 * that refuse the request. Compression is Parquet's only: naming it for a CSV format is an error
 * rather than silently ignored, and switching to parquet without one picks the default.
 */
export function resolveOutputFormat(input: OutputFormatInput, current: OutputFormat = DEFAULT_OUTPUT): { value: OutputFormat; problems: Problem[] } {
  const problems: Problem[] = [];
  const format = input.format ?? current.format;
  if (!isFileFormat(format)) {
    problems.push({ field: 'format', rule: `must be one of ${FORMATS.join(', ')}` });
    return { value: current, problems };
  }
  if (input.compression !== undefined) {
    if (format !== 'parquet') {
      problems.push({
        field: 'compression',
        rule: `applies to the parquet format only; format is ${format}${format === 'csv_gzip' ? ' (gzip is the format itself)' : ''}`,
      });
    } else if (!isParquetCompression(input.compression)) {
      problems.push({ field: 'compression', rule: `must be one of ${PARQUET_COMPRESSIONS.join(', ')}` });
    }
  }
  if (problems.length > 0) return { value: current, problems };
  if (format !== 'parquet') return { value: { format, compression: null }, problems };
  const compression = (input.compression as ParquetCompression | undefined) ?? current.compression ?? DEFAULT_PARQUET_COMPRESSION;
  return { value: { format, compression }, problems };
}
