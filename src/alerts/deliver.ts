import { httpRequest, type HttpClient } from '../http/request.js';
import { endpointProblems } from '../integrations/validation.js';
import type { AlertPayload } from './events.js';
import { sign, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signature.js';
import { slackMessage } from './slack.js';
import type { AlertTarget } from './target.js';

export interface DeliveryResult {
  /** The receiver's HTTP status; null when no response came. */
  status: number | null;
  ok: boolean;
  /** Whether trying again may help: no response, 408, 429 or 5xx. */
  retryable: boolean;
  error: string | null;
  durationMs: number;
}

export const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * One POST of one event. The URL was checked when it was saved; its addresses are checked again here
 * (DNS may have changed), refusing link-local and metadata addresses whatever the server's policy.
 * Redirects are not followed, so a receiver cannot bounce the request to an address the check refused.
 * The answer's body is not read: only its status counts.
 */
export async function deliverAlert(target: AlertTarget, payload: AlertPayload, nowMs: number, http: HttpClient = httpRequest): Promise<DeliveryResult> {
  const started = Date.now();
  const done = (r: Omit<DeliveryResult, 'durationMs'>): DeliveryResult => ({ ...r, durationMs: Date.now() - started });
  const problems = await endpointProblems(target.webhookUrl, { allowPlainHttp: true, allowPrivate: true }, 'alerts.webhookUrl');
  if (problems.length > 0) return done({ status: null, ok: false, retryable: false, error: `webhook refused: ${problems.map((p) => p.rule).join('; ')}` });

  const body = JSON.stringify(target.format === 'slack' ? slackMessage(payload) : payload);
  const timestamp = Math.floor(nowMs / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'ua-export-alerts/1',
    'x-ua-export-event': payload.event,
    'x-ua-export-delivery': payload.id,
    [TIMESTAMP_HEADER]: String(timestamp),
  };
  if (target.secret) headers[SIGNATURE_HEADER] = sign(target.secret, timestamp, body);
  try {
    const { status } = await http(target.webhookUrl, { method: 'POST', headers, body, timeoutMs: DELIVERY_TIMEOUT_MS });
    if (status >= 200 && status < 300) return done({ status, ok: true, retryable: false, error: null });
    const retryable = status === 408 || status === 429 || status >= 500;
    return done({ status, ok: false, retryable, error: `webhook answered HTTP ${status}` });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? `${err.message}${typeof code === 'string' && !err.message.includes(code) ? ` (${code})` : ''}` : String(err);
    return done({ status: null, ok: false, retryable: true, error: `webhook unreachable: ${message}` });
  }
}
