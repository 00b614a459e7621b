import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/**
 * Whether a workflow id has a running execution, for the orphaned-upload sweep: true or false when
 * Temporal says so, null when it cannot be asked (the sweep then keeps the upload unless it is too old
 * for any live attempt to own).
 */
export function workflowRunningVia(client: Client): (workflowId: string) => Promise<boolean | null> {
  return async (workflowId) => {
    try {
      const d = await client.workflow.getHandle(workflowId).describe();
      return d.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      return null;
    }
  };
}
