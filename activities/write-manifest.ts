import { tableSchemaKey } from '../src/export/keys.js';
import { buildManifest, jsonLine } from '../src/export/manifest.js';
import type { ExportPlan, FilePlan } from '../src/export/plan.js';
import { putIfChanged, putObject } from '../src/s3/multipart.js';
import { runSourceFingerprint } from '../src/ledger/fingerprints.js';
import { identity, type ActivityDeps, type FileRun } from './deps.js';
import { openStorage } from './storage.js';

export interface ManifestInput extends FileRun {
  plan: ExportPlan;
  file: FilePlan;
  rows: number;
  bytes: number;
  parts: number;
  /**
   * The part size uploadParts used. Absent when that uploadParts ran on a worker that did not report
   * it (a run in flight across the upgrade): this worker's part size is the best record left.
   */
  partSize?: number;
  sha256: string;
  etag: string;
  /** csv_gzip: the CSV's size before compression (completeFile's figure). */
  uncompressedBytes?: number | null;
}

export function createWriteManifest(deps: ActivityDeps) {
  /**
   * Written last: a manifest's presence means its file is whole. The table folder's _schema.json goes
   * first, so a tree whose newest manifest says a column exists also has a schema that names it.
   */
  return async function writeManifest(input: ManifestInput): Promise<void> {
    const { s3, fail } = await openStorage(deps, input.integrationId, input.file.bucket);
    // Issue 12 (lookback): the fingerprint this attempt recorded as it started reading.
    const sourceFingerprint = await runSourceFingerprint(deps.pool, identity(input));
    const manifest = buildManifest({ ...input, partSize: input.partSize ?? deps.partSize, exportedAt: new Date(), sourceFingerprint });
    try {
      await putIfChanged(s3, input.file.bucket, tableSchemaKey(input.file.manifestKey), jsonLine(manifest.schema), 'application/json');
      await putObject(s3, input.file.bucket, input.file.manifestKey, jsonLine(manifest), 'application/json');
    } catch (err) {
      fail(err);
    } finally {
      s3.destroy();
    }
  };
}
