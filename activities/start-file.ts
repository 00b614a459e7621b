import { recordRunStart, recordUploadId } from '../src/ledger/export-runs.js';
import { abortOtherUploads, createUpload } from '../src/s3/multipart.js';
import { identity, type ActivityDeps, type FileRun } from './deps.js';
import { openStorage } from './storage.js';

export interface StartFileInput extends FileRun {
  bucket: string;
  key: string;
  manifestKey: string;
}

export function createStartFile(deps: ActivityDeps) {
  /** Records the attempt, clears uploads a crashed attempt left open for this key, opens a new one. */
  return async function startFile(input: StartFileInput): Promise<{ uploadId: string; startedAt: string }> {
    await recordRunStart(deps.pool, { ...identity(input), kind: input.kind, objectKey: input.key, manifestKey: input.manifestKey });
    const { s3, fail } = await openStorage(deps, input.integrationId, input.bucket);
    try {
      await abortOtherUploads(s3, input.bucket, input.key);
      const uploadId = await createUpload(s3, input.bucket, input.key, 'text/csv; charset=utf-8');
      await recordUploadId(deps.pool, identity(input), uploadId);
      return { uploadId, startedAt: new Date().toISOString() };
    } catch (err) {
      return fail(err);
    } finally {
      s3.destroy();
    }
  };
}
