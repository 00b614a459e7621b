import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { PartBudget, PartBuffersExhausted, type PartLease } from '../src/export/part-budget.js';
import { exportTableDay } from '../src/export/export-table-day.js';
import { GatherLimitExceeded } from '../src/export/gather-rows.js';
import { contentType, DEFAULT_OUTPUT, formatOfKey } from '../src/export/formats/format.js';
import { buildManifest } from '../src/export/manifest.js';
import type { ExportPlan, FilePlan } from '../src/export/plan.js';
import { refusedRow } from '../src/export/query.js';
import { recordRunFinish, recordRunStart } from '../src/ledger/export-runs.js';
import { runSourceFingerprint } from '../src/ledger/fingerprints.js';
import { bytesExported, exportDurationSeconds, partUploadSeconds, rowsExported, scheduleLagSeconds } from '../src/metrics/export-metrics.js';
import { abortOtherUploads, deleteObject } from '../src/s3/multipart.js';
import { putFile } from '../src/s3/put-file.js';
import { fileLogger, identity, type ActivityDeps, type FileRun } from './deps.js';
import { fingerprintInSnapshot } from './source-fingerprint.js';
import { openStorage } from './storage.js';
import { sweepOrphans } from './sweep-orphans.js';
import { putSchemaAndManifest } from './write-manifest.js';

export interface ExportSmallFileInput extends FileRun {
  plan: ExportPlan;
  file: FilePlan;
  scheduledAt?: string;
}

/** `fits: false`: the file is larger than one part and nothing was written; the caller goes multipart. */
export type ExportSmallFileResult =
  { fits: false } | { fits: true; rows: number; bytes: number; parts: 1; partSize: number; sha256: string; etag: string; startedAt: string };

/** Thrown into the stream when a second part would be needed: stops the COPY, nothing has been uploaded. */
class LargerThanOnePart extends Error {}

/**
 * Part buffers of CSV an encoded format's probe gathers before encoding (src/export/gather-rows.ts),
 * when the budget has them free. One compressed part holds several parts' worth of CSV, so a day a
 * few parts of CSV long can still be one request; a longer day goes multipart with nothing encoded.
 */
export const PROBE_GATHER_PARTS = 3;

export function createExportSmallFile(deps: ActivityDeps) {
  const logFor = fileLogger(deps);
  // The worker's budget (createActivities shares one with uploadParts). A file that fits one part never
  // touches more than its own bytes of its buffer.
  const budget = deps.partBudget ?? new PartBudget(deps.partSize, 1 + PROBE_GATHER_PARTS);

  /**
   * A file that fits one part, in one activity: read it, then delete the old manifest, put the file in
   * one atomic PutObject, put its manifest and record it. The guarantees are those of the multipart
   * path (whole or not at all, manifest last, ledger after the manifest): a retried attempt redoes the
   * same idempotent overwrite. Reading is cancellable; once the first write starts the activity
   * finishes, so a cancel never leaves a visible file without its manifest or its ledger entry.
   */
  return async function exportSmallFile(input: ExportSmallFileInput): Promise<ExportSmallFileResult> {
    const ctx = Context.current();
    const log = logFor(input);
    const { file } = input;
    const startedAt = new Date().toISOString();
    await recordRunStart(deps.pool, { ...identity(input), kind: input.kind, objectKey: file.key, manifestKey: file.manifestKey });
    const { integration, s3, fail } = await openStorage(deps, input.integrationId, file.bucket);
    const beat = setInterval(() => ctx.heartbeat(), 2_000);
    const abort = new AbortController();
    const onCancel = () => abort.abort(new Error('activity cancelled'));
    ctx.cancellationSignal.addEventListener('abort', onCancel);
    let lease: PartLease | null = null;
    try {
      let body: { bytes: Buffer; contentMd5: string } | null = null;
      let read;
      try {
        // CSV: one buffer; a file whose first part fills is larger than a part (uploadPart below says
        // so and stops the read), which is all this read asks. An encoded format also gathers its CSV
        // first, in what else the budget can spare.
        const output = file.output ?? DEFAULT_OUTPUT;
        const encoded = output.format !== 'csv';
        lease = encoded ? await budget.acquire(2, 1 + PROBE_GATHER_PARTS, abort.signal, true) : await budget.acquire(1, 1, abort.signal, true);
        const held = lease;
        let gathered = 0;
        read = await exportTableDay({
          pool: deps.pool,
          table: input.table,
          day: input.day,
          integration,
          output,
          partSize: deps.partSize,
          // One part at a time: a full first part stops the read before a second one is cut.
          maxInFlight: 1,
          buffers: lease,
          resume: null,
          // All but the one buffer the encoded part is written into.
          ...(encoded ? { gatherFirst: () => (gathered < held.granted - 1 ? (gathered++, held.take(deps.partSize)) : null) } : {}),
          signal: abort.signal,
          // Lookback (issue 12): after the COPY, in its transaction: a file of one part costs it little,
          // and a file that turns out larger never pays for it (see same-snapshot.ts).
          sameSnapshot: fingerprintInSnapshot(deps, input, integration, log, { mode: 'after', fromStart: true }),
          uploadPart: async (partNumber, bytes, digest, signal) => {
            // Every part but the last is exactly partSize, so a shorter first part is the whole file.
            if (partNumber !== 1 || bytes.length >= deps.partSize) throw new LargerThanOnePart();
            // The part buffer goes back to the pool when the read ends: keep a copy of the file's bytes.
            body = { bytes: Buffer.from(bytes), contentMd5: digest };
            // Test-only, as in uploadParts: a slow file, so a test can cancel or kill it mid-way.
            if (deps.partDelayMs) await sleep(deps.partDelayMs, undefined, { signal });
            return 'pending';
          },
          onCheckpoint: () => undefined,
        });
      } catch (err) {
        if (err instanceof LargerThanOnePart || err instanceof PartBuffersExhausted || err instanceof GatherLimitExceeded) {
          log.info({ partSize: deps.partSize }, 'file larger than one part: multipart upload');
          return { fits: false };
        }
        throw err;
      } finally {
        // The file's bytes were copied out: its buffer can serve another file while this one is written.
        lease?.release();
      }
      const whole = body as { bytes: Buffer; contentMd5: string } | null;
      if (!whole || read.sha256 === null) throw new Error('one-part read ended without its part');
      ctx.cancellationSignal.removeEventListener('abort', onCancel);

      let etag: string;
      try {
        // An older manifest must not vouch for the object about to be replaced.
        await deleteObject(s3, file.bucket, file.manifestKey);
        // The one request is the file's one part: it counts in the part-upload histogram like any part.
        const timer = partUploadSeconds.startTimer({ table: input.table });
        etag = await putFile(s3, {
          bucket: file.bucket,
          key: file.key,
          body: whole.bytes,
          contentMd5: whole.contentMd5,
          contentType: contentType(formatOfKey(file.key)),
        });
        timer();
        const manifest = buildManifest({
          plan: input.plan,
          file,
          table: input.table,
          day: input.day,
          integrationId: input.integrationId,
          workflowId: input.workflowId,
          runId: input.runId,
          rows: read.rows,
          bytes: read.bytes,
          parts: 1,
          partSize: deps.partSize,
          sha256: read.sha256,
          etag,
          uncompressedBytes: read.uncompressedBytes,
          exportedAt: new Date(),
          sourceFingerprint: await runSourceFingerprint(deps.pool, identity(input)),
        });
        await putSchemaAndManifest(s3, file, manifest);
        // Uploads an earlier multipart attempt of this key left open are garbage now; uploads of other
        // days are swept as every file start does (README, "No orphaned uploads").
        await abortOtherUploads(s3, file.bucket, file.key);
      } catch (err) {
        return fail(err);
      }
      await sweepOrphans(deps, input, integration, s3, log);
      await recordRunFinish(deps.pool, identity(input), { status: 'succeeded', rows: read.rows, bytes: read.bytes, parts: 1, sha256: read.sha256 });
      log.info({ rows: read.rows, bytes: read.bytes, parts: 1, sha256: read.sha256, singleRequest: true }, 'file exported');
      const now = Date.now();
      rowsExported.inc({ table: input.table }, read.rows);
      bytesExported.inc({ table: input.table }, read.bytes);
      exportDurationSeconds.observe({ table: input.table, kind: input.kind }, (now - Date.parse(startedAt)) / 1000);
      if (input.scheduledAt) scheduleLagSeconds.observe({ table: input.table }, (now - Date.parse(input.scheduledAt)) / 1000);
      return { fits: true, rows: read.rows, bytes: read.bytes, parts: 1, partSize: deps.partSize, sha256: read.sha256, etag, startedAt };
    } catch (err) {
      if (ctx.cancellationSignal.aborted && abort.signal.aborted) throw ctx.cancellationSignal.reason ?? err;
      const refused = refusedRow(err);
      if (refused) throw ApplicationFailure.nonRetryable(refused, 'RowRefused');
      throw err;
    } finally {
      clearInterval(beat);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
      s3.destroy();
    }
  };
}
