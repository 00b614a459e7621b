/**
 * Export calendar benchmark: how fast the calendar reads and draws two years of days for hundreds of
 * integrations.
 *
 *   eval "$(bash scripts/services.sh env)" && npx tsx bench/calendar-bench.ts [--integrations 300] [--days 731] [--runs 5] [--no-browser] [--refill]
 *
 * In a database of its own (ua_export_calendar_bench, migrated like any other), it fills the ledger
 * with N integrations × D days × 2 tables (export_runs and export_day_state, bulk-inserted with
 * generate_series) and times, as the median of --runs runs after one warm-up:
 *   - calendarCodes over the whole range (the overview's one query) and GET /v1/calendar end to end
 *     (app.inject: validation, both queries, serialisation), with the response size;
 *   - ledgerForRange for one integration over the range and GET /v1/integrations/:id/exports;
 *   - in Chromium: the page fetching and drawing every strip, and opening one integration's month grid.
 */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../src/api/app.js';
import { startApi } from '../src/api/server.js';
import { loadEnv } from '../src/config/env.js';
import { keyringFromEnv } from '../src/config/keyring.js';
import { ensureBenchDatabase, fillDayStates } from './setup.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { addDays } from '../src/export/days.js';
import { TABLES } from '../src/export/tables.js';
import { calendarCodes, ledgerForRange } from '../src/ledger/export-runs.js';
import { createLogger } from '../src/logging.js';
import { openBrowser, SCREENSHOT_DIR } from '../test/helpers/browser.js';

const DB = 'ua_export_calendar_bench';
const TOKEN = 'calendar-bench-token';
/** The API's "today": the default range is then exactly the filled one. */
const NOW = new Date('2026-07-01T06:00:00Z');
const TO = '2026-06-30';

const { values: args } = parseArgs({
  options: {
    integrations: { type: 'string', default: '300' },
    days: { type: 'string', default: '731' },
    runs: { type: 'string', default: '5' },
    'no-browser': { type: 'boolean', default: false },
    refill: { type: 'boolean', default: false },
  },
});
const N = Number(args.integrations);
const DAYS = Number(args.days);
const RUNS = Math.max(1, Number(args.runs));
const FROM = addDays(TO, -(DAYS - 1));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number[]; last: T }> {
  let last = await fn(); // warm-up: plan cache, connections, JIT
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    last = await fn();
    out.push(performance.now() - t);
  }
  return { ms: out, last };
}

/**
 * N integrations × D days × 2 tables. Per integration and day (hash-chosen, so the same every time):
 * 2% missing, 1% failed (events failed, metrics fine), 0.2% running, 5% empty, 5% a failed attempt
 * then a successful retry, the rest exported.
 */
async function fill(pool: Pool): Promise<{ filledMs: number; runs: number; dayStates: number }> {
  const t = performance.now();
  await pool.query('TRUNCATE export_day_state, export_runs, integrations');
  await pool.query(
    `INSERT INTO integrations (id, app_id, endpoint_url, bucket, folder, access_key_id, secret_access_key_enc, secret_key_id, created_at)
     SELECT gen_random_uuid(), gen_random_uuid(), 'http://127.0.0.1:8333', 'ua-export-calendar-bench', 'app-' || g, 'bench', 'not-a-secret', 'bench',
            now() - make_interval(secs => $1::int - g)
     FROM generate_series(1, $1::int) g`,
    [N],
  );
  await pool.query(
    `INSERT INTO export_runs (integration_id, table_name, day, workflow_id, run_id, kind, status, object_key, manifest_key,
                              rows, bytes, parts, sha256, error, started_at, finished_at)
     SELECT i.id, t.name, d.day, 'ua-export-' || i.id || '-' || d.day, md5(i.id::text || d.day || t.name || a.n), 'scheduled', s.status,
            i.folder || '/' || t.name || '/dt=' || d.day || '/' || t.name || '_' || d.day || '.csv',
            i.folder || '/' || t.name || '/dt=' || d.day || '/_manifest.json',
            s.rows, s.rows * 180, CASE WHEN s.status = 'succeeded' THEN 1 END,
            CASE WHEN s.status = 'succeeded' THEN md5(i.id::text || d.day || t.name) END,
            CASE WHEN s.status = 'failed' THEN 'SlowDown: please reduce your request rate' END,
            d.day + time '04:00', CASE WHEN s.status <> 'running' THEN d.day + time '04:01' END
     FROM integrations i
     CROSS JOIN LATERAL (SELECT g::date AS day FROM generate_series($1::date, $2::date, interval '1 day') g) d
     CROSS JOIN LATERAL (SELECT abs(hashtext(i.id::text || d.day::text)) % 1000 AS r) h
     CROSS JOIN unnest(ARRAY['ua_events', 'campaign_metrics']) AS t(name)
     CROSS JOIN LATERAL generate_series(1, CASE WHEN h.r >= 80 AND h.r < 130 THEN 2 ELSE 1 END) AS a(n)
     CROSS JOIN LATERAL (SELECT
         CASE WHEN h.r < 30 AND t.name = 'ua_events' THEN 'failed'
              WHEN h.r >= 30 AND h.r < 32 THEN 'running'
              WHEN h.r >= 80 AND h.r < 130 AND a.n = 1 THEN 'failed'
              ELSE 'succeeded' END AS status) st
     CROSS JOIN LATERAL (SELECT st.status,
         CASE WHEN st.status <> 'succeeded' THEN NULL
              WHEN h.r >= 32 AND h.r < 80 THEN 0
              ELSE 1000 + abs(hashtext(i.id::text || d.day::text || t.name)) % 50000 END AS rows) s
     WHERE h.r >= 20
     ORDER BY i.id, d.day, t.name, a.n`,
    [FROM, TO],
  );
  await fillDayStates(pool);
  await pool.query('VACUUM ANALYZE integrations');
  await pool.query('VACUUM ANALYZE export_runs');
  await pool.query('VACUUM ANALYZE export_day_state');
  const { rows } = await pool.query<{ runs: number; states: number }>(
    'SELECT (SELECT count(*) FROM export_runs)::int AS runs, (SELECT count(*) FROM export_day_state)::int AS states',
  );
  return { filledMs: performance.now() - t, runs: rows[0]!.runs, dayStates: rows[0]!.states };
}

async function isFilled(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ n: number; lo: string | null; hi: string | null }>(
    'SELECT (SELECT count(*) FROM integrations)::int AS n, min(day)::text AS lo, max(day)::text AS hi FROM export_day_state',
  );
  const r = rows[0]!;
  return r.n === N && r.lo !== null && r.lo >= FROM && r.hi === TO && r.lo <= addDays(FROM, 3);
}

async function main(): Promise<void> {
  const env = loadEnv();
  const url = await ensureBenchDatabase(env, DB);
  const pool = createPool(url);
  const log = (s: string) => process.stdout.write(`${s}\n`);
  log(`calendar bench: ${N} integrations × ${DAYS} days (${FROM} → ${TO}) × ${TABLES.length} tables, database ${DB}, median of ${RUNS}`);

  if (args.refill || !(await isFilled(pool))) {
    const f = await fill(pool);
    log(
      `filled: ${f.runs.toLocaleString('en-US')} export_runs, ${f.dayStates.toLocaleString('en-US')} export_day_state rows in ${(f.filledMs / 1000).toFixed(1)} s`,
    );
  } else {
    log('filled: reusing the existing data (--refill to rebuild)');
  }
  const { rows: sizes } = await pool.query<{ runs: string; states: string }>(
    `SELECT pg_size_pretty(pg_total_relation_size('export_runs')) AS runs, pg_size_pretty(pg_total_relation_size('export_day_state')) AS states`,
  );
  log(`table sizes (with indexes): export_runs ${sizes[0]!.runs}, export_day_state ${sizes[0]!.states}`);

  // 1. The overview's query, and the route around it.
  const codes = await timed(() => calendarCodes(pool, FROM, TO, TABLES));
  const mix = { x: 0, e: 0, f: 0, r: 0, m: 0 } as Record<string, number>;
  for (const c of codes.last.values()) for (const ch of c) mix[ch] = (mix[ch] ?? 0) + 1;
  log(
    `calendarCodes: median ${ms(median(codes.ms))} (runs: ${codes.ms.map((x) => x.toFixed(0)).join(', ')} ms); ${codes.last.size} strings of ${DAYS}; mix ${JSON.stringify(mix)}`,
  );

  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const deps = {
    env: { ...env, API_TOKENS: TOKEN, LOG_LEVEL: 'warn' as const, API_PORT: 0, API_HOST: '127.0.0.1' },
    pool,
    keyring: keyringFromEnv(env),
    client,
    logger: createLogger('warn'),
    now: () => NOW,
  };
  const app = await buildApp(deps);
  const auth = { authorization: `Bearer ${TOKEN}` };
  const route = await timed(async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/calendar', headers: auth });
    if (res.statusCode !== 200) throw new Error(`GET /v1/calendar: ${res.statusCode} ${res.body}`);
    return res.body;
  });
  const body = route.last;
  const parsed = JSON.parse(body) as { from: string; to: string; integrations: { id: string; codes: string }[] };
  if (parsed.from !== FROM || parsed.to !== TO || parsed.integrations.length !== N) throw new Error('GET /v1/calendar did not answer the filled range');
  const gz = gzipSync(body).length;
  log(`GET /v1/calendar: median ${ms(median(route.ms))}; response ${kib(Buffer.byteLength(body))} (${kib(gz)} gzipped)`);

  // 2. One integration's detail: the ledger for the whole range.
  const ids = parsed.integrations.map((i) => i.id);
  let k = 0;
  const ledger = await timed(() => ledgerForRange(pool, ids[k++ % ids.length]!, FROM, TO, TABLES));
  log(`ledgerForRange (one integration, ${DAYS} days × 2 tables = ${ledger.last.length} entries): median ${ms(median(ledger.ms))}`);
  const exportsRoute = await timed(async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/integrations/${ids[k++ % ids.length]}/exports?from=${FROM}&to=${TO}`, headers: auth });
    if (res.statusCode !== 200) throw new Error(`GET …/exports: ${res.statusCode} ${res.body}`);
    return res.body;
  });
  log(
    `GET /v1/integrations/:id/exports (${DAYS} days): median ${ms(median(exportsRoute.ms))}; response ${kib(Buffer.byteLength(exportsRoute.last))} (${kib(gzipSync(exportsRoute.last).length)} gzipped)`,
  );
  await app.close();

  // 3. The page in Chromium: fetch and draw every strip, then one integration's month grid.
  if (!args['no-browser']) {
    const api = await startApi(deps);
    const ui = await openBrowser();
    try {
      const samples: { fetchMs: number; overviewRenderMs: number; overviewPaintMs: number; detailRenderMs: number; detailMs: number }[] = [];
      for (let i = 0; i <= RUNS; i++) {
        await ui.page.goto(`${api.url}/calendar#token=${TOKEN}`);
        await ui.page.waitForFunction(
          () => (globalThis as { document?: { body: { dataset: Record<string, string> } } }).document?.body.dataset.overview === 'drawn',
        );
        const m = await ui.page.evaluate<Record<string, number>>('window.__calendar.metrics');
        if (m.rows !== N || m.days !== DAYS) throw new Error(`the page drew ${m.rows} × ${m.days}`);
        if (i === 0) await ui.page.screenshot({ path: join(SCREENSHOT_DIR, 'calendar-bench-overview.png') });
        const t = performance.now();
        await ui.page
          .locator('.row .name')
          .nth(i % N)
          .click();
        await ui.page
          .locator('#months .day')
          .nth(DAYS - 1)
          .waitFor();
        const detailMs = performance.now() - t;
        const d = await ui.page.evaluate<Record<string, number>>('window.__calendar.metrics');
        if (i === 0) await ui.page.screenshot({ path: join(SCREENSHOT_DIR, 'calendar-bench-integration.png') });
        if (i > 0)
          samples.push({
            fetchMs: m.fetchMs!,
            overviewRenderMs: m.overviewRenderMs!,
            overviewPaintMs: m.overviewPaintMs!,
            detailRenderMs: d.detailRenderMs!,
            detailMs,
          });
      }
      const med = (f: (s: (typeof samples)[number]) => number) => median(samples.map(f));
      log(
        `browser (Chromium ${ui.browser.version()}, ${N} strips × ${DAYS} days): fetch ${ms(med((s) => s.fetchMs))}, draw ${ms(med((s) => s.overviewRenderMs))} ` +
          `(DOM rows + canvases), to painted frame ${ms(med((s) => s.overviewPaintMs))}; one integration's month grid: ledger fetch + render ${ms(med((s) => s.detailRenderMs))}, click to last cell ${ms(med((s) => s.detailMs))}`,
      );
      const cells = await ui.page.locator('#months .day:not(.out)').count();
      const nodes = await ui.page.evaluate<number>('document.getElementsByTagName("*").length');
      log(`DOM: ${cells} day cells in the month grid, ${nodes} elements on the page in all`);
    } finally {
      await ui.close();
      await api.close();
    }
  }
  await connection.close();
  await pool.end();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
