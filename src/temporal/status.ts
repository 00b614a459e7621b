/**
 * Temporal's workflow execution statuses as the API spells them. One table, three views of it:
 * the raw name (lower case), the coarse status of a run (running / completed / cancelled / failed),
 * and what a closed execution says about a backfill's outcome. Names are Temporal's
 * WorkflowExecutionStatusName (RUNNING, COMPLETED, …), taken as plain strings: an unknown one is passed through.
 */

/** Temporal's execution status name as the API spells statuses: lower case, `unknown` when absent. */
export function statusName(name: string | undefined): string {
  return name ? name.toLowerCase() : 'unknown';
}

/** The coarse status of a run; a status outside the four (e.g. PAUSED) keeps its own name. */
export function runStatus(name: string | undefined): string {
  switch (name) {
    case 'RUNNING':
    case 'CONTINUED_AS_NEW':
      return 'running';
    case 'COMPLETED':
      return 'completed';
    case 'CANCELLED':
      return 'cancelled';
    case 'FAILED':
    case 'TERMINATED':
    case 'TIMED_OUT':
      return 'failed';
    default:
      return statusName(name);
  }
}

/**
 * What a closed execution says about a backfill's outcome: failed or cancelled, or null when the
 * execution does not tell (still open, or COMPLETED: the progress query knows completed vs
 * completed_with_failures).
 */
export function closedBackfillStatus(name: string | undefined): 'failed' | 'cancelled' | null {
  const s = runStatus(name);
  return s === 'failed' || s === 'cancelled' ? s : null;
}

export const isRunning = (name: string | undefined): boolean => name === 'RUNNING';
