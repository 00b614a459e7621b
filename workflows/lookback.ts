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
import type { Activities, ChangedDay } from '../activities/index.js';
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
 * Late data: compares the delivered days before `day` with their source, and exports again every day
 * whose fingerprint changed (only the changed tables), through the same per-day workflow and id as
 * every export, so the usual guarantees hold: new file and manifest, a ledger attempt of kind
 * `redelivery`. A day another run is exporting right now is left to it. `sourceId` (the scheduled
 * run's workflow id) makes each alert's id deterministic; `alertsConfigured` false raises none.
 */
export async function redeliverChangedDays(integrationId: string, day: string, sourceId: string, alertsConfigured: boolean): Promise<LookbackOutcome> {
  const outcome: LookbackOutcome = { checked: false, redelivered: [], failed: [], skippedBusy: [] };
  let changed: ChangedDay[];
  try {
    // Histories recorded before the local path replay down the task-queue activity they recorded.
    changed = await (patched(LOCAL_LOOKBACK_PATCH) ? localOps : ops).checkLookback.executeWithOptions({ summary: `lookback before ${day}` }, [
      { integrationId, day },
    ]);
    outcome.checked = true;
  } catch (err) {
    if (isCancellation(err)) throw err;
    // A safety net that could not run today runs again tomorrow over the same window.
    log.warn('lookback check failed', { error: err instanceof Error ? err.message : String(err) });
    return outcome;
  }
  for (const c of changed) {
    const workflowId = exportWorkflowId(integrationId, c.day);
    try {
      await executeChild(exportDayWorkflow, {
        workflowId,
        args: [{ integrationId, day: c.day, tables: c.tables.map((t) => t.table), kind: 'redelivery' }],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        typedSearchAttributes: [
          { key: SA_INTEGRATION_ID, value: integrationId },
          { key: SA_EXPORT_DAY, value: new Date(`${c.day}T00:00:00Z`) },
          { key: SA_RUN_KIND, value: 'redelivery' },
        ],
        staticSummary: `Re-delivery of ${c.day} (${c.tables.map((t) => t.table).join(', ')}): its source changed after export`,
      });
      outcome.redelivered.push(c.day);
      if (alertsConfigured)
        await raiseAlert({
          integrationId,
          event: 'export.redelivered',
          eventId: `${sourceId}:export.redelivered:${c.day}`,
          day: c.day,
          workflowId,
          redelivered: c.tables.map((t) => ({ table: t.table, rowsBefore: t.rowsBefore, rowsAfter: t.rowsAfter })),
        });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        outcome.skippedBusy.push(c.day);
        continue;
      }
      if (isCancellation(err)) throw err;
      const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
      outcome.failed.push(c.day);
      if (alertsConfigured)
        await raiseAlert({
          integrationId,
          event: 'export.failed',
          eventId: `${sourceId}:export.failed:${c.day}`,
          day: c.day,
          workflowId,
          error: cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : String(cause),
        });
    }
  }
  return outcome;
}
