import type { Pool } from '../db/pool.js';

/**
 * What each scheduled day ended as, and what follows from the run of them: the streak of days failed
 * for a configuration reason that pauses the schedule, and whether a success ends a run of failures.
 * Only scheduled runs are recorded: a backfill or a manual rerun says nothing about whether tomorrow's
 * 04:00 run will work.
 */

export type ScheduledOutcome = 'succeeded' | 'config_failed' | 'failed';

export interface OutcomeStreak {
  /** The scheduled day before this one (by day) failed, for whatever reason. */
  previousFailed: boolean;
  /** Consecutive recorded scheduled days ending with this one that failed for a configuration reason. */
  configFailedDays: number;
  /** The first day of that streak (null when this day is not a configuration failure). */
  failingSinceDay: string | null;
}

/** Idempotent per (integration, day): a retried activity or a rerun of the same scheduled day overwrites its row. */
export async function recordScheduledOutcome(
  pool: Pool,
  integrationId: string,
  day: string,
  outcome: ScheduledOutcome,
  error: string | null,
): Promise<OutcomeStreak> {
  await pool.query(
    `INSERT INTO scheduled_outcomes (integration_id, day, outcome, error) VALUES ($1, $2, $3, $4)
     ON CONFLICT (integration_id, day) DO UPDATE SET outcome = EXCLUDED.outcome, error = EXCLUDED.error, recorded_at = now()`,
    [integrationId, day, outcome, error],
  );
  // The newest days first, up to this one: the streak is the leading run of config_failed rows.
  const { rows } = await pool.query<{ day: string; outcome: ScheduledOutcome }>(
    `SELECT day::text AS day, outcome FROM scheduled_outcomes WHERE integration_id = $1 AND day <= $2 ORDER BY day DESC LIMIT 400`,
    [integrationId, day],
  );
  let configFailedDays = 0;
  let failingSinceDay: string | null = null;
  for (const r of rows) {
    if (r.outcome !== 'config_failed') break;
    configFailedDays++;
    failingSinceDay = r.day;
  }
  const previous = rows[1];
  return { previousFailed: previous !== undefined && previous.outcome !== 'succeeded', configFailedDays, failingSinceDay };
}

/** Marks the integration as paused by itself; returns false when it already was, for this same streak. */
export async function markAutoPaused(pool: Pool, integrationId: string, sinceDay: string, reason: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE integrations SET auto_paused_at = now(), auto_paused_since_day = $2, auto_pause_reason = $3
     WHERE id = $1 AND auto_paused_since_day IS DISTINCT FROM $2::date`,
    [integrationId, sinceDay, reason],
  );
  return (rowCount ?? 0) > 0;
}

/** A resume (or an operator's fix) ends the auto-pause. */
export async function clearAutoPaused(pool: Pool, integrationId: string): Promise<void> {
  await pool.query(`UPDATE integrations SET auto_paused_at = NULL, auto_paused_since_day = NULL, auto_pause_reason = NULL WHERE id = $1`, [integrationId]);
}

/** The note the schedule carries while auto-paused: why, and since when. */
export function autoPauseNote(sinceDay: string, days: number, reason: string): string {
  return `auto-paused: ${days} consecutive scheduled days failed with a configuration error since ${sinceDay}: ${reason}. Fix it, then resume with catch-up.`;
}
