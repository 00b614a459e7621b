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
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities, ScheduledOutcomeResult } from '../activities/index.js';
import { dayToExport } from '../src/export/days.js';
import { exportWorkflowId } from '../src/temporal/ids.js';
import { SA_EXPORT_DAY, SA_INTEGRATION_ID, SA_RUN_KIND, SA_SCHEDULED_START } from '../src/temporal/search-attributes.js';
import { raiseAlert } from './alerts.js';
import { exportDayWorkflow, type ExportDayResult } from './export-day.js';
import {
  REVIEW_RECENT_DAYS_PATCH,
  redeliverChangedDays,
  reviewRecentDays,
  type LookbackOutcome,
  type MissedRunsOutcome,
  type RecentDaysOutcome,
} from './lookback.js';

export interface ScheduledExportInput {
  integrationId: string;
}

export type ScheduledExportResult =
  | {
      status: 'exported';
      day: string;
      result: ExportDayResult;
      lookback?: LookbackOutcome;
      /** Present when days before this one had no run at all (a start the scheduler dropped). */
      missedRuns?: MissedRunsOutcome;
      recovered?: boolean;
    }
  | { status: 'already-running'; day: string; workflowId: string };

// Bookkeeping after the day's export settled: retried through a Postgres restart, never for long.
const opsOptions = {
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
const ops = proxyActivities<Activities>(opsOptions);
// The same step as a local activity: run by the worker that runs the workflow task, with no task-queue
// round trip and no workflow task of its own; recorded as a marker. Idempotent, so a rerun after a lost
// worker is harmless.
const localOps = proxyLocalActivities<Activities>(opsOptions);

/** Marks histories whose outcome and lookback steps are local activities (workflow versioning). */
export const LOCAL_OUTCOME_PATCH = 'local-outcome';

/**
 * What each integration's daily schedule starts. The day comes from the schedule's *scheduled* time,
 * not the clock, so a run that starts late or is caught up after an outage exports the right day.
 * The export itself is a child with the day's deterministic id, shared with backfills, so the same
 * day is never exported twice at once.
 *
 * Once the day's export has settled (issue 12): the outcome is recorded; a failure raises
 * `export.failed`, a success after failures `export.recovered`; enough consecutive configuration
 * failures pause the schedule (`integration.auto_paused`); a success also reviews the days before: the
 * lookback re-delivers those whose source changed, and those whose scheduled run never started are
 * exported now (workflows/lookback.ts). Alerts run as their own workflows, so none of this delays or fails the export, and only
 * for an integration with a webhook (the outcome's activity, which loads the integration, says so; when
 * it could not be recorded, alerts are raised and sendAlert skips them if there is no webhook).
 */
export async function scheduledExportWorkflow(input: ScheduledExportInput): Promise<ScheduledExportResult> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(SA_SCHEDULED_START) ?? info.runStartTime;
  const day = dayToExport(scheduledAt);
  const workflowId = exportWorkflowId(input.integrationId, day);
  let result: ExportDayResult;
  try {
    result = await executeChild(exportDayWorkflow, {
      workflowId,
      args: [{ integrationId: input.integrationId, day, kind: 'scheduled', scheduledAt: scheduledAt.toISOString() }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      typedSearchAttributes: [
        { key: SA_INTEGRATION_ID, value: input.integrationId },
        { key: SA_EXPORT_DAY, value: new Date(`${day}T00:00:00Z`) },
        { key: SA_RUN_KIND, value: 'scheduled' },
      ],
      staticSummary: `Daily export of ${day} for integration ${input.integrationId}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { status: 'already-running', day, workflowId };
    if (isCancellation(err)) throw err;
    const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
    const config = cause instanceof ApplicationFailure && cause.type === 'ConfigurationError';
    const message = cause instanceof Error ? cause.message : String(cause);
    const state = await settle(input.integrationId, day, config ? 'config_failed' : 'failed', message);
    const alerts = state?.alertsConfigured !== false;
    if (alerts)
      await raiseAlert({
        integrationId: input.integrationId,
        event: 'export.failed',
        eventId: `${info.workflowId}:export.failed`,
        day,
        workflowId,
        error: message,
      });
    if (state?.autoPaused && alerts) {
      await raiseAlert({
        integrationId: input.integrationId,
        event: 'integration.auto_paused',
        // One event per streak of failures, however many runs report it.
        eventId: `${input.integrationId}:integration.auto_paused:${state.autoPaused.sinceDay}`,
        day,
        workflowId,
        error: state.autoPaused.reason,
        autoPaused: state.autoPaused,
      });
    }
    throw err;
  }
  const state = await settle(input.integrationId, day, 'succeeded', null);
  const recovered = state?.previousFailed === true;
  const alerts = state?.alertsConfigured !== false;
  if (recovered && alerts) {
    await raiseAlert({ integrationId: input.integrationId, event: 'export.recovered', eventId: `${info.workflowId}:export.recovered`, day, workflowId });
  }
  let review: RecentDaysOutcome = {};
  if (state && patched(REVIEW_RECENT_DAYS_PATCH)) {
    review = await reviewRecentDays(input.integrationId, day, info.workflowId, alerts, state.lookbackDays);
  } else if (state && state.lookbackDays > 0) {
    review = { lookback: await redeliverChangedDays(input.integrationId, day, info.workflowId, alerts) };
  }
  return { status: 'exported', day, result, ...review, ...(recovered ? { recovered } : {}) };
}

/** Records the day's outcome; bookkeeping that cannot be done is logged, never a reason to fail the run. */
async function settle(
  integrationId: string,
  day: string,
  outcome: 'succeeded' | 'config_failed' | 'failed',
  error: string | null,
): Promise<ScheduledOutcomeResult | null> {
  try {
    // Histories recorded before the local path replay down the task-queue activity they recorded.
    return await (patched(LOCAL_OUTCOME_PATCH) ? localOps : ops).recordScheduledOutcome.executeWithOptions({ summary: `record ${day}: ${outcome}` }, [
      { integrationId, day, outcome, error },
    ]);
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('scheduled outcome not recorded', { day, outcome, error: err instanceof Error ? err.message : String(err) });
    return null;
  }
}
