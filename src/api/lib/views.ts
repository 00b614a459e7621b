import { ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import type { Integration } from '../../integrations/repo.js';
import { maskKey } from '../../s3/errors.js';
import { isTemporalUnavailable } from '../../temporal/errors.js';
import { scheduleId } from '../../temporal/ids.js';
import { scheduleUiUrl as scheduleLink } from '../../temporal/links.js';
import type { ApiContext } from '../context.js';
import type { IntegrationView } from '../schemas/integrations.js';

export interface ScheduleStateView {
  scheduleId: string;
  paused: boolean;
  note: string | null;
  nextRunTimes: string[];
  uiUrl: string;
}

/** The integration's schedule in the Temporal UI. */
export function scheduleUiUrl(ua: ApiContext, integrationId: string): string {
  return scheduleLink(ua.env.TEMPORAL_UI_URL, ua.env.TEMPORAL_NAMESPACE, scheduleId(integrationId));
}

export function scheduleState(ua: ApiContext, integrationId: string, d: ScheduleDescription): ScheduleStateView {
  return {
    scheduleId: scheduleId(integrationId),
    paused: d.state.paused,
    note: d.state.note ?? null,
    nextRunTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    uiUrl: scheduleUiUrl(ua, integrationId),
  };
}

/** The schedule's state, or null when it does not exist (or, with `bestEffort`, when Temporal is unreachable). */
export async function readScheduleState(ua: ApiContext, integrationId: string, opts: { bestEffort?: boolean } = {}): Promise<ScheduleStateView | null> {
  try {
    const d = await ua.temporal(() => ua.client.schedule.getHandle(scheduleId(integrationId)).describe());
    return scheduleState(ua, integrationId, d);
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    if (opts.bestEffort && isTemporalUnavailable(err)) return null;
    throw err;
  }
}

/** What the API shows of an integration: listed field by field, so nothing secret can slip in. */
export function integrationView(i: Integration, schedule: ScheduleStateView | null): IntegrationView {
  return {
    id: i.id,
    appId: i.appId,
    endpointUrl: i.endpointUrl,
    region: i.region,
    bucket: i.bucket,
    folder: i.folder,
    accessKeyId: maskKey(i.accessKeyId),
    forcePathStyle: i.forcePathStyle,
    enabled: i.enabled,
    settings: {
      excludeHistoricalEvents: i.settings.excludeHistoricalEvents,
      includeEventsWithoutProfile: i.settings.includeEventsWithoutProfile,
      sendUserAttributes: i.settings.sendUserAttributes,
      eventTypes: i.settings.eventTypes,
    },
    historicalCutoff: i.historicalCutoff,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    lastStatus: i.lastStatus,
    lastError: i.lastError,
    lastStatusAt: i.lastStatusAt,
    schedule,
    format: i.format,
    compression: i.compression,
  };
}
