/**
 * Activities: the only code that touches Postgres and the customer's storage. They take and return
 * ids, keys and counts; credentials are loaded and decrypted per call and never returned.
 *
 * Each activity lives in its own file as a thin adapter (heartbeats, cancellation, metrics, failures
 * Temporal understands) around work done in src/export, src/s3 and src/ledger. Workflows import only
 * types from here.
 */
import { createAbandonFile } from './abandon-file.js';
import { createCompleteFile } from './complete-file.js';
import { createExportSmallFile } from './export-small-file.js';
import type { ActivityDeps } from './deps.js';
import { defaultPartBuffers, PartBudget } from '../src/export/part-budget.js';
import { createRecordIntegrationStatus } from './integration-status.js';
import { createPlanExport } from './plan-export.js';
import { createRecordFileExported } from './record-file.js';
import { createStartFile } from './start-file.js';
import { createUploadParts } from './upload-parts.js';
import { createWriteManifest } from './write-manifest.js';
// Issue 12 (operations): alerts, auto-pause, lookback, lost starts repaired.
import { createCheckLookback } from './check-lookback.js';
import { createReviewRecentDays } from './review-recent-days.js';
import { createRecordScheduledOutcome } from './scheduled-outcome.js';
import { createSendAlert } from './send-alert.js';

export type { ActivityDeps, FileRun } from './deps.js';
export type { ExportPlan, FilePlan } from '../src/export/plan.js';
export type { PlanExportInput } from './plan-export.js';
export type { StartFileInput } from './start-file.js';
export type { UploadCheckpoint, UploadPartsInput, UploadPartsResult } from './upload-parts.js';
export type { CompleteInput } from './complete-file.js';
export type { ManifestInput } from './write-manifest.js';
export type { RecordFileInput } from './record-file.js';
export type { AbandonFileInput } from './abandon-file.js';
export type { ExportSmallFileInput, ExportSmallFileResult } from './export-small-file.js';
export type { IntegrationStatusInput } from './integration-status.js';
export type { AlertDelivery, AlertRequest } from './send-alert.js';
export type { ScheduledOutcomeInput, ScheduledOutcomeResult } from './scheduled-outcome.js';
export type { ChangedDay, LookbackInput } from './check-lookback.js';
export type { RecentDaysReview } from './review-recent-days.js';
export type { MissedRun } from '../src/ops/missed-runs.js';

/** The worker's activities; the keys are the activity type names workflows call. */
export function createActivities(given: ActivityDeps) {
  const deps: ActivityDeps = { ...given, partBudget: given.partBudget ?? partBudgetOf(given) };
  return {
    planExport: createPlanExport(deps),
    exportSmallFile: createExportSmallFile(deps),
    startFile: createStartFile(deps),
    uploadParts: createUploadParts(deps),
    completeFile: createCompleteFile(deps),
    writeManifest: createWriteManifest(deps),
    recordFileExported: createRecordFileExported(deps),
    abandonFile: createAbandonFile(deps),
    recordIntegrationStatus: createRecordIntegrationStatus(deps),
    // issue 12 (operations)
    sendAlert: createSendAlert(deps),
    recordScheduledOutcome: createRecordScheduledOutcome(deps),
    checkLookback: createCheckLookback(deps),
    reviewRecentDays: createReviewRecentDays(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/**
 * One budget for the process, so uploadParts and exportSmallFile draw on the same buffers. Every buffer
 * is kept for reuse: buffers let go wait for the GC while new ones are allocated, which let part
 * buffers' memory exceed the budget in the year-long backfill (docs/BENCHMARKS.md); kept, it never
 * does (src/export/part-budget.ts).
 */
function partBudgetOf(deps: ActivityDeps): PartBudget {
  return new PartBudget(deps.partSize, deps.partBuffers ?? defaultPartBuffers(deps.partSize));
}
