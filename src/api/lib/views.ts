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
  /** Issue 12: filled in by integrationView from the integration's row. */
  autoPaused?: { since: string; pausedAt: string; reason: string } | null;
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

/**
 * Issue 12: a webhook URL's path often is the credential (a Slack incoming webhook's is): only the origin
 * and the path's last 4 characters are shown, enough to tell two webhooks apart.
 */
export function maskWebhookUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = `${u.pathname}${u.search}`;
    return path.length > 1 ? `${u.origin}/…${path.slice(-4)}` : u.origin;
  } catch {
    return '****';
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
    // Issue 12: auto-paused only while the schedule really is paused (an operator may have resumed it in the UI).
    schedule: schedule
      ? {
          ...schedule,
          autoPaused: schedule.paused && i.autoPaused ? { since: i.autoPaused.sinceDay, pausedAt: i.autoPaused.at, reason: i.autoPaused.reason } : null,
        }
      : null,
    alerts: i.alerts ? { webhookUrl: maskWebhookUrl(i.alerts.webhookUrl), format: i.alerts.format, hasSecret: i.alerts.hasSecret } : null,
    lookbackDays: i.lookbackDays,
    autoPauseAfterFailedDays: i.autoPauseAfterFailedDays,
    format: i.format,
    compression: i.compression,
  };
}
