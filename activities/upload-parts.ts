import { ApplicationFailure, Context } from '@temporalio/activity';
import type { S3Client } from '@aws-sdk/client-s3';
import { MIN_MULTIPART_BUFFERS, PartBudget, type PartLease } from '../src/export/part-budget.js';
import { encodingOf } from '../src/export/formats/encoder.js';
import { DEFAULT_OUTPUT, type OutputFormat } from '../src/export/formats/format.js';
import { exportTableDay } from '../src/export/export-table-day.js';
import { refusedRow } from '../src/export/query.js';
import type { Checkpoint, UploadedPart } from '../src/export/stream-parts.js';
import { partsRebuilt, partUploadSeconds, uploadResumes } from '../src/metrics/export-metrics.js';
import { uploadedPartNumbers, uploadPart } from '../src/s3/multipart.js';
import type { Logger } from '../src/logging.js';
import type { PartChecksum } from '../src/s3/part-checksum.js';
import { fileLogger, type ActivityDeps, type FileRun } from './deps.js';
import { fingerprintInSnapshot } from './source-fingerprint.js';
import { openStorage } from './storage.js';

export interface UploadPartsInput extends FileRun {
  bucket: string;
  key: string;
  uploadId: string;
  /** The plan's format (FilePlan.output); absent from workflows started before formats: csv. */
  output?: OutputFormat;
  /** The part checksum startFile created the upload with; absent from workflows started before it: md5. */
  checksum?: PartChecksum;
}

export interface UploadPartsResult {
  parts: UploadedPart[];
  rows: number;
  bytes: number;
  sha256: string | null;
  resumed: boolean;
  /** Bytes per part of this file, for its manifest. */
  partSize: number;
  /** csv_gzip's CSV size when this attempt compressed the whole file; null otherwise (completeFile reads it back). */
  uncompressedBytes?: number | null;
}

/**
 * What the activity heartbeats: the pipeline's checkpoint, plus the part size its parts were cut to,
 * so an attempt resumed on a worker configured differently still cuts the rest of the file alike.
 */
export type UploadCheckpoint = Checkpoint & { partSize?: number; encoding?: string };

/**
 * Parts uploading per file while the next one fills, unless the worker says otherwise
 * (UPLOAD_PARTS_IN_FLIGHT): overlaps S3 with Postgres while memory stays bounded at that + 1 part
 * buffers (figures in docs/BENCHMARKS.md).
 */
export const DEFAULT_PARTS_IN_FLIGHT = 2;

/**
 * A checkpoint rides on a throttled heartbeat, so a killed attempt may have landed parts the server
 * never heard of. The resumed attempt uploads them again (same part numbers, same bytes: the provider
 * keeps the last upload of a number, and completion lists only this build's ETags). Counting them
 * makes the work a kill cost visible. Only a report: a failed ListParts never stops the upload.
 */
async function reportRebuild(input: UploadPartsInput, resume: UploadCheckpoint, s3: S3Client, log: Logger): Promise<void> {
  uploadResumes.inc({ table: input.table });
  const resumeAfter = resume.parts.reduce((max, p) => Math.max(max, p.PartNumber), 0);
  try {
    const held = await uploadedPartNumbers(s3, input.bucket, input.key, input.uploadId);
    const rebuilt = held.filter((n) => n > resumeAfter).length;
    partsRebuilt.inc({ table: input.table }, rebuilt);
    log.info({ resumeAfterPart: resumeAfter, partsHeld: held.length, partsRebuilt: rebuilt }, 'parts rebuilt');
  } catch (err) {
    log.warn({ resumeAfterPart: resumeAfter, err: { message: err instanceof Error ? err.message : String(err) } }, 'parts rebuilt: unknown (ListParts failed)');
  }
}

export function createUploadParts(deps: ActivityDeps) {
  const logFor = fileLogger(deps);
  const partsInFlight = deps.partsInFlight ?? DEFAULT_PARTS_IN_FLIGHT;
  // The worker's budget (createActivities shares one); a bare call builds one file's worth.
  const budget = deps.partBudget ?? new PartBudget(deps.partSize, partsInFlight);

  /**
   * Streams the table-day out of Postgres and uploads it as equal-size parts. Heartbeats a checkpoint
   * after every part; a retried attempt resumes from the last one it finds.
   */
  return async function uploadParts(input: UploadPartsInput): Promise<UploadPartsResult> {
    const ctx = Context.current();
    const output = input.output ?? DEFAULT_OUTPUT;
    const checksum = input.checksum ?? 'md5';
    const encoding = encodingOf(output);
    const log = logFor(input);
    const found = (ctx.info.heartbeatDetails as UploadCheckpoint | undefined) ?? null;
    // Bytes encoded differently (another zlib, another writer version) must not be spliced onto the
    // parts already uploaded: such a checkpoint is dropped and the file rebuilt from part 1.
    const resume = found && (found.encoding ?? 'csv') !== encoding ? null : found;
    if (found && !resume)
      log.warn({ checkpointEncoding: found.encoding ?? 'csv', encoding }, 'checkpoint from another encoding; rebuilding the file from part 1');
    const partSize = resume?.partSize ?? deps.partSize;
    if (resume) log.info({ attempt: ctx.info.attempt, partsDone: resume.parts.length, bytesDone: resume.bytes }, 'resuming upload from checkpoint');
    const { integration, s3, fail } = await openStorage(deps, input.integrationId, input.bucket);
    if (resume) await reportRebuild(input, resume, s3, log);
    const abort = new AbortController();
    let last: UploadCheckpoint | null = resume;
    // Keep the heartbeat flowing while a slow part uploads; the throttled SDK sends at most one per interval.
    const beat = setInterval(() => ctx.heartbeat(last ?? undefined), 2_000);
    const onCancel = () => abort.abort(new Error('activity cancelled'));
    ctx.cancellationSignal.addEventListener('abort', onCancel);
    let lease: PartLease | null = null;
    try {
      // Waits, heartbeating, while other files hold the worker's part buffers; a cancel ends the wait.
      // A buffer per part in flight (streamParts): two overlap S3 with Postgres, one filling while the
      // other uploads; more let more parts upload at once.
      lease = await budget.acquire(Math.min(MIN_MULTIPART_BUFFERS, partsInFlight), partsInFlight, abort.signal);
      const result = await exportTableDay({
        pool: deps.pool,
        table: input.table,
        day: input.day,
        integration,
        partSize,
        maxInFlight: lease.granted,
        // A checkpoint cut to another part size (a worker configured differently) still counts against
        // the budget, but its buffers are its own: the budget's are all of this worker's size.
        ...(partSize === budget.partSize ? { buffers: lease } : {}),
        resume,
        output,
        signal: abort.signal,
        // Lookback (issue 12): taken beside the COPY in its snapshot, by the attempt that reads from the
        // first row only; a resumed attempt keeps the first one's (the rule: source-fingerprint.ts).
        sameSnapshot: fingerprintInSnapshot(deps, input, integration, log, { mode: 'concurrent', fromStart: resume === null }),
        checksum,
        uploadPart: async (partNumber, body, digest, abortSignal) => {
          const timer = partUploadSeconds.startTimer({ table: input.table });
          try {
            const etag = await uploadPart(s3, {
              bucket: input.bucket,
              key: input.key,
              uploadId: input.uploadId,
              partNumber,
              body,
              checksum,
              digest,
              abortSignal,
            });
            timer();
            if (deps.partDelayMs) await new Promise((r) => setTimeout(r, deps.partDelayMs));
            return etag;
          } catch (err) {
            if (abortSignal.aborted) throw err;
            return fail(err);
          }
        },
        onCheckpoint: (cp) => {
          last = { ...cp, partSize, encoding };
          ctx.heartbeat(last);
        },
      });
      log.info({ parts: result.parts.length, rows: result.rows, bytes: result.bytes }, 'parts uploaded');
      return { ...result, resumed: resume !== null, partSize };
    } catch (err) {
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? err;
      // A row the file format cannot hold exactly fails the same way on every attempt: say which, once.
      const refused = refusedRow(err);
      if (refused) throw ApplicationFailure.nonRetryable(refused, 'RowRefused');
      throw err;
    } finally {
      lease?.release();
      clearInterval(beat);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
      s3.destroy();
    }
  };
}
