/**
 * Workflow and schedule ids. Deterministic, so a rerun of the same day is the same workflow id (and
 * Temporal refuses to run two at once), and readable, so an operator can type one into the UI.
 * Each id is formatted and parsed here, and nowhere else.
 */
export const EXPORT_WORKFLOW_ID_PREFIX = 'ua-export-';
export const SCHEDULE_ID_PREFIX = 'ua-daily-';
export const BACKFILL_WORKFLOW_ID_PREFIX = 'ua-backfill-';

/** Issue 12: one alert workflow per event; the event id (the idempotency key) makes a duplicate start a no-op. */
export const ALERT_WORKFLOW_ID_PREFIX = 'ua-alert-';
export const alertWorkflowId = (eventId: string): string => `${ALERT_WORKFLOW_ID_PREFIX}${eventId}`;
export const exportWorkflowId = (integrationId: string, day: string): string => `${EXPORT_WORKFLOW_ID_PREFIX}${integrationId}-${day}`;

export const scheduleId = (integrationId: string): string => `${SCHEDULE_ID_PREFIX}${integrationId}`;

/** Temporal appends the scheduled time to this for each run it starts. */
export const scheduledWorkflowIdBase = (integrationId: string): string => `${SCHEDULE_ID_PREFIX}${integrationId}`;

export const backfillWorkflowId = (integrationId: string, from: string, to: string, tablesKey: string): string =>
  `${BACKFILL_WORKFLOW_ID_PREFIX}${integrationId}-${from}-${to}-${tablesKey}`;

/** The integration a schedule id belongs to, or null when the id is not one of ours. */
export function integrationIdOfSchedule(id: string): string | null {
  return id.startsWith(SCHEDULE_ID_PREFIX) ? id.slice(SCHEDULE_ID_PREFIX.length) : null;
}

/**
 * Whether a backfill id names a backfill of this integration. Only the prefix is checked: any id under
 * it is the integration's (Temporal answers "not found" for the rest), and one of another integration,
 * or no backfill id at all, is refused before Temporal is asked.
 */
export function isBackfillOf(integrationId: string, backfillId: string): boolean {
  return backfillId.startsWith(`${BACKFILL_WORKFLOW_ID_PREFIX}${integrationId}-`);
}

export interface BackfillIdParts {
  integrationId: string;
  from: string;
  to: string;
  tablesKey: string;
}

// The integration id is a uuid, so the days after it are found by position.
const BACKFILL_ID_RE = /^ua-backfill-([0-9a-f-]{36})-(\d{4}-\d{2}-\d{2})-(\d{4}-\d{2}-\d{2})-([^]*)$/;

/** The parts of a backfill id made by backfillWorkflowId (uuid integration id), or null for any other id. */
export function parseBackfillWorkflowId(id: string): BackfillIdParts | null {
  const m = BACKFILL_ID_RE.exec(id);
  return m ? { integrationId: m[1]!, from: m[2]!, to: m[3]!, tablesKey: m[4]! } : null;
}
