import { ParentClosePolicy, executeChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { dayToExport } from '../src/export/days.js';
import { exportWorkflowId } from '../src/temporal/ids.js';
import { SA_EXPORT_DAY, SA_INTEGRATION_ID, SA_RUN_KIND, SA_SCHEDULED_START } from '../src/temporal/search-attributes.js';
import { exportDayWorkflow, type ExportDayResult } from './export-day.js';

export interface ScheduledExportInput {
  integrationId: string;
}

export type ScheduledExportResult =
  { status: 'exported'; day: string; result: ExportDayResult } | { status: 'already-running'; day: string; workflowId: string };

/**
 * What each integration's daily schedule starts. The day comes from the schedule's *scheduled* time,
 * not the clock, so a run that starts late or is caught up after an outage exports the right day.
 * The export itself is a child with the day's deterministic id, shared with backfills, so the same
 * day is never exported twice at once.
 */
export async function scheduledExportWorkflow(input: ScheduledExportInput): Promise<ScheduledExportResult> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(SA_SCHEDULED_START) ?? info.runStartTime;
  const day = dayToExport(scheduledAt);
  const workflowId = exportWorkflowId(input.integrationId, day);
  try {
    const result = await executeChild(exportDayWorkflow, {
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
    return { status: 'exported', day, result };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { status: 'already-running', day, workflowId };
    throw err;
  }
}
