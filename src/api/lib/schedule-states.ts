import { isTemporalUnavailable } from '../../temporal/errors.js';
import { integrationIdOfSchedule, scheduleId } from '../../temporal/ids.js';
import { mapLimit } from '../../map-limit.js';
import type { ApiContext } from '../context.js';
import { readScheduleState, scheduleUiUrl, type ScheduleStateView } from './views.js';

/** Describes run at once for the schedules the bulk list did not return: bounded, so a page never floods the server. */
const DESCRIBE_CONCURRENCY = 8;

/**
 * How long after an integration was created or changed its schedule may still be missing from
 * Temporal's visibility store. Visibility trails by seconds; the margin is wide because a describe too
 * many costs one round trip, while one too few shows a null schedule until the next read.
 */
export const VISIBILITY_GRACE_MS = 10 * 60_000;

/**
 * The schedule state of a page of integrations in one request: a ListSchedules filtered to the page's
 * schedule ids returns each one's pause state, note and next run times, where a describe per
 * integration costs a round trip each (figures in docs/BENCHMARKS.md). The list is read from
 * Temporal's visibility store, which trails a schedule created a moment ago: a schedule it does not
 * return is described on its own when its integration was created or changed within
 * VISIBILITY_GRACE_MS, so a new integration still shows its schedule; an older one it does not return
 * has no schedule (null) without a describe, so a page of integrations whose schedules are gone (a
 * reset Temporal, another namespace) costs one request, not one per integration. A server whose
 * visibility cannot filter by ScheduleId gets describes. When Temporal cannot be reached every state is
 * null, as for a single integration (bestEffort).
 */
export async function readScheduleStates(
  ua: ApiContext,
  integrations: readonly { id: string; updatedAt: string }[],
): Promise<Map<string, ScheduleStateView | null>> {
  const integrationIds = integrations.map((i) => i.id);
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
    // Anything else (a visibility store without ScheduleId filtering): describe them one by one.
    return describeEach(ua, integrationIds);
  }
  // updatedAt is the database's clock: compare with the wall clock, not the API's (test-settable) today.
  const recent = Date.now() - VISIBILITY_GRACE_MS;
  for (const i of integrations) if (!out.has(i.id) && Date.parse(i.updatedAt) < recent) out.set(i.id, null);
  const rest = integrationIds.filter((id) => !out.has(id));
  for (const [id, state] of await describeEach(ua, rest)) out.set(id, state);
  return out;
}

async function describeEach(ua: ApiContext, integrationIds: readonly string[]): Promise<Map<string, ScheduleStateView | null>> {
  const described = await mapLimit([...integrationIds], DESCRIBE_CONCURRENCY, (id) => readScheduleState(ua, id, { bestEffort: true }));
  return new Map(integrationIds.map((id, i): [string, ScheduleStateView | null] => [id, described[i] ?? null]));
}
