import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { addDays, dayCount } from '../src/export/days.js';
import type { TableName } from '../src/export/tables.js';
import { exportWorkflowId } from '../src/temporal/ids.js';
import { formatBytes, formatCount } from '../src/temporal/format.js';
import { SA_EXPORT_DAY, SA_INTEGRATION_ID, SA_RUN_KIND } from '../src/temporal/search-attributes.js';
import { raiseAlert } from './alerts.js';
import { exportDayWorkflow } from './export-day.js';

export type BackfillStatus = 'running' | 'completed' | 'completed_with_failures' | 'failed' | 'cancelled';

export interface BackfillProgress {
  status: BackfillStatus;
  integrationId: string;
  from: string;
  to: string;
  tables: TableName[];
  concurrency: number;
  totalDays: number;
  completedDays: number;
  failedDays: { day: string; error: string }[];
  inProgressDays: string[];
  /** Paused by the operator: no new day starts until resumed; days already running finish. */
  paused: boolean;
  rows: number;
  bytes: number;
  startedAt: string;
  /** Set by readers from the workflow's close time: workflow code keeps no clock. */
  finishedAt: string | null;
  error: string | null;
}

export interface BackfillInput {
  integrationId: string;
  from: string;
  to: string;
  tables: TableName[];
  concurrency: number;
  /** Days per run before continuing as new (default DAYS_PER_RUN). */
  daysPerRun?: number;
  /**
   * Whether the integration had a webhook when the backfill started (the starter loads it anyway):
   * only then does it raise `backfill.completed`, so a backfill without alerts runs no alert workflow.
   * Absent in backfills started before it existed: raise, as they did.
   */
  alertsConfigured?: boolean;
  /** Carried across continue-as-new. */
  carried?: { progress: BackfillProgress; nextIndex: number };
}

export const backfillProgressQuery = defineQuery<BackfillProgress>('backfillProgress');
/**
 * Signals rather than updates: the API records them in the workflow's history at once and answers even
 * while no worker polls; the workflow applies them when it next runs. Both are idempotent.
 */
export const pauseBackfillSignal = defineSignal('pauseBackfill');
export const resumeBackfillSignal = defineSignal('resumeBackfill');

/** Days per run before continuing as new: keeps history far below Temporal's limits on multi-year ranges. */
export const DAYS_PER_RUN = 120;
/** How long to wait before retrying a day that another run (the daily schedule) is exporting. */
const BUSY_DAY_RETRY = '30 seconds';

/**
 * Exports every day of a range by running the same per-day workflow as the schedule, one child per
 * day with the day's deterministic id, at most `concurrency` at a time. A day that fails is recorded
 * and the others go on; a configuration error (it would fail every day) stops the backfill early.
 */
export async function backfillWorkflow(input: BackfillInput): Promise<BackfillProgress> {
  const totalDays = dayCount(input.from, input.to);
  const progress: BackfillProgress = input.carried?.progress ?? {
    status: 'running',
    integrationId: input.integrationId,
    from: input.from,
    to: input.to,
    tables: input.tables,
    concurrency: input.concurrency,
    totalDays,
    completedDays: 0,
    failedDays: [],
    inProgressDays: [],
    paused: false,
    rows: 0,
    bytes: 0,
    startedAt: workflowInfo().startTime.toISOString(),
    finishedAt: null,
    error: null,
  };
  // A run continued from an older version of this workflow carries no `paused`.
  progress.paused ??= false;
  setHandler(backfillProgressQuery, () => progress);
  const describe = () => {
    const done = progress.completedDays + progress.failedDays.length;
    const failed = progress.failedDays.length ? ` · ${progress.failedDays.length} failed` : '';
    const running = progress.inProgressDays.length ? `\nexporting ${progress.inProgressDays.join(', ')}` : '';
    setCurrentDetails(
      `${done} / ${progress.totalDays} days · ${formatCount(progress.rows)} rows · ${formatBytes(progress.bytes)}${failed}\n` +
        `${progress.paused && progress.status === 'running' ? 'paused' : progress.status}: ${progress.from} → ${progress.to} (${progress.tables.join(', ')})${running}${progress.error ? `\n${progress.error}` : ''}`,
    );
  };
  describe();
  setHandler(pauseBackfillSignal, () => {
    progress.paused = true;
    describe();
  });
  setHandler(resumeBackfillSignal, () => {
    progress.paused = false;
    describe();
  });

  let nextIndex = input.carried?.nextIndex ?? 0;
  const runLimit = Math.min(totalDays, nextIndex + (input.daysPerRun ?? DAYS_PER_RUN));
  const inFlight = new Map<string, ChildWorkflowHandle<typeof exportDayWorkflow>>();
  let stopError: string | null = null;

  const launch = async (day: string): Promise<void> => {
    for (;;) {
      try {
        const child = await startChild(exportDayWorkflow, {
          workflowId: exportWorkflowId(input.integrationId, day),
          args: [{ integrationId: input.integrationId, day, tables: input.tables, kind: 'backfill' }],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          typedSearchAttributes: [
            { key: SA_INTEGRATION_ID, value: input.integrationId },
            { key: SA_EXPORT_DAY, value: new Date(`${day}T00:00:00Z`) },
            { key: SA_RUN_KIND, value: 'backfill' },
          ],
          staticSummary: `Backfill export of ${day} (${input.tables.join(', ')}) for integration ${input.integrationId}`,
        });
        inFlight.set(day, child);
        progress.inProgressDays.push(day);
        describe();
        void settle(day, child);
        return;
      } catch (err) {
        // The daily run (or another backfill) is exporting this very day: wait for it, then redo it.
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          await sleep(BUSY_DAY_RETRY);
          // Paused while waiting: the day has not started, so it waits for the resume too.
          await condition(() => !progress.paused);
          continue;
        }
        throw err;
      }
    }
  };

  const settle = async (day: string, child: ChildWorkflowHandle<typeof exportDayWorkflow>): Promise<void> => {
    try {
      const result = await child.result();
      progress.completedDays++;
      for (const f of result.files) {
        progress.rows += f.rows ?? 0;
        progress.bytes += f.bytes ?? 0;
      }
    } catch (err) {
      const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
      const message = cause instanceof Error ? cause.message : String(cause);
      if (!isCancellation(err)) progress.failedDays.push({ day, error: message });
      if (cause instanceof ApplicationFailure && cause.type === 'ConfigurationError') stopError ??= message;
    } finally {
      inFlight.delete(day);
      progress.inProgressDays = progress.inProgressDays.filter((d) => d !== day);
      describe();
    }
  };

  try {
    while (nextIndex < runLimit && stopError === null) {
      // Paused: no new day starts; the place is nextIndex, kept here and carried across continue-as-new.
      await condition(() => (!progress.paused && inFlight.size < input.concurrency) || stopError !== null);
      if (stopError !== null) break;
      await launch(addDays(input.from, nextIndex));
      nextIndex++;
    }
    await condition(() => inFlight.size === 0);
  } catch (err) {
    if (isCancellation(err)) {
      progress.status = 'cancelled';
      describe();
      // Children were asked to cancel with us; wait for them so their uploads are aborted before we close.
      await CancellationScope.nonCancellable(() => condition(() => inFlight.size === 0));
      describe();
    }
    throw err;
  }

  if (stopError !== null) {
    progress.status = 'failed';
    progress.error = `stopped early: ${String(stopError)}`;
    describe();
    if (input.alertsConfigured !== false) await backfillCompletedAlert(progress); // issue 12
    throw ApplicationFailure.nonRetryable(progress.error, 'ConfigurationError', progress);
  }
  if (nextIndex < totalDays) {
    await continueAsNew<typeof backfillWorkflow>({ ...input, carried: { progress, nextIndex } });
  }
  progress.status = progress.failedDays.length > 0 ? 'completed_with_failures' : 'completed';
  describe();
  if (input.alertsConfigured !== false) await backfillCompletedAlert(progress); // issue 12
  return progress;
}

/** Issue 12: `backfill.completed`, once per backfill run (its first run id survives continue-as-new). */
async function backfillCompletedAlert(progress: BackfillProgress): Promise<void> {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  await raiseAlert({
    integrationId: progress.integrationId,
    event: 'backfill.completed',
    eventId: `${workflowId}:${firstExecutionRunId}:backfill.completed`,
    workflowId,
    ...(progress.error ? { error: progress.error } : {}),
    backfill: {
      backfillId: workflowId,
      from: progress.from,
      to: progress.to,
      status: progress.status,
      completedDays: progress.completedDays,
      failedDays: progress.failedDays.slice(0, 50),
    },
  });
}
