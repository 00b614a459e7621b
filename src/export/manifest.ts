import { manifestFormat } from './formats/manifest-format.js';
import type { ExportPlan, FilePlan } from './plan.js';
import { tableSchema } from './table-schema.js';
import { SCHEMA_VERSION, windowColumn, type TableName } from './tables.js';

export interface ManifestFacts {
  plan: ExportPlan;
  file: FilePlan;
  table: TableName;
  day: string;
  integrationId: string;
  workflowId: string;
  runId: string;
  rows: number;
  bytes: number;
  parts: number;
  partSize: number;
  sha256: string;
  etag: string;
  exportedAt: Date;
  /** Issue 12 (lookback): the source's fingerprint when the export started reading (src/export/fingerprint.ts); null when not recorded. */
  sourceFingerprint?: string | null;
  /** csv_gzip: the CSV's size before compression. */
  uncompressedBytes?: number | null;
}

/**
 * The manifest's keys in the order they are written: part of the format (README, "What a day's export
 * writes"), so a reader diffing or grepping manifests line by line sees them in the same place. Keys
 * in OPTIONAL_MANIFEST_KEYS appear only where they apply, in their place in this order.
 */
export const MANIFEST_KEYS = [
  'schemaVersion',
  'table',
  'day',
  'window',
  'bucket',
  'key',
  'rows',
  'bytes',
  'uncompressedBytes',
  'sha256',
  'etag',
  'parts',
  'partSize',
  'format',
  'columns',
  'schema',
  'settings',
  'integrationId',
  'appId',
  'workflowId',
  'runId',
  'exportedAt',
  'sourceFingerprint',
] as const;

/** A compressed file's size before compression: only in manifests of compressed formats. */
export const OPTIONAL_MANIFEST_KEYS: readonly string[] = ['uncompressedBytes'];

/** The `_manifest.json` that vouches for one exported file; its fields and their order are part of the format. */
export function buildManifest(f: ManifestFacts) {
  return {
    schemaVersion: SCHEMA_VERSION,
    table: f.table,
    day: f.day,
    window: { start: f.plan.window.start, end: f.plan.window.end, column: windowColumn(f.table) },
    bucket: f.file.bucket,
    key: f.file.key,
    rows: f.rows,
    bytes: f.bytes,
    // csv_gzip only, so a csv manifest keeps its fields exactly.
    ...(f.uncompressedBytes != null ? { uncompressedBytes: f.uncompressedBytes } : {}),
    sha256: f.sha256,
    etag: f.etag,
    parts: f.parts,
    partSize: f.partSize,
    format: manifestFormat(f.file.output),
    columns: f.file.columns,
    schema: tableSchema(f.table, f.plan.settings),
    settings: f.plan.settings,
    integrationId: f.integrationId,
    appId: f.plan.appId,
    workflowId: f.workflowId,
    runId: f.runId,
    exportedAt: f.exportedAt.toISOString(),
    sourceFingerprint: f.sourceFingerprint ?? null,
  };
}

/**
 * One JSON object on one line, then `\n`: manifests (and `_schema.json`) concatenated or collected
 * from a tree are NDJSON, which DuckDB, Spark, BigQuery and jq read as one row per object. JSON's
 * own key order is insertion order, so the order above is what is written.
 */
export function jsonLine(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value)}\n`, 'utf8');
}
