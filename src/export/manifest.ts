import { manifestFormat } from './formats/manifest-format.js';
import type { ExportPlan, FilePlan } from './plan.js';
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
  /** csv_gzip: the CSV's size before compression. */
  uncompressedBytes?: number | null;
}

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
    settings: f.plan.settings,
    integrationId: f.integrationId,
    appId: f.plan.appId,
    workflowId: f.workflowId,
    runId: f.runId,
    exportedAt: f.exportedAt.toISOString(),
  };
}
