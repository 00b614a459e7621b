import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsForDay, insertEvents, insertMetrics, metricsForDay } from '../../src/dev/generate.js';
import { addDays, dayCount } from '../../src/export/days.js';
import { objectKeys } from '../../src/export/keys.js';
import type { TableName } from '../../src/export/tables.js';
import { recordRunFinish, recordRunStart, type RunIdentity } from '../../src/ledger/export-runs.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import { workflowUiUrl } from '../../src/temporal/links.js';
import { exportDayWorkflow } from '../../workflows/index.js';
import { setupHarness, type Harness } from '../helpers/harness.js';
import { testApi, TOKEN, type TestApi } from './api-helpers.js';

/**
 * The export calendar's API against real Postgres, Temporal and S3: the page shell (no token), the day
 * codes of every integration (GET /v1/calendar) and presigned links to a day's file, checked by
 * downloading the file a real export wrote.
 */
let h: Harness;
let api: TestApi;
let SECRET: string;
// "Today" for the API: decides the default range. Presigning uses the wall clock regardless.
const NOW = new Date('2026-08-01T09:30:00Z');

beforeAll(async () => {
  h = await setupHarness('calendar');
  SECRET = h.env.LOCAL_S3_SECRET_ACCESS_KEY;
  api = await testApi(h, { deps: { now: () => NOW } });
});

afterAll(async () => {
  await api?.close();
  await h?.close();
});

async function attempt(integrationId: string, day: string, table: TableName, outcome: 'running' | 'succeeded' | 'failed' | 'cancelled', rows = 10) {
  const run: RunIdentity = { integrationId, table, day, workflowId: exportWorkflowId(integrationId, day), runId: randomUUID() };
  const keys = objectKeys('bucket', 'folder', table, day);
  await recordRunStart(h.pool, { ...run, kind: 'manual', objectKey: keys.dataKey, manifestKey: keys.manifestKey });
  if (outcome !== 'running') {
    await recordRunFinish(
      h.pool,
      run,
      outcome === 'succeeded' ? { status: 'succeeded', rows, bytes: rows * 100, parts: 1, sha256: 'ab' } : { status: outcome, error: 'boom' },
    );
  }
}

const both = async (integrationId: string, day: string, outcome: Parameters<typeof attempt>[3], rows = 10) => {
  await attempt(integrationId, day, 'ua_events', outcome, rows);
  await attempt(integrationId, day, 'campaign_metrics', outcome, rows);
};

type CalendarBody = { from: string; to: string; integrations: { id: string; appId: string; codes: string }[]; nextCursor: string | null };

/** Every page of GET /v1/calendar?query, followed by nextCursor: the first page's answer with all the integrations. */
async function calendarPages(query: string, limit?: number): Promise<CalendarBody & { pages: number }> {
  const first = new URLSearchParams(query);
  if (limit) first.set('limit', String(limit));
  const res = await api.call('GET', `/v1/calendar?${first.toString()}`);
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<CalendarBody>();
  let pages = 1;
  for (let next = body.nextCursor; next; pages++) {
    const q = new URLSearchParams({ from: body.from, to: body.to, cursor: next, ...(limit ? { limit: String(limit) } : {}) });
    const more = await api.call('GET', `/v1/calendar?${q.toString()}`);
    expect(more.statusCode, more.body).toBe(200);
    const page = more.json<CalendarBody>();
    body.integrations.push(...page.integrations);
    next = page.nextCursor;
  }
  return { ...body, pages };
}

describe('the page shell', () => {
  it('is served without a token, holds no data, and forbids inline script and framing', async () => {
    const integration = await h.integration();
    const page = await api.call('GET', '/calendar', undefined, { token: null });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script type="module" src="/calendar/app.js"></script>');
    expect(page.body).not.toContain(integration.id);
    expect(page.body).not.toMatch(/<script>(?!<)/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-content-type-options']).toBe('nosniff');

    const js = await api.call('GET', '/calendar/app.js', undefined, { token: null });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.body).toContain('/v1/calendar');
    const css = await api.call('GET', '/calendar/app.css', undefined, { token: null });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);

    // Revalidation: the same bytes answer 304.
    const again = await api.call('GET', '/calendar/app.js', undefined, { token: null, headers: { 'if-none-match': String(js.headers.etag) } });
    expect(again.statusCode).toBe(304);
    const slash = await api.call('GET', '/calendar/', undefined, { token: null });
    expect(slash.statusCode).toBe(302);
    expect(slash.headers.location).toBe('/calendar');
  });
});

describe('GET /v1/calendar', () => {
  it('needs the bearer token', async () => {
    expect((await api.call('GET', '/v1/calendar', undefined, { token: null })).statusCode).toBe(401);
    expect((await api.call('GET', '/v1/calendar', undefined, { token: `${TOKEN}x` })).statusCode).toBe(401);
    expect((await api.call('GET', `/v1/integrations/${randomUUID()}/files/ua_events/2026-07-01`, undefined, { token: null })).statusCode).toBe(401);
  });

  it('codes every day of every integration from the ledger', async () => {
    const a = await h.integration();
    const b = await h.integration({ enabled: false });
    await both(a.id, '2026-07-01', 'succeeded');
    await both(a.id, '2026-07-02', 'succeeded', 0);
    await attempt(a.id, '2026-07-03', 'ua_events', 'failed');
    await attempt(a.id, '2026-07-03', 'campaign_metrics', 'succeeded');
    await attempt(a.id, '2026-07-04', 'ua_events', 'running');
    await attempt(a.id, '2026-07-05', 'ua_events', 'succeeded'); // campaign_metrics never exported: missing
    await both(a.id, '2026-07-06', 'cancelled');
    await attempt(a.id, '2026-07-07', 'ua_events', 'failed');
    await both(a.id, '2026-07-07', 'succeeded'); // a failed day redone: exported

    const res = await api.call('GET', '/v1/calendar?from=2026-07-01&to=2026-07-08');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = { ...res.json(), integrations: (await calendarPages('from=2026-07-01&to=2026-07-08')).integrations };
    expect(body).toMatchObject({ from: '2026-07-01', to: '2026-07-08', today: '2026-08-01', maxDays: h.env.BACKFILL_MAX_DAYS });
    expect(body.workflowUrlPrefix).toBe(workflowUiUrl(h.env.TEMPORAL_UI_URL, h.env.TEMPORAL_NAMESPACE, ''));
    expect(`${body.workflowUrlPrefix}${encodeURIComponent(exportWorkflowId(a.id, '2026-07-01'))}`).toBe(
      workflowUiUrl(h.env.TEMPORAL_UI_URL, h.env.TEMPORAL_NAMESPACE, exportWorkflowId(a.id, '2026-07-01')),
    );
    const byId = new Map<string, Record<string, unknown>>(body.integrations.map((i: { id: string }) => [i.id, i]));
    expect(byId.get(a.id)).toEqual({ id: a.id, appId: a.appId, bucket: a.bucket, folder: a.folder, enabled: true, autoPaused: null, codes: 'xefrmmxm' });
    expect(byId.get(b.id)).toEqual({ id: b.id, appId: b.appId, bucket: b.bucket, folder: b.folder, enabled: false, autoPaused: null, codes: 'mmmmmmmm' });
    // Every integration, each with one code per day; listed by app id.
    const { rows } = await h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM integrations');
    expect(body.integrations.length).toBe(rows[0]!.n);
    for (const i of body.integrations) expect(i.codes).toMatch(/^[xefrm]{8}$/);
    const appIds = body.integrations.map((i: { appId: string }) => i.appId);
    expect(appIds).toEqual([...appIds].sort((x: string, y: string) => x.localeCompare(y)));
  });

  it('defaults to the last 731 days up to yesterday', async () => {
    const a = await h.integration();
    await both(a.id, '2026-07-31', 'succeeded');
    await both(a.id, '2024-07-31', 'failed');
    const body = await calendarPages('');
    expect(body.to).toBe('2026-07-31');
    expect(body.from).toBe('2024-07-31');
    expect(dayCount(body.from, body.to)).toBe(731);
    const codes: string = body.integrations.find((i: { id: string }) => i.id === a.id)!.codes;
    expect(codes).toHaveLength(731);
    expect(codes[0]).toBe('f');
    expect(codes[730]).toBe('x');
    expect(codes.slice(1, 730)).toBe('m'.repeat(729));
    // Only `to` given: the 731 days before it.
    const until = (await api.call('GET', '/v1/calendar?to=2026-01-31')).json();
    expect([until.from, until.to]).toEqual([addDays('2026-01-31', -730), '2026-01-31']);
  });

  it('pages through every integration by app id, each once, with an opaque cursor', async () => {
    for (let i = 0; i < 3; i++) await h.integration();
    const { rows } = await h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM integrations');
    const total = rows[0]!.n;
    const first = (await api.call('GET', '/v1/calendar?from=2026-07-01&to=2026-07-03&limit=2')).json<CalendarBody>();
    expect(first.integrations).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const byTwo = await calendarPages('from=2026-07-01&to=2026-07-03', 2);
    expect(byTwo.pages).toBe(Math.ceil(total / 2));
    const ids = byTwo.integrations.map((i) => i.id);
    expect(new Set(ids).size).toBe(total);
    const appIds = byTwo.integrations.map((i) => i.appId);
    expect(appIds).toEqual([...appIds].sort((x, y) => x.localeCompare(y)));
    // The same integrations and codes as the biggest pages.
    const big = await calendarPages('from=2026-07-01&to=2026-07-03', 1000);
    expect(big.integrations).toEqual(byTwo.integrations);
    const last = await api.call('GET', `/v1/calendar?${new URLSearchParams({ from: '2026-07-01', to: '2026-07-03', limit: '1000' }).toString()}`);
    if (total <= 1000) expect(last.json().nextCursor).toBeNull();
  });

  it('refuses a cursor it did not issue and a limit out of bounds, naming the field', async () => {
    const cases: [string, string][] = [
      ['cursor=not-a-cursor!', 'cursor'],
      [`cursor=${Buffer.from(JSON.stringify(['x', 'y'])).toString('base64url')}`, 'cursor'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
    ];
    for (const [query, field] of cases) {
      const res = await api.call('GET', `/v1/calendar?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(
        res.json().details.map((d: { field: string }) => d.field),
        `${query}: ${res.body}`,
      ).toContain(field);
    }
  });

  it('validates the range like the other routes', async () => {
    const cases: [string, string, RegExp][] = [
      ['from=2026-07-09&to=2026-07-01', 'from', /on or before/],
      ['from=2023-01-01&to=2026-07-31', 'to', /at most \d+ are allowed/],
      ['from=2026-02-30&to=2026-03-01', 'from', /real calendar day/],
      ['from=2026-7-1', 'from', /pattern/],
      ['days=3', 'days', /not a known field/],
    ];
    for (const [query, field, rule] of cases) {
      const res = await api.call('GET', `/v1/calendar?${query}`);
      expect(res.statusCode, query).toBe(400);
      const body = res.json();
      expect(body.error).toBe('validation_failed');
      expect(
        body.details.some((d: { field: string; rule: string }) => d.field === field && rule.test(d.rule)),
        `${query}: ${res.body}`,
      ).toBe(true);
    }
  });

  it('is documented in the OpenAPI document with bearer auth', async () => {
    const doc = (await api.call('GET', '/openapi.json', undefined, { token: null })).json();
    expect(doc.paths['/v1/calendar'].get.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/v1/integrations/{id}/files/{table}/{day}'].get.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/calendar']).toBeUndefined();
  });
});

describe('GET /v1/integrations/:id/files/:table/:day', () => {
  it('links to the file a real export wrote, for 5 minutes, and 404s for days without one', async () => {
    const worker = await h.startWorker();
    try {
      const integration = await h.integration({ settings: { includeEventsWithoutProfile: true } });
      const day = '2026-03-04';
      await insertEvents(h.pool, eventsForDay(integration.appId, day, 120, 5));
      await insertMetrics(h.pool, metricsForDay(integration.appId, day, 3, 5));
      await h.testEnv.client.workflow.execute(exportDayWorkflow, {
        taskQueue: h.taskQueue,
        workflowId: exportWorkflowId(integration.id, day),
        args: [{ integrationId: integration.id, day, kind: 'manual' }],
      });
      const failedDay = '2026-03-05';
      await attempt(integration.id, failedDay, 'ua_events', 'failed');

      for (const table of ['ua_events', 'campaign_metrics'] as const) {
        const before = Date.now();
        const res = await api.call('GET', `/v1/integrations/${integration.id}/files/${table}/${day}`);
        expect(res.statusCode, res.body).toBe(200);
        const link = res.json();
        const keys = objectKeys(integration.bucket, integration.folder, table, day);
        expect(link.key).toBe(keys.dataKey);
        const expires = Date.parse(link.expiresAt);
        expect(expires).toBeGreaterThanOrEqual(before + 299_000);
        expect(expires).toBeLessThanOrEqual(Date.now() + 301_000);
        const url = new URL(link.url);
        expect(url.origin).toBe(new URL(h.env.LOCAL_S3_ENDPOINT).origin);
        expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
        expect(link.url).not.toContain(SECRET);

        // The link alone downloads the exact bytes in the bucket, as a named CSV attachment.
        const download = await fetch(link.url);
        expect(download.status).toBe(200);
        const bytes = Buffer.from(await download.arrayBuffer());
        expect(bytes.equals(await h.getBytes(keys.dataKey))).toBe(true);
        expect(bytes.length).toBe(link.bytes);
        expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${table}_${day}.csv"`);
        // Tampering with the key breaks the signature.
        const forged = new URL(link.url);
        forged.pathname = forged.pathname.replace(`${table}_${day}`, `${table}_${addDays(day, 1)}`);
        expect((await fetch(forged)).status).toBe(403);
      }
      const ledger = (await api.call('GET', `/v1/integrations/${integration.id}/exports?from=${day}&to=${day}`)).json();
      expect(ledger.entries.map((e: { status: string }) => e.status)).toEqual(['succeeded', 'succeeded']);

      const notFound = [
        `/v1/integrations/${integration.id}/files/ua_events/${addDays(day, -1)}`, // never exported
        `/v1/integrations/${integration.id}/files/ua_events/${failedDay}`, // only a failed attempt
        `/v1/integrations/${integration.id}/files/campaign_metrics/${failedDay}`,
        `/v1/integrations/${randomUUID()}/files/ua_events/${day}`, // unknown integration
        `/v1/integrations/${integration.id}/files/users/${day}`, // unknown table
        `/v1/integrations/${integration.id}/files/ua_events/2026-02-30`, // not a day
        `/v1/integrations/not-a-uuid/files/ua_events/${day}`,
      ];
      for (const url of notFound) {
        const res = await api.call('GET', url);
        expect(res.statusCode, url).toBe(404);
        expect(res.json().error).toBe('not_found');
      }

      // A day exported as csv_gzip or parquet downloads under its own name and content type, not as .csv.
      const formats = [
        { format: 'csv_gzip', table: 'ua_events', day: '2026-03-06', name: 'ua_events_2026-03-06.csv.gz', type: 'application/gzip' },
        {
          format: 'parquet',
          table: 'campaign_metrics',
          day: '2026-03-07',
          name: 'campaign_metrics_2026-03-07.parquet',
          type: 'application/vnd.apache.parquet',
        },
      ] as const;
      for (const f of formats) {
        expect((await api.call('PATCH', `/v1/integrations/${integration.id}`, { format: f.format })).statusCode).toBe(200);
        await insertEvents(h.pool, eventsForDay(integration.appId, f.day, 40, 7));
        await insertMetrics(h.pool, metricsForDay(integration.appId, f.day, 2, 7));
        await h.testEnv.client.workflow.execute(exportDayWorkflow, {
          taskQueue: h.taskQueue,
          workflowId: exportWorkflowId(integration.id, f.day),
          args: [{ integrationId: integration.id, day: f.day, kind: 'manual', tables: [f.table] }],
        });
        const res = await api.call('GET', `/v1/integrations/${integration.id}/files/${f.table}/${f.day}`);
        expect(res.statusCode, res.body).toBe(200);
        const link = res.json();
        expect(link.key).toBe(objectKeys(integration.bucket, integration.folder, f.table, f.day, f.format).dataKey);
        expect(link.key.endsWith(f.name)).toBe(true);
        const download = await fetch(link.url);
        expect(download.status).toBe(200);
        expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${f.name}"`);
        expect(download.headers.get('content-type')).toBe(f.type);
        expect(Buffer.from(await download.arrayBuffer()).equals(await h.getBytes(link.key))).toBe(true);
      }
    } finally {
      await worker.stop();
    }
  });

  it('never puts a secret or the token in a response or a log line', async () => {
    expect(api.responses.length).toBeGreaterThan(20);
    // Not even the sealed secret, nor the field (the OpenAPI document names it: it is write-only).
    const { rows } = await h.pool.query<{ enc: string }>('SELECT secret_access_key_enc AS enc FROM integrations WHERE bucket = $1', [h.bucket]);
    expect(rows.length).toBeGreaterThan(3);
    for (const r of api.responses) {
      expect(r).not.toContain(SECRET);
      for (const { enc } of rows) expect(r).not.toContain(enc);
      if (!r.includes('"openapi":')) expect(r).not.toContain('secretAccessKey');
    }
    for (const line of api.logs) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(TOKEN);
    }
  });
});
