import type { Pool } from '../db/pool.js';
import { addDays, utcDayOf } from '../export/days.js';
import { TABLES } from '../export/tables.js';
import type { Integration } from '../integrations/repo.js';
import { ledgerForRange } from '../ledger/export-runs.js';

export interface CatchUpPlan {
  /** The backfill's range: the first to the last missed day. */
  from: string;
  to: string;
  /** Days in the range not delivered for every table (days between them that were delivered are overwritten identically). */
  missedDays: string[];
}

/**
 * The days a resume with catch-up backfills, from the ledger: every complete day (before `today`) not
 * delivered for every table, since the auto-pause's first failed day, or else since the day after the
 * last fully delivered day (never before the integration's creation day: older days are a backfill's
 * job, not a catch-up's). At most `maxDays` back. Null when nothing was missed.
 */
export async function planCatchUp(pool: Pool, integration: Integration, today: string, maxDays: number): Promise<CatchUpPlan | null> {
  const to = addDays(today, -1);
  const earliest = addDays(today, -maxDays);
  const createdDay = utcDayOf(new Date(integration.createdAt));
  const ledger = await ledgerForRange(pool, integration.id, earliest < createdDay || integration.autoPaused ? earliest : createdDay, to, TABLES);
  const byDay = new Map<string, boolean>();
  for (const e of ledger) byDay.set(e.day, (byDay.get(e.day) ?? true) && e.status === 'succeeded');
  let from: string;
  if (integration.autoPaused) {
    from = integration.autoPaused.sinceDay;
  } else {
    const delivered = [...byDay].filter(([, ok]) => ok).map(([d]) => d);
    const last = delivered.at(-1);
    from = last ? addDays(last, 1) : createdDay;
    if (from < createdDay) from = createdDay;
  }
  if (from < earliest) from = earliest;
  const missedDays = [...byDay].filter(([d, ok]) => !ok && d >= from && d <= to).map(([d]) => d);
  if (missedDays.length === 0) return null;
  return { from: missedDays[0]!, to: missedDays.at(-1)!, missedDays };
}
