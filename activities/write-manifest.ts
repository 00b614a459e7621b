import type { S3Client } from '@aws-sdk/client-s3';
import { tableSchemaKey } from '../src/export/keys.js';
import { buildManifest, jsonLine } from '../src/export/manifest.js';
import type { ExportPlan, FilePlan } from '../src/export/plan.js';
import { putIfChanged, putObject } from '../src/s3/multipart.js';
import { runSourceFingerprint } from '../src/ledger/fingerprints.js';
import { identity, type ActivityDeps, type FileRun } from './deps.js';
import { openStorage, whileAlive } from './storage.js';

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

/**
 * The table folder's _schema.json, then the day's manifest: the one way both export paths (multipart
 * and single-request) finish a file, so neither can forget the schema or write the manifest first.
 */
export async function putSchemaAndManifest(
  s3: S3Client,
  file: Pick<FilePlan, 'bucket' | 'manifestKey'>,
  manifest: ReturnType<typeof buildManifest>,
): Promise<void> {
  await putIfChanged(s3, file.bucket, tableSchemaKey(file.manifestKey), jsonLine(manifest.schema), 'application/json');
  await putObject(s3, file.bucket, file.manifestKey, jsonLine(manifest), 'application/json');
}

export function createWriteManifest(deps: ActivityDeps) {
  /**
   * Written last: a manifest's presence means its file is whole. The table folder's _schema.json goes
   * first, so a tree whose newest manifest says a column exists also has a schema that names it.
   */
  return async function writeManifest(input: ManifestInput): Promise<void> {
    return whileAlive(async () => {
      // Issue 12 (lookback): the fingerprint this attempt recorded as it started reading.
      const sourceFingerprint = await runSourceFingerprint(deps.pool, identity(input));
      const manifest = buildManifest({ ...input, partSize: input.partSize ?? deps.partSize, exportedAt: new Date(), sourceFingerprint });
      const { s3, fail } = await openStorage(deps, input.integrationId, input.file.bucket, { short: true });
      try {
        await putSchemaAndManifest(s3, input.file, manifest);
      } catch (err) {
        fail(err);
      } finally {
        s3.destroy();
      }
    });
  };
}
