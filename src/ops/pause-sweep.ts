import type { Pool } from '../db/pool.js';
import { isUuid } from '../integrations/page-cursor.js';
import { openPauses, recordPaused, recordResumed, SWEPT_PAUSE_NOTE } from './schedule-pauses.js';

/**
 * Brings the pause record (schedule_pauses) in step with Temporal for pauses made where ua-export cannot
 * see them: the Temporal UI or CLI. Without it the repair of lost starts takes the days such a pause
 * skipped for lost starts and exports them after the unpause, which is not what pausing a schedule
 * means (Temporal skips its firings while paused; ua-export's own resume delivers them only with
 * catch-up). A pause shorter than the sweep's interval can still go unseen; its days are then repaired.
 */
export interface PauseSweepDeps {
  db: Pool;
  /** Integrations whose schedules Temporal lists as paused now. A listing may lag behind the schedules. */
  listPaused: () => Promise<Set<string>>;
  /** Whether the schedule is paused, read from the schedule itself; null when it does not exist or is not this sweep's. */
  isPaused: (integrationId: string) => Promise<boolean | null>;
  /**
   * An open stretch younger than this is left alone: a pause through ua-export is recorded before the
   * listing shows it, and must not be closed for the listing's lag.
   */
  graceMs: number;
}

export interface PauseSweepResult {
  /** Pauses made outside ua-export, now recorded. */
  opened: string[];
  /** Stretches whose schedule runs again, now closed. */
  closed: string[];
}

export async function sweepSchedulePauses(deps: PauseSweepDeps): Promise<PauseSweepResult> {
  const now = Date.now();
  const [listed, open] = await Promise.all([deps.listPaused(), openPauses(deps.db)]);
  const openIds = new Set(open.map((p) => p.integrationId));
  const opened: string[] = [];
  const closed: string[] = [];
  // Only integrations of this database: another deployment's schedules may share the namespace.
  const candidates = [...listed].filter((id) => isUuid(id) && !openIds.has(id));
  const known = candidates.length
    ? new Set((await deps.db.query<{ id: string }>(`SELECT id FROM integrations WHERE id = ANY($1::uuid[])`, [candidates])).rows.map((r) => r.id))
    : new Set<string>();
  for (const id of candidates) {
    if (!known.has(id) || (await deps.isPaused(id)) !== true) continue;
    await recordPaused(deps.db, id, SWEPT_PAUSE_NOTE);
    opened.push(id);
  }
  for (const { integrationId, pausedAt } of open) {
    if (listed.has(integrationId) || now - pausedAt.getTime() < deps.graceMs) continue;
    if ((await deps.isPaused(integrationId)) !== false) continue;
    await recordResumed(deps.db, integrationId, false);
    closed.push(integrationId);
  }
  return { opened, closed };
}
