import { fileExtension, type FileFormat } from './formats/format.js';
import type { TableName } from './tables.js';

/**
 * Where a day's files go. The integration's `bucket` field may carry folders
 * ("adapty-ua-events/com.sample-app"): the first segment is the bucket, the rest a key prefix.
 */
export interface BucketLocation {
  bucket: string;
  prefix: string;
}

export interface Problem {
  field: string;
  rule: string;
}

/** S3 bucket naming rules (the strictest common set: AWS general purpose buckets). */
export function bucketNameProblems(name: string, field = 'bucket'): Problem[] {
  const problems: Problem[] = [];
  const add = (rule: string) => problems.push({ field, rule });
  if (name.length < 3 || name.length > 63) add('bucket name must be 3 to 63 characters long');
  if (!/^[a-z0-9.-]*$/.test(name)) add('bucket name may contain only lowercase letters, digits, dots and hyphens');
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) add('bucket name must begin and end with a letter or digit');
  if (name.includes('..')) add('bucket name must not contain two adjacent dots');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) add('bucket name must not be formatted as an IP address');
  if (['xn--', 'sthree-', 'amzn-s3-demo-'].some((p) => name.startsWith(p))) add('bucket name must not start with "xn--", "sthree-" or "amzn-s3-demo-"');
  if (['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'].some((p) => name.endsWith(p))) {
    add('bucket name must not end with "-s3alias", "--ol-s3", ".mrap", "--x-s3" or "--table-s3"');
  }
  return problems;
}

function segmentProblems(path: string, field: string): Problem[] {
  const segments = path.split('/').filter((s) => s !== '');
  const problems: Problem[] = [];
  for (const s of segments) {
    if (s === '.' || s === '..') problems.push({ field, rule: 'folder segments must not be "." or ".."' });
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this check rejects
    if (/[\u0000-\u001f\u007f\\]/.test(s)) problems.push({ field, rule: 'folder must not contain control characters or backslashes' });
  }
  if (path.length > 512) problems.push({ field, rule: 'folder path must be at most 512 characters' });
  return problems;
}

export function folderProblems(folder: string, field = 'folder'): Problem[] {
  return segmentProblems(folder, field);
}

export function parseBucket(value: string): BucketLocation {
  const segments = value.split('/').filter((s) => s !== '');
  const [bucket = '', ...rest] = segments;
  return { bucket, prefix: rest.join('/') };
}

export function bucketProblems(value: string, field = 'bucket'): Problem[] {
  const { bucket, prefix } = parseBucket(value);
  return [...bucketNameProblems(bucket, field), ...segmentProblems(prefix, field)];
}

/** Joins key segments, dropping empty ones and stray slashes, so no key ever has `//` or a leading `/`. */
export function joinKey(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter((s) => s !== '')
    .join('/');
}

export interface ObjectKeys {
  bucket: string;
  /** Folder that holds the day's file and manifest: `<prefix>/<folder>/<table>/dt=<day>`. */
  dir: string;
  dataKey: string;
  manifestKey: string;
}

/** The data key's name ends with the format's extension (.csv, .csv.gz, .parquet), so globs and readers can tell them apart. */
export function objectKeys(bucketField: string, folder: string, table: TableName, day: string, format: FileFormat = 'csv'): ObjectKeys {
  const { bucket, prefix } = parseBucket(bucketField);
  const dir = joinKey(prefix, folder, table, `dt=${day}`);
  return {
    bucket,
    dir,
    dataKey: `${dir}/${table}_${day}${fileExtension(format)}`,
    manifestKey: `${dir}/_manifest.json`,
  };
}

/**
 * `<prefix>/<folder>/<table>/_schema.json`: the table folder's schema, next to its `dt=` folders.
 * Taken from a planned day's manifest key (`<table folder>/dt=<day>/_manifest.json`), so it lands in
 * the same tree as the files that plan wrote even if the integration's folder changed since.
 */
export function tableSchemaKey(manifestKey: string): string {
  const segments = manifestKey.split('/');
  if (segments.length < 3 || !segments.at(-2)!.startsWith('dt=')) throw new RangeError(`not a day's manifest key: ${manifestKey}`);
  return [...segments.slice(0, -2), '_schema.json'].join('/');
}
