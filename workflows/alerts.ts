import { ParentClosePolicy, proxyActivities, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities, AlertDelivery, AlertRequest } from '../activities/index.js';
import { alertWorkflowId } from '../src/temporal/ids.js';
import { SA_INTEGRATION_ID } from '../src/temporal/search-attributes.js';

// A receiver that is down is retried with backoff for a day; the export that raised the event has
// already finished by then, so nothing waits on this.
const alerts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: ['AlertRefused'] },
});

/** Delivers one alert event, durably: at least once, with the event's id as idempotency key. */
export async function alertWorkflow(req: AlertRequest): Promise<AlertDelivery> {
  return alerts.sendAlert.executeWithOptions({ summary: `${req.event} → webhook` }, [req]);
}

/**
 * Raises an alert from another workflow without waiting for it: the alert runs as its own workflow
 * (ParentClosePolicy ABANDON), so a webhook that is down never fails or delays the export, and it
 * outlives the workflow that raised it. The workflow id is the event id, and a closed alert workflow's
 * id is not reused: raising the same event twice (a replay, a retried run) delivers it once.
 */
export async function raiseAlert(req: AlertRequest): Promise<void> {
  try {
    await startChild(alertWorkflow, {
      workflowId: alertWorkflowId(req.eventId),
      args: [req],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [{ key: SA_INTEGRATION_ID, value: req.integrationId }],
      staticSummary: `Alert ${req.event}${req.day ? ` (${req.day})` : ''} for integration ${req.integrationId}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    throw err;
  }
}
