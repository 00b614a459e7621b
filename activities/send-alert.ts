import { ApplicationFailure } from '@temporalio/activity';
import { deliverAlert } from '../src/alerts/deliver.js';
import type { AlertEvent, AlertPayload } from '../src/alerts/events.js';
import { loadAlertTarget } from '../src/alerts/target.js';
import { TABLES } from '../src/export/tables.js';
import { ledgerForRange } from '../src/ledger/export-runs.js';
import { workflowUiUrl } from '../src/temporal/links.js';
import { createLogger } from '../src/logging.js';
import type { ActivityDeps } from './deps.js';
import { loadingIntegration } from './failures.js';

/** What a workflow says about an event: ids, days, counts and messages only (it travels in history). */
export interface AlertRequest {
  integrationId: string;
  event: AlertEvent;
  /** The idempotency key, deterministic in the workflow that raised it. */
  eventId: string;
  day?: string;
  /** The workflow the event is about (linked in the payload). */
  workflowId?: string;
  runId?: string;
  error?: string;
  redelivered?: AlertPayload['redelivered'];
  autoPaused?: AlertPayload['autoPaused'];
  missedRun?: AlertPayload['missedRun'];
  backfill?: AlertPayload['backfill'];
}

export interface AlertDelivery {
  delivered: boolean;
  /** The receiver's HTTP status, or null (no webhook, no response). */
  status: number | null;
  skipped?: 'no webhook configured';
}

export function createSendAlert(deps: ActivityDeps) {
  /**
   * Delivers one event to the integration's webhook; throws a retryable failure while the receiver is
   * unreachable or answers 408, 429 or 5xx, so Temporal retries it with backoff (the alert workflow's
   * policy), and a non-retryable one for any other answer. The secret is opened here and only here.
   */
  return async function sendAlert(req: AlertRequest): Promise<AlertDelivery> {
    const target = await loadingIntegration(loadAlertTarget(deps.pool, deps.keyring, req.integrationId));
    if (!target) return { delivered: false, status: null, skipped: 'no webhook configured' };
    const payload = await buildPayload(deps, req, target.appId);
    const result = await deliverAlert(target, payload, Date.now(), deps.http);
    const log = (deps.log ?? createLogger('silent')).child({ integrationId: req.integrationId, event: req.event, eventId: req.eventId, day: req.day });
    if (result.ok) {
      log.info({ status: result.status, durationMs: result.durationMs }, 'alert delivered');
      return { delivered: true, status: result.status };
    }
    log.warn({ status: result.status, error: result.error }, 'alert not delivered');
    if (result.retryable) throw ApplicationFailure.retryable(result.error ?? 'alert not delivered', 'AlertDeliveryFailed');
    throw ApplicationFailure.nonRetryable(result.error ?? 'alert refused', 'AlertRefused');
  };
}

async function buildPayload(deps: ActivityDeps, req: AlertRequest, appId: string): Promise<AlertPayload> {
  const payload: AlertPayload = {
    id: req.eventId,
    event: req.event,
    occurredAt: new Date().toISOString(),
    integrationId: req.integrationId,
    appId,
    day: req.day ?? null,
    table: null,
    error: req.error ?? null,
    attempts: null,
    uiUrl: req.workflowId && deps.temporalUi ? workflowUiUrl(deps.temporalUi.baseUrl, deps.temporalUi.namespace, req.workflowId, req.runId) : null,
  };
  if (req.event === 'export.failed' && req.day) {
    // The ledger has each table's final error (what to fix) and how many attempts the day took.
    const failed = (await ledgerForRange(deps.pool, req.integrationId, req.day, req.day, TABLES)).filter((e) => e.status === 'failed');
    payload.tables = failed.map((e) => ({ table: e.table, error: e.error, attempts: e.attempts }));
    const first = failed[0];
    if (first) Object.assign(payload, { table: first.table, error: first.error ?? payload.error, attempts: first.attempts });
  }
  if (req.redelivered) {
    payload.redelivered = req.redelivered;
    payload.table = req.redelivered[0]?.table ?? null;
  }
  if (req.autoPaused) payload.autoPaused = req.autoPaused;
  if (req.missedRun) payload.missedRun = req.missedRun;
  if (req.backfill) payload.backfill = req.backfill;
  return payload;
}
