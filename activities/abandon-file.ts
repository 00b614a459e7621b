import { recordRunFinish } from '../src/ledger/export-runs.js';
import { classifyStorageError } from '../src/s3/errors.js';
import { abortOtherUploads, abortUpload } from '../src/s3/multipart.js';
import { exportFailures } from '../src/metrics/export-metrics.js';
import { fileLogger, identity, type ActivityDeps, type FileRun } from './deps.js';
import { openStorage, whileAlive } from './storage.js';

export interface AbandonFileInput extends FileRun {
  bucket: string;
  key: string;
  uploadId: string | null;
  error: string;
  reason: string;
  cancelled: boolean;
}

export function createAbandonFile(deps: ActivityDeps) {
  const logFor = fileLogger(deps);
  /** Aborts the open upload (so no partial file can ever appear) and records why the file failed. */
  return async function abandonFile(input: AbandonFileInput): Promise<void> {
    return whileAlive(async () => {
      // Abort every open upload of the key, not only ours: a start that was cancelled mid-call may have
      // opened one whose id never reached the workflow. The day's workflow id is exclusive, so no other
      // live export owns an upload of this key.
      // Without the integration or its credentials nothing can be aborted, but the failure is still recorded.
      const storage = await openStorage(deps, input.integrationId, input.bucket, { short: true }).catch(() => null);
      if (storage) {
        try {
          if (input.uploadId) await abortUpload(storage.s3, input.bucket, input.key, input.uploadId);
          await abortOtherUploads(storage.s3, input.bucket, input.key);
        } catch (err) {
          // Bad credentials can't abort anything; anything else is worth a retry.
          const c = classifyStorageError(err, { endpoint: '', bucket: input.bucket });
          if (c.kind === 'transient') throw err;
        } finally {
          storage.s3.destroy();
        }
      }
      await recordRunFinish(deps.pool, identity(input), { status: input.cancelled ? 'cancelled' : 'failed', error: input.error });
      logFor(input)[input.cancelled ? 'info' : 'warn'](
        { reason: input.cancelled ? 'Cancelled' : input.reason, error: input.error },
        input.cancelled ? 'file cancelled' : 'file failed',
      );
      exportFailures.inc({ table: input.table, reason: input.cancelled ? 'Cancelled' : input.reason });
    });
  };
}
