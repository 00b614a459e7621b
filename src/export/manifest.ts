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
  /** Issue 12 (lookback): the source's fingerprint when the export started reading (src/export/fingerprint.ts); null when not recorded. */
  sourceFingerprint?: string | null;
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
    sha256: f.sha256,
    etag: f.etag,
    parts: f.parts,
    partSize: f.partSize,
    format: { type: 'csv', encoding: 'utf-8', delimiter: ',', lineEnding: '\n', header: true, null: '' },
    columns: f.file.columns,
    settings: f.plan.settings,
    integrationId: f.integrationId,
    appId: f.plan.appId,
    workflowId: f.workflowId,
    runId: f.runId,
    exportedAt: f.exportedAt.toISOString(),
    sourceFingerprint: f.sourceFingerprint ?? null, // issue 12 (lookback)
  };
}
