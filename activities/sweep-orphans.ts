import { MAX_LIVE_UPLOAD_AGE_MS } from '../src/export/recovery-bounds.js';
import { orphanUploadsAborted } from '../src/metrics/export-metrics.js';
import type { abortOtherUploads } from '../src/s3/multipart.js';
import { sweepOrphanUploads } from '../src/s3/orphan-uploads.js';
import { exportWorkflowId } from '../src/temporal/ids.js';
import type { ActivityDeps, FileRun, fileLogger } from './deps.js';

/** The orphaned-upload sweep of a file start: hygiene, never a reason to fail a delivered file. */
export async function sweepOrphans(
  deps: ActivityDeps,
  input: Pick<FileRun, 'integrationId' | 'day'>,
  integration: { bucket: string; folder: string },
  s3: Parameters<typeof abortOtherUploads>[0],
  log: ReturnType<ReturnType<typeof fileLogger>>,
): Promise<void> {
  try {
    const swept = await sweepOrphanUploads({
      s3,
      bucketField: integration.bucket,
      folder: integration.folder,
      currentDay: input.day,
      workflowIdOf: (day) => exportWorkflowId(input.integrationId, day),
      workflowRunning: deps.workflowRunning ?? (() => Promise.resolve(null)),
      maxLiveAgeMs: MAX_LIVE_UPLOAD_AGE_MS,
      now: new Date(),
    });
    for (const u of swept.aborted) orphanUploadsAborted.inc({ reason: u.reason });
    if (swept.aborted.length > 0)
      log.info({ aborted: swept.aborted.map((u) => ({ key: u.key, day: u.day, reason: u.reason })), keptLive: swept.keptLive }, 'orphaned uploads aborted');
  } catch (err) {
    log.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'orphaned-upload sweep failed; the next file start retries it');
  }
}
