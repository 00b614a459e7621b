import type { Pool } from '../db/pool.js';

/**
 * When ua-export paused and resumed each integration's daily schedule (migrations/…_schedule-pauses.sql).
 * Temporal keeps only whether a schedule is paused now; the repair of lost starts needs to know whether
 * a past firing was paused, so every pause and resume that goes through ua-export is written here, next
 * to the Temporal call that makes it.
 */

export interface PauseStretch {
  pausedAt: string;
  /** null while still paused. */
  resumedAt: string | null;
}

/** The note of a stretch the pause sweep opened: a pause made where ua-export could not see it. */
export const SWEPT_PAUSE_NOTE = 'paused outside ua-export (Temporal UI or CLI), seen by the pause sweep';

/**
 * Opens a pause stretch; a schedule already paused keeps the stretch it is in (its first note), except
 * one the sweep opened: ua-export's own pause names it then (the sweep can see a pause between its
 * Temporal call and this write).
 */
export async function recordPaused(db: Pool, integrationId: string, note: string): Promise<void> {
  await db.query(
    `INSERT INTO schedule_pauses (integration_id, paused_at, note) VALUES ($1, clock_timestamp(), $2)
     ON CONFLICT (integration_id) WHERE resumed_at IS NULL
     DO UPDATE SET note = EXCLUDED.note WHERE schedule_pauses.note = $3 AND EXCLUDED.note <> $3`,
    [integrationId, note, SWEPT_PAUSE_NOTE],
  );
}

/** Every open stretch: the integrations ua-export believes paused, and since when. */
export async function openPauses(db: Pool): Promise<{ integrationId: string; pausedAt: Date }[]> {
  const { rows } = await db.query<{ integration_id: string; paused_at: Date }>(
    `SELECT integration_id, paused_at FROM schedule_pauses WHERE resumed_at IS NULL`,
  );
  return rows.map((r) => ({ integrationId: r.integration_id, pausedAt: r.paused_at }));
}

/**
 * Closes the open pause stretch. `wasPaused` is what Temporal said before the unpause: a schedule paused
 * where ua-export could not see it (the Temporal UI or CLI) has no open stretch, and gets one from the
 * end of the last recorded stretch (or the integration's creation), so the days it skipped are never
 * taken for lost starts.
 */
export async function recordResumed(db: Pool, integrationId: string, wasPaused: boolean): Promise<void> {
  const { rowCount } = await db.query(
    `UPDATE schedule_pauses SET resumed_at = greatest(clock_timestamp(), paused_at) WHERE integration_id = $1 AND resumed_at IS NULL`,
    [integrationId],
  );
  if ((rowCount ?? 0) > 0 || !wasPaused) return;
  await db.query(
    `INSERT INTO schedule_pauses (integration_id, paused_at, resumed_at, note)
     SELECT i.id, coalesce(max(p.resumed_at), i.created_at), clock_timestamp(), 'paused outside ua-export (Temporal UI or CLI)'
     FROM integrations i LEFT JOIN schedule_pauses p ON p.integration_id = i.id
     WHERE i.id = $1 GROUP BY i.id
     ON CONFLICT DO NOTHING`,
    [integrationId],
  );
}

/** The stretches that overlap [from, to), oldest first. */
export async function pausesBetween(db: Pool, integrationId: string, from: Date, to: Date): Promise<PauseRecord[]> {
  const { rows } = await db.query<PauseRow>(
    `SELECT paused_at, resumed_at, note FROM schedule_pauses
     WHERE integration_id = $1 AND paused_at < $3 AND (resumed_at IS NULL OR resumed_at > $2) ORDER BY paused_at`,
    [integrationId, from, to],
  );
  return rows.map(fromRow);
}

export interface PauseRecord extends PauseStretch {
  note: string;
}

/** The latest stretches, newest first: what the schedule view shows an operator. */
export async function recentPauses(db: Pool, integrationId: string, limit = 10): Promise<PauseRecord[]> {
  const { rows } = await db.query<PauseRow>(
    `SELECT paused_at, resumed_at, note FROM schedule_pauses WHERE integration_id = $1 ORDER BY paused_at DESC LIMIT $2`,
    [integrationId, limit],
  );
  return rows.map(fromRow);
}

interface PauseRow {
  paused_at: Date;
  resumed_at: Date | null;
  note: string;
}

function fromRow(r: PauseRow): PauseRecord {
  return { pausedAt: r.paused_at.toISOString(), resumedAt: r.resumed_at?.toISOString() ?? null, note: r.note };
}
