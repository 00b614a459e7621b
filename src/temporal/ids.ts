/**
 * Workflow and schedule ids. Deterministic, so a rerun of the same day is the same workflow id (and
 * Temporal refuses to run two at once), and readable, so an operator can type one into the UI.
 */
export const exportWorkflowId = (integrationId: string, day: string): string => `ua-export-${integrationId}-${day}`;

export const scheduleId = (integrationId: string): string => `ua-daily-${integrationId}`;

/** Temporal appends the scheduled time to this for each run it starts. */
export const scheduledWorkflowIdBase = (integrationId: string): string => `ua-daily-${integrationId}`;

export const backfillWorkflowId = (integrationId: string, from: string, to: string, tablesKey: string): string =>
  `ua-backfill-${integrationId}-${from}-${to}-${tablesKey}`;

export const SCHEDULE_ID_PREFIX = 'ua-daily-';
