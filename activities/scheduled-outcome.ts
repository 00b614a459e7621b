import { ApplicationFailure } from '@temporalio/activity';
import { getIntegration } from '../src/integrations/repo.js';
import { autoPauseNote, markAutoPaused, recordScheduledOutcome as record, type ScheduledOutcome } from '../src/ops/scheduled-outcomes.js';
import { recordPaused } from '../src/ops/schedule-pauses.js';
import type { ActivityDeps } from './deps.js';
import { loadingIntegration } from './failures.js';

export interface ScheduledOutcomeInput {
  integrationId: string;
  day: string;
  outcome: ScheduledOutcome;
  error: string | null;
}

export interface ScheduledOutcomeResult {
  /** The previous scheduled day failed: this success is a recovery. */
  previousFailed: boolean;
  /** Set when the streak of configuration failures reached autoPauseAfterFailedDays: the schedule is paused. */
  autoPaused: { sinceDay: string; failedDays: number; reason: string } | null;
  /** The integration's lookbackDays (0: off). */
  lookbackDays: number;
  /**
   * The integration has a webhook: the run raises its alerts only then, so an integration without one
   * costs no alert workflow per event. Absent in results recorded before it existed: raise, as then.
   */
  alertsConfigured?: boolean;
}

export function createRecordScheduledOutcome(deps: ActivityDeps) {
  /**
   * Records how a scheduled day ended and acts on the streak: after autoPauseAfterFailedDays
   * consecutive configuration failures the schedule pauses itself with a note saying why and since
   * when. Transient failures break the streak and never pause. Idempotent: a retry re-pauses (only the
   * note is rewritten) and reports the same streak.
   */
  return async function recordScheduledOutcome(input: ScheduledOutcomeInput): Promise<ScheduledOutcomeResult> {
    const integration = await loadingIntegration(getIntegration(deps.pool, input.integrationId));
    const streak = await record(deps.pool, input.integrationId, input.day, input.outcome, input.error);
    const threshold = integration.autoPauseAfterFailedDays;
    let autoPaused: ScheduledOutcomeResult['autoPaused'] = null;
    if (input.outcome === 'config_failed' && threshold > 0 && streak.configFailedDays >= threshold && streak.failingSinceDay) {
      if (!deps.pauseSchedule) throw ApplicationFailure.nonRetryable('this worker has no Temporal client to pause schedules with', 'WorkerMisconfigured');
      const reason = input.error ?? 'configuration error';
      const note = autoPauseNote(streak.failingSinceDay, streak.configFailedDays, reason);
      await deps.pauseSchedule(input.integrationId, note);
      await recordPaused(deps.pool, input.integrationId, note);
      await markAutoPaused(deps.pool, input.integrationId, streak.failingSinceDay, reason);
      autoPaused = { sinceDay: streak.failingSinceDay, failedDays: streak.configFailedDays, reason };
    }
    return { previousFailed: streak.previousFailed, autoPaused, lookbackDays: integration.lookbackDays, alertsConfigured: integration.alerts !== null };
  };
}
