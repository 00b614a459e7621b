import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, FilePlan } from '../activities/index.js';
import {
  COMPLETE_START_TO_CLOSE_MS,
  RETRY_MAX_INTERVAL_MS,
  SHORT_SCHEDULE_TO_CLOSE_MS,
  SHORT_HEARTBEAT_TIMEOUT_MS,
  SHORT_START_TO_CLOSE_MS,
  UPLOAD_HEARTBEAT_TIMEOUT_MS,
  UPLOAD_SCHEDULE_TO_CLOSE_MS,
  UPLOAD_START_TO_CLOSE_MS,
} from '../src/export/recovery-bounds.js';
import { TABLES, type TableName } from '../src/export/tables.js';
import type { RunKind } from '../src/ledger/export-runs.js';
import { SA_APP_ID, SA_EXPORT_DAY, SA_INTEGRATION_ID, SA_RUN_KIND } from '../src/temporal/search-attributes.js';
import { formatBytes, formatCount } from '../src/temporal/format.js';

export interface ExportDayInput {
  integrationId: string;
  day: string;
  tables?: TableName[];
  kind: RunKind;
  /** For scheduled runs: the schedule's scheduled time (ISO), to measure schedule lag. */
  scheduledAt?: string;
}

export type FileState = 'pending' | 'uploading' | 'completing' | 'exported' | 'failed' | 'cancelled';

export interface FileProgress {
  table: TableName;
  key: string;
  state: FileState;
  rows: number | null;
  bytes: number | null;
  parts: number | null;
  sha256: string | null;
  error: string | null;
}

export interface ExportDayResult {
  integrationId: string;
  day: string;
  files: FileProgress[];
}

export const exportProgressQuery = defineQuery<FileProgress[]>('exportProgress');

// Bounds from src/export/recovery-bounds.ts: a transient failure (provider outage, 5xx, resets,
// Postgres restart) is retried with exponential backoff capped at RETRY_MAX_INTERVAL_MS for hours;
// only a configuration error (classified non-retryable) stops early.
const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: RETRY_MAX_INTERVAL_MS };

// Short activities heartbeat on a timer (activities/storage.ts, whileAlive): an attempt whose worker
// died or whose completion a Temporal server restart lost is retried after the heartbeat timeout.
const short = proxyActivities<Activities>({
  startToCloseTimeout: SHORT_START_TO_CLOSE_MS,
  scheduleToCloseTimeout: SHORT_SCHEDULE_TO_CLOSE_MS,
  heartbeatTimeout: SHORT_HEARTBEAT_TIMEOUT_MS,
  retry,
});

// Bookkeeping that reads or writes a few Postgres rows (the plan, the integration's last status): run
// by the worker that runs the workflow task, as local activities, so neither costs a task-queue round
// trip and the extra workflow task that follows it. The result is recorded in the history as a marker
// (shown in the UI's event history with its activity type); a failed attempt is retried with the same
// policy, and a worker lost mid-way reruns it when the workflow task is retried: both are idempotent.
const bookkeeping = proxyLocalActivities<Activities>({
  startToCloseTimeout: SHORT_START_TO_CLOSE_MS,
  scheduleToCloseTimeout: SHORT_SCHEDULE_TO_CLOSE_MS,
  retry,
});

/** Marks histories whose plan and last-status steps are local activities (workflow versioning). */
export const LOCAL_BOOKKEEPING_PATCH = 'local-bookkeeping';

// A killed worker is noticed by the missed heartbeat, and the next attempt resumes from the last
// checkpoint: the heartbeat timeout plus backoff keeps that well under a minute.
const long = proxyActivities<Activities>({
  // On cancellation, wait until the activity has stopped its in-flight UploadPart calls, so the abort
  // that follows cannot race a part landing after it.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  startToCloseTimeout: UPLOAD_START_TO_CLOSE_MS,
  scheduleToCloseTimeout: UPLOAD_SCHEDULE_TO_CLOSE_MS,
  heartbeatTimeout: UPLOAD_HEARTBEAT_TIMEOUT_MS,
  retry,
});

/** Marks histories that try the single-request path before multipart (workflow versioning). */
export const SINGLE_REQUEST_PATCH = 'single-request-small-files';

function messageOf(err: unknown): string {
  let e: unknown = err;
  // ActivityFailure wraps the activity's own ApplicationFailure: the inner message says what to fix.
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(err);
}

/** The failure's type (e.g. SignatureDoesNotMatch, AccessDenied): a metrics label and a search term. */
function reasonOf(err: unknown): string {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure && e.type) return e.type;
  return e instanceof Error ? e.name : 'Unknown';
}

function isPermanentConfigError(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  // A size mismatch or a refused row is about one file, not the integration's settings: other tables go on.
  return cause instanceof ApplicationFailure && cause.nonRetryable === true && cause.type !== 'SizeMismatch' && cause.type !== 'RowRefused';
}

/** Exports one day of one integration: each table to one CSV file plus its manifest. */
export async function exportDayWorkflow(input: ExportDayInput): Promise<ExportDayResult> {
  const { workflowId, runId } = workflowInfo();
  const tables = input.tables ?? [...TABLES];
  const run = {
    integrationId: input.integrationId,
    day: input.day,
    workflowId,
    runId,
    kind: input.kind,
    ...(input.scheduledAt ? { scheduledAt: input.scheduledAt } : {}),
  };

  // Histories recorded before the local path replay down the task-queue activities they recorded.
  const ops = patched(LOCAL_BOOKKEEPING_PATCH) ? bookkeeping : short;
  const plan = await ops.planExport.executeWithOptions({ summary: `plan ${input.day}` }, [{ integrationId: input.integrationId, day: input.day, tables }]);
  // Also set by whoever starts the run; upserting here keeps a directly started run searchable too.
  upsertSearchAttributes([
    { key: SA_INTEGRATION_ID, value: input.integrationId },
    { key: SA_APP_ID, value: plan.appId },
    { key: SA_EXPORT_DAY, value: new Date(`${input.day}T00:00:00Z`) },
    { key: SA_RUN_KIND, value: input.kind },
  ]);

  const files: FileProgress[] = plan.files.map((f) => ({
    table: f.table,
    key: `${f.bucket}/${f.key}`,
    state: 'pending',
    rows: null,
    bytes: null,
    parts: null,
    sha256: null,
    error: null,
  }));
  setHandler(exportProgressQuery, () => files);
  const describe = () =>
    files
      .map(
        (f) =>
          `${f.table}: ${f.state}${f.rows !== null ? ` · ${formatCount(f.rows)} rows · ${formatBytes(f.bytes ?? 0)}` : ''}${f.error ? ` · ${f.error}` : ''}`,
      )
      .join('\n');

  let firstError: unknown = null;
  for (const [i, file] of plan.files.entries()) {
    const progress = files[i]!;
    if (firstError !== null && isPermanentConfigError(firstError)) {
      // Bad credentials or a missing bucket fail every table alike: don't hammer the endpoint again.
      progress.state = 'failed';
      progress.error = 'skipped: an earlier table failed with a configuration error';
      continue;
    }
    try {
      await exportFile(plan, file, progress, run, () => setCurrentDetails(describe()));
    } catch (err) {
      firstError ??= err;
      // A cancel is an operator's act, not an export result: the integration's last status stays what
      // the last finished export made it.
      if (isCancellation(err)) throw err;
    }
    setCurrentDetails(describe());
  }

  await CancellationScope.nonCancellable(() =>
    ops.recordIntegrationStatus({
      integrationId: input.integrationId,
      status: firstError ? 'failed' : 'succeeded',
      error: firstError ? `${input.day}: ${messageOf(firstError)}` : null,
    }),
  );
  if (firstError) {
    const failed = files.filter((f) => f.state === 'failed');
    throw ApplicationFailure.nonRetryable(
      `export of ${input.day} failed for ${failed.map((f) => f.table).join(', ')}: ${messageOf(firstError)}`,
      isPermanentConfigError(firstError) ? 'ConfigurationError' : 'ExportFailed',
    );
  }
  return { integrationId: input.integrationId, day: input.day, files };
}

async function exportFile(
  plan: Awaited<ReturnType<Activities['planExport']>>,
  file: FilePlan,
  progress: FileProgress,
  run: { integrationId: string; day: string; workflowId: string; runId: string; kind: RunKind; scheduledAt?: string },
  onChange: () => void,
): Promise<void> {
  const { scheduledAt, ...runIds } = run;
  const fileRun = { ...runIds, table: file.table };
  let uploadId: string | null = null;
  try {
    progress.state = 'uploading';
    onChange();
    // Most days fit one part: one activity reads the file and, when it fits, writes it with a single
    // atomic PutObject, its manifest and its ledger entry. A larger file falls through to the multipart
    // steps below. Histories recorded before this path replay down the multipart steps.
    if (patched(SINGLE_REQUEST_PATCH)) {
      const small = await long.exportSmallFile.executeWithOptions(
        { summary: `${file.table} · read; one request if it fits one part`, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED },
        [{ ...fileRun, plan, file, ...(scheduledAt ? { scheduledAt } : {}) }],
      );
      if (small.fits) {
        progress.state = 'exported';
        progress.rows = small.rows;
        progress.bytes = small.bytes;
        progress.parts = small.parts;
        progress.sha256 = small.sha256;
        return;
      }
    }
    // On cancellation, wait for the open call to finish: otherwise it may still create an upload whose
    // id this workflow never learns, and abandonFile below could not abort it.
    const started = await short.startFile.executeWithOptions(
      { summary: `${file.table} · open multipart upload`, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED },
      [{ ...fileRun, bucket: file.bucket, key: file.key, manifestKey: file.manifestKey }],
    );
    uploadId = started.uploadId;
    // The part size is the worker's configuration (PART_SIZE_MIB), not the workflow's: uploadParts
    // reports the size it cut, and the manifest records that.
    const up = await long.uploadParts.executeWithOptions({ summary: `${file.table} · stream rows into parts` }, [
      // formats (issue 10): the plan's format reaches the encoder; absent in plans from before formats: csv.
      // The part checksum the upload was created with; absent in startFile results from before it: md5.
      {
        ...fileRun,
        bucket: file.bucket,
        key: file.key,
        uploadId,
        ...(file.output ? { output: file.output } : {}),
        ...(started.checksum ? { checksum: started.checksum } : {}),
      },
    ]);
    progress.state = 'completing';
    progress.rows = up.rows;
    progress.bytes = up.bytes;
    progress.parts = up.parts.length;
    onChange();
    // Once completion starts the file may become visible: finish it, its manifest and its ledger entry
    // even if a cancel arrives, so a visible file always has the manifest that vouches for it and the
    // ledger never calls a delivered file cancelled.
    const done = await CancellationScope.nonCancellable(async () => {
      const done = await short.completeFile.executeWithOptions(
        {
          summary: `${file.table} · complete ${up.parts.length} part(s), ${formatBytes(up.bytes)}`,
          startToCloseTimeout: COMPLETE_START_TO_CLOSE_MS,
          heartbeatTimeout: '30 seconds',
        },
        [
          {
            ...fileRun,
            bucket: file.bucket,
            key: file.key,
            manifestKey: file.manifestKey,
            uploadId: started.uploadId,
            parts: up.parts,
            bytes: up.bytes,
            sha256: up.sha256,
            startedAt: started.startedAt,
            uncompressedBytes: up.uncompressedBytes ?? null,
          },
        ],
      );
      await short.writeManifest.executeWithOptions({ summary: `${file.table} · write _manifest.json` }, [
        {
          ...fileRun,
          plan,
          file,
          rows: up.rows,
          bytes: up.bytes,
          parts: up.parts.length,
          partSize: up.partSize,
          sha256: done.sha256,
          etag: done.etag,
          uncompressedBytes: done.uncompressedBytes ?? null,
        },
      ]);
      await short.recordFileExported({
        ...fileRun,
        rows: up.rows,
        bytes: up.bytes,
        parts: up.parts.length,
        sha256: done.sha256,
        startedAt: started.startedAt,
        ...(scheduledAt ? { scheduledAt } : {}),
      });
      return done;
    });
    progress.state = 'exported';
    progress.sha256 = done.sha256;
  } catch (err) {
    const cancelled = isCancellation(err);
    progress.state = cancelled ? 'cancelled' : 'failed';
    progress.error = messageOf(err);
    // Runs even when the workflow is being cancelled: no multipart upload may be left open.
    await CancellationScope.nonCancellable(() =>
      short.abandonFile.executeWithOptions({ summary: `${file.table} · abort upload` }, [
        { ...fileRun, bucket: file.bucket, key: file.key, uploadId, error: progress.error ?? 'failed', reason: reasonOf(err), cancelled },
      ]),
    );
    throw err;
  }
}
