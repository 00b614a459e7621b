import { contentType, formatOfKey } from '../src/export/formats/format.js';
import { recordRunStart, recordUploadId } from '../src/ledger/export-runs.js';
import { abortOtherUploads, createUpload } from '../src/s3/multipart.js';
import { fileLogger, identity, type ActivityDeps, type FileRun } from './deps.js';
import { openStorage, whileAlive } from './storage.js';
import { sweepOrphans } from './sweep-orphans.js';

export interface StartFileInput extends FileRun {
  bucket: string;
  key: string;
  manifestKey: string;
}

export function createStartFile(deps: ActivityDeps) {
  const logFor = fileLogger(deps);
  /**
   * Records the attempt, clears uploads a crashed attempt left open for this key, sweeps the
   * integration's folder for uploads of other days that no live workflow owns, opens a new one.
   */
  return async function startFile(input: StartFileInput): Promise<{ uploadId: string; startedAt: string }> {
    return whileAlive(async () => {
      await recordRunStart(deps.pool, { ...identity(input), kind: input.kind, objectKey: input.key, manifestKey: input.manifestKey });
      const { integration, s3, fail } = await openStorage(deps, input.integrationId, input.bucket, { short: true });
      const log = logFor(input);
      try {
        await abortOtherUploads(s3, input.bucket, input.key);
        // Hygiene, not delivery: a failed sweep is logged and retried by the next file's start.
        await sweepOrphans(deps, input, integration, s3, log);
        const uploadId = await createUpload(s3, input.bucket, input.key, contentType(formatOfKey(input.key)));
        await recordUploadId(deps.pool, identity(input), uploadId);
        return { uploadId, startedAt: new Date().toISOString() };
      } catch (err) {
        return fail(err);
      } finally {
        s3.destroy();
      }
    });
  };
}
