import type { Pool } from '../db/pool.js';
import { addDays } from '../export/days.js';
import type { Integration } from '../integrations/repo.js';
import { scheduledFiringOf } from '../temporal/schedules.js';
import { pausesBetween, type PauseStretch } from './schedule-pauses.js';

/**
 * Lost starts. Temporal's scheduler replays firings missed while the server or worker was down (the
 * schedule's catch-up window), but a start that fails with a non-retryable error (seen under load on the
 * dev server: NamespaceNotFound while its store timed out) is dropped: the schedule records no action,
 * no run exists, and nothing else would ever export that day. Each scheduled run therefore looks at the
 * days before its own and repairs the ones its schedule owed and never attempted.
 */

/** How far back each scheduled run looks for lost starts: a week of missed days is repaired by the next run that starts. */
export const MISSED_RUN_WINDOW_DAYS = 7;

export interface MissedRun {
  day: string;
  /** When the schedule should have started the day's run (ISO). */
  scheduledAt: string;
}

/**
 * Of the days never attempted, those the schedule owed: its firing came after the integration (and so
 * its schedule) was created, and outside every stretch in which ua-export had the schedule paused. A day
 * skipped by a pause is the operator's decision (resume with catch-up delivers those), never a repair.
 */
export function owedDays(neverAttempted: string[], createdAt: string, pauses: PauseStretch[]): MissedRun[] {
  const created = Date.parse(createdAt);
  const out: MissedRun[] = [];
  for (const day of neverAttempted) {
    const firing = scheduledFiringOf(day).getTime();
    if (firing < created) continue;
    const paused = pauses.some((p) => Date.parse(p.pausedAt) <= firing && (p.resumedAt === null || firing < Date.parse(p.resumedAt)));
    if (!paused) out.push({ day, scheduledAt: new Date(firing).toISOString() });
  }
  return out;
}

/**
 * Days in [from, to] with no attempt at all: no ledger state for any table (every export attempt of a
 * table writes one before it reads a row) and no scheduled outcome (a scheduled run that failed before
 * its first file, e.g. on a wrong key, still records one).
 */
export async function neverAttemptedDays(pool: Pool, integrationId: string, from: string, to: string): Promise<string[]> {
  const { rows } = await pool.query<{ day: string }>(
    `SELECT d::date::text AS day FROM generate_series($2::date, $3::date, interval '1 day') AS d
     WHERE NOT EXISTS (SELECT 1 FROM export_day_state s WHERE s.integration_id = $1 AND s.day = d::date)
       AND NOT EXISTS (SELECT 1 FROM scheduled_outcomes o WHERE o.integration_id = $1 AND o.day = d::date)
     ORDER BY d`,
    [integrationId, from, to],
  );
  return rows.map((r) => r.day);
}

/** The days before `day` (the run's own) that its schedule owed and never attempted, oldest first. */
export async function findMissedRuns(pool: Pool, integration: Integration, day: string, windowDays = MISSED_RUN_WINDOW_DAYS): Promise<MissedRun[]> {
  if (!integration.enabled || windowDays <= 0) return [];
  const from = addDays(day, -windowDays);
  const to = addDays(day, -1);
  // A new integration's first runs (the herd's, every day of its first week) ask nothing of Postgres.
  if (scheduledFiringOf(to).getTime() < Date.parse(integration.createdAt)) return [];
  const candidates = await neverAttemptedDays(pool, integration.id, from, to);
  if (candidates.length === 0) return [];
  const pauses = await pausesBetween(pool, integration.id, scheduledFiringOf(from), new Date(scheduledFiringOf(to).getTime() + 1));
  return owedDays(candidates, integration.createdAt, pauses);
}
