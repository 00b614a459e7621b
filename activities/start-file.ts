import { randomUUID } from 'node:crypto';
import { contentType, formatOfKey } from '../src/export/formats/format.js';
import { recordRunStart, recordUploadId } from '../src/ledger/export-runs.js';
import { joinKey, parseBucket } from '../src/export/keys.js';
import { abortOtherUploads, createUpload } from '../src/s3/multipart.js';
import { PartChecksums, type PartChecksum } from '../src/s3/part-checksum.js';
import { fileLogger, identity, type ActivityDeps, type FileRun } from './deps.js';
import { openStorage, whileAlive } from './storage.js';
import { sweepOrphans } from './sweep-orphans.js';

export interface StartFileInput extends FileRun {
  bucket: string;
  key: string;
  manifestKey: string;
}

export interface StartedFile {
  uploadId: string;
  startedAt: string;
  /**
   * How the upload's parts prove their bytes (src/s3/part-checksum.ts); uploadParts must use the same.
   * Always set now; absent in results recorded before it (md5).
   */
  checksum?: PartChecksum;
}

export function createStartFile(deps: ActivityDeps) {
  const logFor = fileLogger(deps);
  const checksums = deps.partChecksums ?? new PartChecksums();
  /**
   * Records the attempt, clears uploads a crashed attempt left open for this key, sweeps the
   * integration's folder for uploads of other days that no live workflow owns, opens a new one.
   */
  return async function startFile(input: StartFileInput): Promise<StartedFile> {
    return whileAlive(async () => {
      await recordRunStart(deps.pool, { ...identity(input), kind: input.kind, objectKey: input.key, manifestKey: input.manifestKey });
      const { integration, s3, fail, storage } = await openStorage(deps, input.integrationId, input.bucket, { short: true });
      const log = logFor(input);
      try {
        await abortOtherUploads(s3, input.bucket, input.key);
        // Hygiene, not delivery: a failed sweep is logged and retried by the next file's start.
        await sweepOrphans(deps, input, integration, s3, log);
        // Once per bucket per worker process; a probe object goes where test-connection puts its own.
        const probeKey = joinKey(parseBucket(integration.bucket).prefix, integration.folder, '_ua_export_probe', randomUUID(), 'part-checksum.txt');
        const choice = await checksums.choose(s3, { endpoint: storage.endpoint, bucket: input.bucket, accessKeyId: storage.accessKeyId }, probeKey);
        if (choice.probed) log.info({ partChecksum: choice.checksum, probeError: choice.probeError }, 'part checksum probed');
        const uploadId = await createUpload(s3, input.bucket, input.key, contentType(formatOfKey(input.key)), choice.checksum);
        await recordUploadId(deps.pool, identity(input), uploadId);
        return { uploadId, startedAt: new Date().toISOString(), checksum: choice.checksum };
      } catch (err) {
        return fail(err);
      } finally {
        s3.destroy();
      }
    });
  };
}
