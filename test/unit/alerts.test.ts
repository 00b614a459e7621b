import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverAlert } from '../../src/alerts/deliver.js';
import type { AlertPayload } from '../../src/alerts/events.js';
import { sign, verify } from '../../src/alerts/signature.js';
import { slackMessage } from '../../src/alerts/slack.js';
import type { AlertTarget } from '../../src/alerts/target.js';
import { operationsBody } from '../../src/cli/operations-requests.js';
import { fingerprintQuery, fingerprintRows, formatFingerprint } from '../../src/export/fingerprint.js';
import { DEFAULT_SETTINGS } from '../../src/export/settings.js';
import { TimeoutError, type HttpClient } from '../../src/http/request.js';
import { closeLocalEndpoints, recordingEndpoint as receiver } from '../helpers/local-http.js';

const payload: AlertPayload = {
  id: 'ua-daily-x:export.failed',
  event: 'export.failed',
  occurredAt: '2026-12-01T04:00:10.000Z',
  integrationId: '11111111-1111-4111-8111-111111111111',
  appId: '22222222-2222-4222-8222-222222222222',
  day: '2026-11-30',
  table: 'ua_events',
  error: 'SignatureDoesNotMatch: the secret access key is wrong; replace it with PATCH',
  attempts: 1,
  tables: [{ table: 'ua_events', error: 'SignatureDoesNotMatch: the secret access key is wrong; replace it with PATCH', attempts: 1 }],
  uiUrl: 'http://127.0.0.1:8233/namespaces/default/workflows/ua-export-x-2026-11-30',
};

interface Seen {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function fakePost(status: number | Error, seen: Seen[]): HttpClient {
  return async (url, req) => {
    expect(req.method).toBe('POST');
    seen.push({ url, headers: req.headers ?? {}, body: req.body ?? '' });
    if (status instanceof Error) throw status;
    return { status, body: null };
  };
}

const target = (over: Partial<AlertTarget> = {}): AlertTarget => ({
  integrationId: payload.integrationId,
  appId: payload.appId,
  webhookUrl: 'http://127.0.0.1:9/hook',
  format: 'json',
  secret: 'whsec_test',
  ...over,
});

describe('alert signatures', () => {
  it('sign() is HMAC-SHA256 over "<timestamp>.<body>", hex, prefixed sha256=', () => {
    const body = '{"a":1}';
    const expected = createHmac('sha256', 'k').update('1764561600.{"a":1}').digest('hex');
    expect(sign('k', 1764561600, body)).toBe(`sha256=${expected}`);
  });

  it('verify() accepts the signature and refuses another body, secret, timestamp or a stale one', () => {
    const sig = sign('k', 1000, 'body');
    expect(verify('k', sig, '1000', 'body', 1000)).toBe(true);
    expect(verify('k', sig, '1000', 'body!', 1000)).toBe(false);
    expect(verify('other', sig, '1000', 'body', 1000)).toBe(false);
    expect(verify('k', sig, '1001', 'body', 1001)).toBe(false);
    expect(verify('k', sig, '1000', 'body', 1000 + 301)).toBe(false);
    expect(verify('k', undefined, '1000', 'body', 1000)).toBe(false);
  });
});

describe('deliverAlert', () => {
  it('POSTs the JSON payload with the event, delivery id, timestamp and a signature the receiver can verify', async () => {
    const seen: Seen[] = [];
    const r = await deliverAlert(target(), payload, 1_764_561_610_000, fakePost(204, seen));
    expect(r).toMatchObject({ ok: true, status: 204, retryable: false, error: null });
    const req = seen[0]!;
    expect(JSON.parse(req.body)).toEqual(payload);
    expect(req.headers['x-ua-export-event']).toBe('export.failed');
    expect(req.headers['x-ua-export-delivery']).toBe(payload.id);
    expect(req.headers['x-ua-export-timestamp']).toBe('1764561610');
    expect(verify('whsec_test', req.headers['x-ua-export-signature'], req.headers['x-ua-export-timestamp'], req.body, 1_764_561_610)).toBe(true);
    expect(req.body).not.toContain('whsec_test');
  });

  it('sends no signature header without a secret', async () => {
    const seen: Seen[] = [];
    await deliverAlert(target({ secret: null }), payload, Date.now(), fakePost(200, seen));
    expect(seen[0]!.headers['x-ua-export-signature']).toBeUndefined();
  });

  it('classifies answers: 5xx, 429, 408 and no answer are retried; other 4xx and redirects are not', async () => {
    const cases: [number | Error, boolean][] = [
      [500, true],
      [503, true],
      [429, true],
      [408, true],
      [400, false],
      [404, false],
      [410, false],
      [302, false],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), true],
      [new TimeoutError('no answer within 10000 ms'), true],
    ];
    for (const [status, retryable] of cases) {
      const r = await deliverAlert(target(), payload, Date.now(), fakePost(status, []));
      expect(r.ok, String(status)).toBe(false);
      expect(r.retryable, String(status)).toBe(retryable);
    }
  });

  it('refuses a webhook that points at a link-local or metadata address, without sending', async () => {
    for (const url of ['http://169.254.169.254/latest', 'http://[fe80::1]/x', 'http://metadata.google.internal/']) {
      const seen: Seen[] = [];
      const r = await deliverAlert(target({ webhookUrl: url }), payload, Date.now(), fakePost(200, seen));
      expect(r).toMatchObject({ ok: false, retryable: false });
      expect(r.error).toMatch(/webhook refused/);
      expect(seen).toHaveLength(0);
    }
  });

  it('slack format posts a readable { text } message with the error, the tables and the Temporal link', async () => {
    const seen: Seen[] = [];
    await deliverAlert(target({ format: 'slack' }), payload, Date.now(), fakePost(200, seen));
    const body = JSON.parse(seen[0]!.body) as { text: string };
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toContain('Export of 2026-11-30 failed for ua_events');
    expect(body.text).toContain('SignatureDoesNotMatch');
    expect(body.text).toContain(`<${payload.uiUrl}|Open in Temporal>`);
  });
});

describe('slackMessage', () => {
  it('escapes Slack control characters in error text', () => {
    const m = slackMessage({ ...payload, tables: undefined, error: 'a <b> & c' });
    expect(m.text).toContain('a &lt;b&gt; &amp; c');
  });

  it('an auto-pause message says why, since when and how to resume', () => {
    const m = slackMessage({
      ...payload,
      event: 'integration.auto_paused',
      tables: undefined,
      autoPaused: { sinceDay: '2026-11-28', failedDays: 3, reason: 'NoSuchBucket' },
    });
    expect(m.text).toContain('paused after 3 failed days since 2026-11-28');
    expect(m.text).toContain('NoSuchBucket');
    expect(m.text).toContain('--catch-up');
  });
});

describe('source fingerprints', () => {
  it('formats and reads back the row count', () => {
    expect(formatFingerprint(12, 'ab')).toBe('v1:12:00000000000000ab');
    expect(fingerprintRows('v1:12:00000000000000ab')).toBe(12);
    expect(fingerprintRows('garbage')).toBeNull();
  });

  it("aggregates in Postgres over the export's own window and settings (ua_events by id, campaign_metrics by whole row)", () => {
    const base = { appId: '22222222-2222-4222-8222-222222222222', day: '2026-11-30', settings: DEFAULT_SETTINGS, historicalCutoff: '2026-01-01 00:00:00+00' };
    const ev = fingerprintQuery({ ...base, table: 'ua_events' });
    expect(ev).toContain('bit_xor(hashint8extended(t.id, 0))');
    expect(ev).toContain("t.created_at >= '2026-11-30T00:00:00");
    expect(ev).toContain('t.profile_id IS NOT NULL');
    const cm = fingerprintQuery({ ...base, table: 'campaign_metrics' });
    expect(cm).toContain('hashtextextended(t::text, 0)');
    expect(cm).toContain("t.date = '2026-11-30'::date");
  });
});

describe('CLI integrations operations', () => {
  it('builds the PATCH body from the options, the secret from the environment only', () => {
    expect(operationsBody({ alertsWebhookUrl: 'https://h.example/x', alertsFormat: 'slack', lookbackDays: 0 }, 's3cr3t')).toEqual({
      alerts: { webhookUrl: 'https://h.example/x', format: 'slack', secret: 's3cr3t' },
      lookbackDays: 0,
    });
    expect(operationsBody({ alerts: false }, undefined)).toEqual({ alerts: null });
    expect(() => operationsBody({}, undefined)).toThrow(/nothing to change/);
  });
});

describe('deliverAlert over node:http (src/http/request.ts), to a local receiver', () => {
  afterEach(closeLocalEndpoints);

  it('a receiver gets a signed JSON event it can verify', async () => {
    const hook = await receiver((res) => res.writeHead(204).end());
    const r = await deliverAlert(target({ webhookUrl: `http://${hook.address}/hook` }), payload, 1_764_561_610_000);
    expect(r).toMatchObject({ ok: true, status: 204, retryable: false, error: null });
    const got = hook.received[0]!;
    expect(JSON.parse(got.body)).toEqual(payload);
    expect(got.headers['content-type']).toBe('application/json');
    expect(verify('whsec_test', got.headers['x-ua-export-signature'] as string, got.headers['x-ua-export-timestamp'] as string, got.body, 1_764_561_610)).toBe(
      true,
    );
  });

  it('a 503 is retryable, a refused connection is retryable with its code, a 3xx is not', async () => {
    const busy = await receiver((res) => res.writeHead(503).end());
    expect(await deliverAlert(target({ webhookUrl: `http://${busy.address}/` }), payload, Date.now())).toMatchObject({
      ok: false,
      status: 503,
      retryable: true,
      error: 'webhook answered HTTP 503',
    });
    const moved = await receiver((res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end());
    expect(await deliverAlert(target({ webhookUrl: `http://${moved.address}/` }), payload, Date.now())).toMatchObject({
      ok: false,
      status: 302,
      retryable: false,
    });
    const gone = await receiver((res) => res.end());
    await gone.close();
    const r = await deliverAlert(target({ webhookUrl: `http://${gone.address}/` }), payload, Date.now());
    expect(r).toMatchObject({ ok: false, status: null, retryable: true });
    expect(r.error).toMatch(/^webhook unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });
});
