/**
 * The file formats the loading recipes cover, with each one's data-file extension. The recipes glob
 * on the extension, which is what keeps `_manifest.json` and `_schema.json` out of the data.
 * One small list on purpose: when the export's own format module lands, this points at it.
 */
export const LOADING_FORMATS = [
  { format: 'csv', extension: '.csv', label: 'CSV' },
  { format: 'csv_gzip', extension: '.csv.gz', label: 'gzipped CSV' },
  { format: 'parquet', extension: '.parquet', label: 'Parquet' },
] as const;

export type LoadingFormat = (typeof LOADING_FORMATS)[number];
export type FormatName = LoadingFormat['format'];

export function loadingFormat(format: FormatName): LoadingFormat {
  return LOADING_FORMATS.find((f) => f.format === format)!;
}
