import { isTemporalUnavailable } from '../../temporal/errors.js';
import { integrationIdOfSchedule, scheduleId } from '../../temporal/ids.js';
import { mapLimit } from '../../map-limit.js';
import type { ApiContext } from '../context.js';
import { readScheduleState, scheduleUiUrl, type ScheduleStateView } from './views.js';

/** Describes run at once for the schedules the bulk list did not return: bounded, so a page never floods the server. */
const DESCRIBE_CONCURRENCY = 8;

/**
 * The schedule state of a page of integrations in one request: a ListSchedules filtered to the page's
 * schedule ids returns each one's pause state, note and next run times, where a describe per
 * integration costs a round trip each (figures in docs/BENCHMARKS.md). The list is read from
 * Temporal's visibility store, which trails a schedule created a moment ago: a schedule it does not
 * return is described on its own, so a new integration still shows its schedule, and one whose schedule
 * is really missing shows null. A server whose visibility cannot filter by ScheduleId gets describes.
 * When Temporal cannot be reached every state is null, as for a single integration (bestEffort).
 */
export async function readScheduleStates(ua: ApiContext, integrationIds: readonly string[]): Promise<Map<string, ScheduleStateView | null>> {
  const out = new Map<string, ScheduleStateView | null>();
  if (integrationIds.length === 0) return out;
  try {
    const query = `ScheduleId IN (${integrationIds.map((id) => `'${scheduleId(id)}'`).join(', ')})`;
    await ua.temporal(async () => {
      for await (const s of ua.client.schedule.list({ query, pageSize: integrationIds.length })) {
        const id = integrationIdOfSchedule(s.scheduleId);
        if (id === null || !integrationIds.includes(id)) continue;
        out.set(id, {
          scheduleId: s.scheduleId,
          paused: s.state.paused,
          note: s.state.note ?? null,
          nextRunTimes: s.info.nextActionTimes.map((t) => t.toISOString()),
          uiUrl: scheduleUiUrl(ua, id),
        });
      }
    });
  } catch (err) {
    if (isTemporalUnavailable(err)) return new Map(integrationIds.map((id) => [id, null]));
    // Anything else (a visibility store without ScheduleId filtering): describe them one by one below.
    out.clear();
  }
  const rest = integrationIds.filter((id) => !out.has(id));
  const described = await mapLimit(rest, DESCRIBE_CONCURRENCY, (id) => readScheduleState(ua, id, { bestEffort: true }));
  rest.forEach((id, i) => out.set(id, described[i] ?? null));
  return out;
}
