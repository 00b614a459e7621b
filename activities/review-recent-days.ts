import { getIntegration } from '../src/integrations/repo.js';
import { findMissedRuns, type MissedRun } from '../src/ops/missed-runs.js';
import { changedDaysBefore, type ChangedDay, type LookbackInput } from './check-lookback.js';
import type { ActivityDeps } from './deps.js';
import { loadingIntegration } from './failures.js';

export interface RecentDaysReview {
  /** Delivered days whose source changed since (the lookback; empty while lookbackDays is 0). */
  changed: ChangedDay[];
  /** Days the schedule owed whose run never started (src/ops/missed-runs.ts). */
  missed: MissedRun[];
}

export function createReviewRecentDays(deps: ActivityDeps) {
  /**
   * What a scheduled run checks after its own day succeeded, in one step: the lookback over the
   * delivered days before it, and the days before it that its schedule owed and never started. Reads
   * only; the workflow exports what it finds.
   */
  return async function reviewRecentDays(input: LookbackInput): Promise<RecentDaysReview> {
    const integration = await loadingIntegration(getIntegration(deps.pool, input.integrationId));
    const changed = await changedDaysBefore(deps, integration, input.day);
    let missed = await findMissedRuns(deps.pool, integration, input.day);
    // A run triggered by hand while the schedule is paused repairs nothing: the pause, perhaps made in
    // the Temporal UI where ua-export cannot record it, may be why those days have no run.
    if (missed.length > 0 && deps.schedulePaused && (await deps.schedulePaused(integration.id))) missed = [];
    return { changed, missed };
  };
}
