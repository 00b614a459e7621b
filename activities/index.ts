import { Context, ApplicationFailure } from '@temporalio/activity';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Keyring } from '../src/crypto/secrets.js';
import type { Pool } from '../src/db/pool.js';
import { BufferPool } from '../src/export/buffer-pool.js';
import { CopyRows } from '../src/export/copy-rows.js';
import { dayWindow } from '../src/export/days.js';
import { objectKeys } from '../src/export/keys.js';
import { eventKey, ordinalKey } from '../src/export/part-assembler.js';
import { BEGIN_EXPORT_READ, buildCopy, keyColumnCount } from '../src/export/query.js';
import { streamParts, type Checkpoint, type UploadedPart } from '../src/export/stream-parts.js';
import { columnNames, SCHEMA_VERSION, type TableName } from '../src/export/tables.js';
import { csvHeader } from '../src/export/csv.js';
import type { ExportSettings } from '../src/export/settings.js';
import { IntegrationNotFound, loadStorageConfig, setLastStatus, getIntegration } from '../src/integrations/repo.js';
import { recordRunFinish, recordRunStart, recordUploadId, type RunIdentity, type RunKind } from '../src/ledger/export-runs.js';
import { createS3Client } from '../src/s3/client.js';
import { classifyStorageError } from '../src/s3/errors.js';
import { abortOtherUploads, abortUpload, completeUpload, createUpload, deleteObject, putJson, sha256OfObject, uploadPart } from '../src/s3/multipart.js';
import { SecretError } from '../src/crypto/secrets.js';
import { createLogger, type Logger } from '../src/logging.js';
import { bytesExported, exportDurationSeconds, exportFailures, partUploadSeconds, rowsExported, scheduleLagSeconds } from '../src/metrics/export-metrics.js';

/**
 * Activities: the only code that touches Postgres and the customer's storage. They take and return
 * ids, keys and counts; credentials are loaded and decrypted here, per call, and never returned.
 */
export interface ActivityDeps {
  pool: Pool;
  keyring: Keyring;
  /** JSON log lines carry integration id, table, day and workflow id; never a credential. */
  log?: Logger;
  /** Test-only: pause after each uploaded part, so a test can kill a worker mid-file. */
  partDelayMs?: number;
}

export interface FilePlan {
  table: TableName;
  bucket: string;
  key: string;
  manifestKey: string;
  columns: string[];
}

export interface ExportPlan {
  integrationId: string;
  appId: string;
  day: string;
  window: { start: string; end: string };
  endpoint: string;
  settings: ExportSettings;
  files: FilePlan[];
}

export interface FileRun {
  integrationId: string;
  table: TableName;
  day: string;
  workflowId: string;
  runId: string;
  kind: RunKind;
}

export interface UploadPartsInput extends FileRun {
  bucket: string;
  key: string;
  uploadId: string;
  partSize: number;
}

export interface UploadPartsResult {
  parts: UploadedPart[];
  rows: number;
  bytes: number;
  sha256: string | null;
  resumed: boolean;
}

export interface CompleteInput extends FileRun {
  bucket: string;
  key: string;
  uploadId: string;
  parts: UploadedPart[];
  bytes: number;
  sha256: string | null;
  startedAt: string;
}

export interface ManifestInput extends FileRun {
  plan: ExportPlan;
  file: FilePlan;
  rows: number;
  bytes: number;
  parts: number;
  partSize: number;
  sha256: string;
  etag: string;
}

/** Heartbeats on a timer for activities whose single storage call may outlast the heartbeat timeout. */
function keepAlive(): () => void {
  const ctx = Context.current();
  const t = setInterval(() => ctx.heartbeat(), 5_000);
  return () => clearInterval(t);
}

/**
 * Uploads on the wire per file while the next part fills: measured 9–21% faster than one, and memory
 * stays bounded at four part buffers (docs/BENCHMARKS.md).
 */
const MAX_PARTS_IN_FLIGHT = 3;

const identity = (r: FileRun): RunIdentity => ({ integrationId: r.integrationId, table: r.table, day: r.day, workflowId: r.workflowId, runId: r.runId });

export function createActivities(deps: ActivityDeps) {
  const { pool, keyring } = deps;
  // One upload's worth of part buffers (3 in flight + 1 filling) outlives each uploadParts call.
  const partBuffers = new BufferPool(MAX_PARTS_IN_FLIGHT + 1);
  const baseLog = deps.log ?? createLogger('silent');
  const logFor = (r: FileRun) =>
    baseLog.child({ integrationId: r.integrationId, table: r.table, day: r.day, workflowId: r.workflowId, runId: r.runId, kind: r.kind });

  /** Storage client for one integration, plus the context its errors are explained with. */
  async function storageFor(integrationId: string, bucket: string): Promise<{ s3: S3Client; fail: (err: unknown) => never }> {
    let loaded;
    try {
      loaded = await loadStorageConfig(pool, keyring, integrationId);
    } catch (err) {
      if (err instanceof IntegrationNotFound) throw ApplicationFailure.nonRetryable(err.message, 'IntegrationNotFound');
      if (err instanceof SecretError) throw ApplicationFailure.nonRetryable(err.message, 'SecretUnreadable');
      throw err;
    }
    const s3 = createS3Client(loaded.storage);
    const ctx = { endpoint: loaded.storage.endpoint, bucket, accessKeyId: loaded.storage.accessKeyId };
    const fail = (err: unknown): never => {
      if (err instanceof ApplicationFailure) throw err;
      const c = classifyStorageError(err, ctx);
      if (c.kind === 'permanent') throw ApplicationFailure.nonRetryable(c.message, c.reason);
      throw ApplicationFailure.retryable(c.message, c.reason);
    };
    return { s3, fail };
  }

  return {
    /** Resolves what a day's export writes and where; carries no secret. */
    async planExport(input: { integrationId: string; day: string; tables: TableName[] }): Promise<ExportPlan> {
      let integration;
      try {
        integration = await getIntegration(pool, input.integrationId);
      } catch (err) {
        if (err instanceof IntegrationNotFound) throw ApplicationFailure.nonRetryable(err.message, 'IntegrationNotFound');
        throw err;
      }
      const window = dayWindow(input.day);
      return {
        integrationId: integration.id,
        appId: integration.appId,
        day: input.day,
        window: { start: window.start, end: window.end },
        endpoint: integration.endpointUrl,
        settings: integration.settings,
        files: input.tables.map((table) => {
          const keys = objectKeys(integration.bucket, integration.folder, table, input.day);
          return { table, bucket: keys.bucket, key: keys.dataKey, manifestKey: keys.manifestKey, columns: columnNames(table, integration.settings.sendUserAttributes) };
        }),
      };
    },

    /** Records the attempt, clears uploads a crashed attempt left open for this key, opens a new one. */
    async startFile(input: FileRun & { bucket: string; key: string; manifestKey: string }): Promise<{ uploadId: string; startedAt: string }> {
      await recordRunStart(pool, { ...identity(input), kind: input.kind, objectKey: input.key, manifestKey: input.manifestKey });
      const { s3, fail } = await storageFor(input.integrationId, input.bucket);
      try {
        await abortOtherUploads(s3, input.bucket, input.key);
        const uploadId = await createUpload(s3, input.bucket, input.key, 'text/csv; charset=utf-8');
        await recordUploadId(pool, identity(input), uploadId);
        return { uploadId, startedAt: new Date().toISOString() };
      } catch (err) {
        return fail(err);
      } finally {
        s3.destroy();
      }
    },

    /**
     * Streams the table-day out of Postgres with COPY and uploads it as equal-size parts. Heartbeats
     * a checkpoint after every part; a retried attempt resumes from the last one it finds.
     */
    async uploadParts(input: UploadPartsInput): Promise<UploadPartsResult> {
      const ctx = Context.current();
      const resume = (ctx.info.heartbeatDetails as Checkpoint | undefined) ?? null;
      const log = logFor(input);
      if (resume) log.info({ attempt: ctx.info.attempt, partsDone: resume.parts.length, bytesDone: resume.bytes }, 'resuming upload from checkpoint');
      const integration = await getIntegration(pool, input.integrationId);
      const { s3, fail } = await storageFor(input.integrationId, input.bucket);
      const sql = buildCopy({
        table: input.table,
        appId: integration.appId,
        day: input.day,
        settings: integration.settings,
        historicalCutoff: integration.historicalCutoff,
        after: resume?.next.after ?? null,
      });
      const header = csvHeader(columnNames(input.table, integration.settings.sendUserAttributes));
      const client = await pool.connect();
      const abort = new AbortController();
      let last: Checkpoint | null = resume;
      // Keep the heartbeat flowing while a slow part uploads; the throttled SDK sends at most one per interval.
      const beat = setInterval(() => ctx.heartbeat(last ?? undefined), 2_000);
      const onCancel = () => abort.abort(new Error('activity cancelled'));
      ctx.cancellationSignal.addEventListener('abort', onCancel);
      let released = false;
      try {
        await client.query(BEGIN_EXPORT_READ);
        const source = new CopyRows(sql);
        abort.signal.addEventListener('abort', () => source.abort(new Error('activity cancelled')));
        client.query(source);
        const result = await streamParts({
          source,
          keyColumns: keyColumnCount(input.table),
          keyOf: input.table === 'ua_events' ? eventKey : ordinalKey,
          header,
          partSize: input.partSize,
          maxInFlight: MAX_PARTS_IN_FLIGHT,
          buffers: partBuffers,
          resume,
          uploadPart: async (partNumber, body, contentMd5) => {
            const timer = partUploadSeconds.startTimer({ table: input.table });
            try {
              const etag = await uploadPart(s3, { bucket: input.bucket, key: input.key, uploadId: input.uploadId, partNumber, body, contentMd5, abortSignal: abort.signal });
              timer();
              if (deps.partDelayMs) await new Promise((r) => setTimeout(r, deps.partDelayMs));
              return etag;
            } catch (err) {
              if (abort.signal.aborted) throw err;
              return fail(err);
            }
          },
          onCheckpoint: (cp) => {
            last = cp;
            ctx.heartbeat(cp);
          },
        });
        const rowsRead = result.rows - (resume?.next.rows ?? 0);
        if (source.rowCount !== rowsRead) throw new Error(`COPY reported ${source.rowCount} rows but ${rowsRead} were read`);
        await client.query('COMMIT');
        client.release();
        released = true;
        log.info({ parts: result.parts.length, rows: result.rows, bytes: result.bytes }, 'parts uploaded');
        return { ...result, resumed: resume !== null };
      } catch (err) {
        // A connection stopped mid-COPY is in an unknown state: discard it rather than pool it.
        client.release(err instanceof Error ? err : new Error(String(err)));
        released = true;
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? err;
        throw err;
      } finally {
        clearInterval(beat);
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
        if (!released) client.release();
        s3.destroy();
      }
    },

    /** Completes the upload (a completion whose response was lost counts as done) and settles the file's sha256. */
    async completeFile(input: CompleteInput & { manifestKey: string }): Promise<{ etag: string; sha256: string; alreadyCompleted: boolean }> {
      const { s3, fail } = await storageFor(input.integrationId, input.bucket);
      const stop = keepAlive();
      try {
        // An older manifest must not vouch for the file about to replace its object.
        await deleteObject(s3, input.bucket, input.manifestKey);
        const done = await completeUpload(s3, { bucket: input.bucket, key: input.key, uploadId: input.uploadId, parts: input.parts, bytes: input.bytes, startedAt: new Date(input.startedAt) });
        let sha256 = input.sha256;
        if (!sha256) {
          // The upload resumed mid-file, so no single pass saw every byte: read the object back.
          const read = await sha256OfObject(s3, input.bucket, input.key);
          if (read.bytes !== input.bytes) throw ApplicationFailure.nonRetryable(`completed object has ${read.bytes} bytes, expected ${input.bytes}`, 'SizeMismatch');
          sha256 = read.sha256;
        }
        // Anything a crashed attempt opened for this key is garbage now.
        await abortOtherUploads(s3, input.bucket, input.key);
        return { etag: done.etag, sha256, alreadyCompleted: done.alreadyCompleted };
      } catch (err) {
        return fail(err);
      } finally {
        stop();
        s3.destroy();
      }
    },

    /** Written last: a manifest's presence means its file is whole. */
    async writeManifest(input: ManifestInput): Promise<void> {
      const { s3, fail } = await storageFor(input.integrationId, input.file.bucket);
      const manifest = {
        schemaVersion: SCHEMA_VERSION,
        table: input.table,
        day: input.day,
        window: { start: input.plan.window.start, end: input.plan.window.end, column: input.table === 'ua_events' ? 'created_at' : 'date' },
        bucket: input.file.bucket,
        key: input.file.key,
        rows: input.rows,
        bytes: input.bytes,
        sha256: input.sha256,
        etag: input.etag,
        parts: input.parts,
        partSize: input.partSize,
        format: { type: 'csv', encoding: 'utf-8', delimiter: ',', lineEnding: '\n', header: true, null: '' },
        columns: input.file.columns,
        settings: input.plan.settings,
        integrationId: input.integrationId,
        appId: input.plan.appId,
        workflowId: input.workflowId,
        runId: input.runId,
        exportedAt: new Date().toISOString(),
      };
      try {
        await putJson(s3, input.file.bucket, input.file.manifestKey, manifest);
      } catch (err) {
        fail(err);
      } finally {
        s3.destroy();
      }
    },

    async recordFileExported(input: FileRun & { rows: number; bytes: number; parts: number; sha256: string; startedAt: string; scheduledAt?: string }): Promise<void> {
      await recordRunFinish(pool, identity(input), { status: 'succeeded', rows: input.rows, bytes: input.bytes, parts: input.parts, sha256: input.sha256 });
      logFor(input).info({ rows: input.rows, bytes: input.bytes, parts: input.parts, sha256: input.sha256 }, 'file exported');
      const now = Date.now();
      rowsExported.inc({ table: input.table }, input.rows);
      bytesExported.inc({ table: input.table }, input.bytes);
      exportDurationSeconds.observe({ table: input.table, kind: input.kind }, (now - Date.parse(input.startedAt)) / 1000);
      if (input.scheduledAt) scheduleLagSeconds.observe({ table: input.table }, (now - Date.parse(input.scheduledAt)) / 1000);
    },

    /** Aborts the open upload (so no partial file can ever appear) and records why the file failed. */
    async abandonFile(input: FileRun & { bucket: string; key: string; uploadId: string | null; error: string; reason: string; cancelled: boolean }): Promise<void> {
      // Abort every open upload of the key, not only ours: a start that was cancelled mid-call may have
      // opened one whose id never reached the workflow. The day's workflow id is exclusive, so no other
      // live export owns an upload of this key.
      const storage = await storageFor(input.integrationId, input.bucket).catch(() => null);
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
      await recordRunFinish(pool, identity(input), { status: input.cancelled ? 'cancelled' : 'failed', error: input.error });
      logFor(input)[input.cancelled ? 'info' : 'warn']({ reason: input.cancelled ? 'Cancelled' : input.reason, error: input.error }, input.cancelled ? 'file cancelled' : 'file failed');
      exportFailures.inc({ table: input.table, reason: input.cancelled ? 'Cancelled' : input.reason });
    },

    async recordIntegrationStatus(input: { integrationId: string; status: string; error: string | null }): Promise<void> {
      await setLastStatus(pool, input.integrationId, input.status, input.error);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
