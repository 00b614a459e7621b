import {
  ApplicationFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities, AlertRequest, ChangedDay, MissedRun, RecentDaysReview } from '../activities/index.js';
import type { TableName } from '../src/export/tables.js';
import { exportWorkflowId } from '../src/temporal/ids.js';
import { SA_EXPORT_DAY, SA_INTEGRATION_ID, SA_RUN_KIND } from '../src/temporal/search-attributes.js';
import { raiseAlert } from './alerts.js';
import { exportDayWorkflow } from './export-day.js';

const opsOptions = {
  startToCloseTimeout: '10 minutes',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
const ops = proxyActivities<Activities>(opsOptions);
// The check reads aggregates in Postgres and changes nothing: as a local activity it costs no task-queue
// round trip and no workflow task of its own (the SDK keeps the workflow task alive while it runs).
const localOps = proxyLocalActivities<Activities>(opsOptions);

/** Marks histories whose lookback check is a local activity (workflow versioning). */
export const LOCAL_LOOKBACK_PATCH = 'local-lookback-check';

export interface LookbackOutcome {
  checked: boolean;
  redelivered: string[];
  failed: string[];
  skippedBusy: string[];
}

/**
 * The lookback as scheduled runs recorded before REVIEW_RECENT_DAYS_PATCH ran it (its own check
 * activity, then the re-deliveries); newer runs take reviewRecentDays. Kept so those histories replay.
 */
export async function redeliverChangedDays(integrationId: string, day: string, sourceId: string, alertsConfigured: boolean): Promise<LookbackOutcome> {
  let changed: ChangedDay[];
  try {
    // Histories recorded before the local path replay down the task-queue activity they recorded.
    changed = await (patched(LOCAL_LOOKBACK_PATCH) ? localOps : ops).checkLookback.executeWithOptions({ summary: `lookback before ${day}` }, [
      { integrationId, day },
    ]);
  } catch (err) {
    if (isCancellation(err)) throw err;
    // A safety net that could not run today runs again tomorrow over the same window.
    log.warn('lookback check failed', { error: err instanceof Error ? err.message : String(err) });
    return { checked: false, redelivered: [], failed: [], skippedBusy: [] };
  }
  return redeliver(integrationId, changed, sourceId, alertsConfigured);
}

/**
 * Late data: exports again every delivered day whose fingerprint changed (only the changed tables),
 * through the same per-day workflow and id as every export, so the usual guarantees hold: new file and
 * manifest, a ledger attempt of kind `redelivery`. A day another run is exporting right now is left to
 * it. `sourceId` (the scheduled run's workflow id) makes each alert's id deterministic;
 * `alertsConfigured` false raises none.
 */
async function redeliver(integrationId: string, changed: ChangedDay[], sourceId: string, alertsConfigured: boolean): Promise<LookbackOutcome> {
  const ran = await exportEach(
    integrationId,
    'redelivery',
    changed.map((c) => ({
      day: c.day,
      tables: c.tables.map((t) => t.table),
      summary: `Re-delivery of ${c.day} (${c.tables.map((t) => t.table).join(', ')}): its source changed after export`,
      alert: {
        event: 'export.redelivered',
        redelivered: c.tables.map((t) => ({ table: t.table, rowsBefore: t.rowsBefore, rowsAfter: t.rowsAfter })),
      },
    })),
    sourceId,
    alertsConfigured,
  );
  return { checked: true, redelivered: ran.exported, failed: ran.failed, skippedBusy: ran.skippedBusy };
}

interface DayToExport {
  day: string;
  /** Only these tables; all when absent. */
  tables?: TableName[];
  summary: string;
  /** The event raised once the day is exported. */
  alert: Pick<AlertRequest, 'event' | 'redelivered' | 'missedRun'>;
}

/**
 * Each day in turn through the per-day workflow, raising its alert on success (`export.failed` on
 * failure). Alert ids are `<sourceId>:<event>:<day>`, deterministic per scheduled run.
 */
async function exportEach(
  integrationId: string,
  kind: 'redelivery' | 'repair',
  days: DayToExport[],
  sourceId: string,
  alertsConfigured: boolean,
): Promise<{ exported: string[]; failed: string[]; skippedBusy: string[] }> {
  const out = { exported: [] as string[], failed: [] as string[], skippedBusy: [] as string[] };
  for (const d of days) {
    const ran = await exportAgain(integrationId, d.day, kind, d.tables, d.summary);
    if (ran === 'busy') {
      out.skippedBusy.push(d.day);
      continue;
    }
    const workflowId = exportWorkflowId(integrationId, d.day);
    if (ran === 'exported') {
      out.exported.push(d.day);
      if (alertsConfigured) await raiseAlert({ integrationId, ...d.alert, eventId: `${sourceId}:${d.alert.event}:${d.day}`, day: d.day, workflowId });
      continue;
    }
    out.failed.push(d.day);
    if (alertsConfigured)
      await raiseAlert({ integrationId, event: 'export.failed', eventId: `${sourceId}:export.failed:${d.day}`, day: d.day, workflowId, error: ran.failed });
  }
  return out;
}

type ExportAgain = 'exported' | 'busy' | { failed: string };

/** One day through the per-day workflow and its deterministic id; a day another run is exporting right now is left to it. */
async function exportAgain(
  integrationId: string,
  day: string,
  kind: 'redelivery' | 'repair',
  tables: TableName[] | undefined,
  summary: string,
): Promise<ExportAgain> {
  try {
    await executeChild(exportDayWorkflow, {
      workflowId: exportWorkflowId(integrationId, day),
      args: [{ integrationId, day, ...(tables ? { tables } : {}), kind }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      typedSearchAttributes: [
        { key: SA_INTEGRATION_ID, value: integrationId },
        { key: SA_EXPORT_DAY, value: new Date(`${day}T00:00:00Z`) },
        { key: SA_RUN_KIND, value: kind },
      ],
      staticSummary: summary,
    });
    return 'exported';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'busy';
    if (isCancellation(err)) throw err;
    const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
    return { failed: cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : String(cause) };
  }
}

/** Marks histories whose scheduled runs review the days before theirs in one step: the lookback and lost starts (workflow versioning). */
export const REVIEW_RECENT_DAYS_PATCH = 'review-recent-days';

/** What a scheduled run's review of the days before its own did: each part only when it ran. */
export interface RecentDaysOutcome {
  lookback?: LookbackOutcome;
  missedRuns?: MissedRunsOutcome;
}

export interface MissedRunsOutcome {
  /** Days whose scheduled run never started, now delivered (ledger kind `repair`). */
  repaired: string[];
  failed: string[];
  skippedBusy: string[];
}

/**
 * After a scheduled run's own day succeeded: one read-only check (a local activity) finds the
 * delivered days whose source changed (the lookback, when lookbackDays > 0) and the days its schedule
 * owed and never started (src/ops/missed-runs.ts). The missed days are exported first, whole, as ledger
 * kind `repair`, each raising `export.repaired`; then the changed days are re-delivered as
 * redeliverChangedDays does. A check that cannot run is logged, and tomorrow's run covers the same days.
 */
export async function reviewRecentDays(
  integrationId: string,
  day: string,
  sourceId: string,
  alertsConfigured: boolean,
  lookbackDays: number,
): Promise<RecentDaysOutcome> {
  let review: RecentDaysReview;
  try {
    review = await localOps.reviewRecentDays.executeWithOptions({ summary: `review the days before ${day}` }, [{ integrationId, day }]);
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('review of the days before failed', { day, error: err instanceof Error ? err.message : String(err) });
    return lookbackDays > 0 ? { lookback: { checked: false, redelivered: [], failed: [], skippedBusy: [] } } : {};
  }
  const missedRuns = review.missed.length > 0 ? await repairMissedRuns(integrationId, review.missed, sourceId, alertsConfigured) : undefined;
  const lookback = lookbackDays > 0 ? await redeliver(integrationId, review.changed, sourceId, alertsConfigured) : undefined;
  return { ...(lookback ? { lookback } : {}), ...(missedRuns ? { missedRuns } : {}) };
}

async function repairMissedRuns(integrationId: string, missed: MissedRun[], sourceId: string, alertsConfigured: boolean): Promise<MissedRunsOutcome> {
  for (const m of missed) log.warn('a scheduled run never started: exporting its day now', { day: m.day, scheduledAt: m.scheduledAt });
  const ran = await exportEach(
    integrationId,
    'repair',
    missed.map((m) => ({
      day: m.day,
      summary: `Repair of ${m.day}: its scheduled run (${m.scheduledAt}) never started`,
      alert: { event: 'export.repaired', missedRun: { scheduledAt: m.scheduledAt } },
    })),
    sourceId,
    alertsConfigured,
  );
  return { repaired: ran.exported, failed: ran.failed, skippedBusy: ran.skippedBusy };
}
