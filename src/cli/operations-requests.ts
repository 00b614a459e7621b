import { InvalidArgumentError } from 'commander';
import type { PatchIntegrationRequest } from './types.js';

/** Issue 12: `integrations operations` options → the PATCH body (the API validates the values). */
export interface OperationsOptions {
  alertsWebhookUrl?: string;
  alertsFormat?: string;
  /** false with --no-alerts. */
  alerts?: boolean;
  lookbackDays?: number;
  autoPauseAfterFailedDays?: number;
}

/** Commander parser for a whole number ≥ 0. */
export function parseWholeNumber(value: string): number {
  if (!/^\s*\d+\s*$/.test(value)) throw new InvalidArgumentError('must be a whole number (0 or more)');
  return Number(value);
}

export function operationsBody(o: OperationsOptions, secret: string | undefined): PatchIntegrationRequest {
  if (o.alerts === false && o.alertsWebhookUrl !== undefined) throw new InvalidArgumentError('--no-alerts and --alerts-webhook-url contradict each other');
  const body: PatchIntegrationRequest = {};
  if (o.alerts === false) body.alerts = null;
  if (o.alertsWebhookUrl !== undefined) {
    body.alerts = {
      webhookUrl: o.alertsWebhookUrl,
      ...(o.alertsFormat !== undefined ? { format: o.alertsFormat as 'json' | 'slack' } : {}),
      ...(secret !== undefined ? { secret } : {}),
    };
  }
  if (o.lookbackDays !== undefined) body.lookbackDays = o.lookbackDays;
  if (o.autoPauseAfterFailedDays !== undefined) body.autoPauseAfterFailedDays = o.autoPauseAfterFailedDays;
  if (Object.keys(body).length === 0)
    throw new InvalidArgumentError('nothing to change: give --alerts-webhook-url, --no-alerts, --lookback-days or --auto-pause-after-failed-days');
  return body;
}
