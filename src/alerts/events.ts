/**
 * The alert events an integration's webhook receives, and the JSON body each one carries. The body
 * holds ids, days, counts, error text and a Temporal UI link: never a credential or the webhook secret.
 * `id` is the idempotency key: a delivery retried (at least once) carries the same id, so a receiver
 * drops duplicates by it (also sent as the X-UA-Export-Delivery header).
 */

export const ALERT_EVENTS = [
  'export.failed',
  'export.recovered',
  'integration.auto_paused',
  'export.redelivered',
  'export.repaired',
  'backfill.completed',
  'alert.test',
] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export interface FailedTable {
  table: string;
  error: string | null;
  attempts: number;
}

export interface AlertPayload {
  /** Idempotency key: the same for every delivery attempt of this event. */
  id: string;
  event: AlertEvent;
  occurredAt: string;
  integrationId: string;
  appId: string;
  day: string | null;
  /** The (first) table the event is about; every failed table is in `tables`. */
  table: string | null;
  /** What failed and what to fix (the export's own classified message). */
  error: string | null;
  /** Attempts of `table` on `day` in the ledger. */
  attempts: number | null;
  tables?: FailedTable[];
  /** export.redelivered: rows delivered before and now, per table. */
  redelivered?: { table: string; rowsBefore: number; rowsAfter: number }[];
  /** export.repaired: when the schedule should have started the day's run, which never started. */
  missedRun?: { scheduledAt: string };
  /** integration.auto_paused */
  autoPaused?: { sinceDay: string; failedDays: number; reason: string };
  /** backfill.completed */
  backfill?: { backfillId: string; from: string; to: string; status: string; completedDays: number; failedDays: { day: string; error: string }[] };
  /** The workflow the event is about, in the Temporal UI. */
  uiUrl: string | null;
}

/** A one-line headline per event: the Slack message's first line and the test endpoint's summary. */
export function headline(p: AlertPayload): string {
  const who = `integration ${p.integrationId}`;
  switch (p.event) {
    case 'export.failed':
      return `Export of ${p.day} failed for ${(p.tables ?? []).map((t) => t.table).join(', ') || p.table} (${who})`;
    case 'export.recovered':
      return `Export of ${p.day} succeeded again after failures (${who})`;
    case 'integration.auto_paused':
      return `Daily exports paused after ${p.autoPaused?.failedDays} failed days since ${p.autoPaused?.sinceDay} (${who})`;
    case 'export.redelivered':
      return `${p.day} re-delivered: its source changed after export (${who})`;
    case 'export.repaired':
      return `${p.day} delivered late: its scheduled run (${p.missedRun?.scheduledAt}) never started (${who})`;
    case 'backfill.completed':
      return `Backfill ${p.backfill?.from} → ${p.backfill?.to} ${p.backfill?.status} (${who})`;
    case 'alert.test':
      return `Test alert from ua-export (${who})`;
  }
}
