/**
 * Lookback benchmark (issue 12): what the daily fingerprint check of one delivered day costs, so its
 * price for 1,000 integrations can be estimated.
 *
 *   eval "$(bash scripts/services.sh env)" && npm run bench:lookback -- [--rows 1000000] [--runs 5] [--refill]
 *
 * In a database of its own (ua_export_lookback_bench, migrated like any other) it fills one app-day of
 * ua_events with --rows rows (generated in SQL, padded to a realistic row width) plus a small day, then
 * times, as the median of --runs runs after one warm-up, on a warm cache:
 *   - the fingerprint query (src/export/fingerprint.ts) with the default settings (profile_id filter:
 *     an index scan that reads each row's heap tuple) and with includeEventsWithoutProfile (no filter on
 *     heap columns: an index-only scan);
 *   - the baseline, in the same run: `SELECT count(*)` over the same window and filter, the cheapest
 *     query that has to visit the same rows;
 *   - the plan (EXPLAIN ANALYZE, BUFFERS) of the default fingerprint, to show it walks the
 *     (app_id, created_at, id) index and never sorts;
 *   - the backend's CPU time for the fingerprint (pg_stat_statements is not assumed: the figure is the
 *     Postgres-side execution time reported by EXPLAIN ANALYZE).
 * Wall-clock figures on a shared machine are noisy; the ratio to the baseline is the steadier figure.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadEnv } from '../src/config/env.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { fingerprintQuery, sourceFingerprint, type FingerprintInput } from '../src/export/fingerprint.js';
import { DEFAULT_SETTINGS } from '../src/export/settings.js';

const DB = 'ua_export_lookback_bench';
const APP = '0b1ec0de-0000-4000-8000-000000000001';
const DAY = '2026-06-10';
const SMALL_DAY = '2026-06-11';
const SMALL_ROWS = 1_000;

const { values: args } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '5' }, refill: { type: 'boolean', default: false } },
});
const ROWS = Number(args.rows);
const RUNS = Math.max(1, Number(args.runs));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const env = loadEnv();
const admin = new pg.Client({ connectionString: env.DATABASE_URL });
await admin.connect();
const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB]);
if (!exists.rowCount) await admin.query(`CREATE DATABASE ${DB}`);
await admin.end();
const url = new URL(env.DATABASE_URL);
url.pathname = `/${DB}`;
await migrate(url.toString());
const pool = createPool(url.toString());

async function fill(day: string, rows: number): Promise<void> {
  const { rows: have } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM ua_events WHERE app_id = $1 AND created_at >= $2::timestamptz AND created_at < $2::timestamptz + interval '1 day'`,
    [APP, day],
  );
  if (Number(have[0]!.n) === rows && !args.refill) return;
  await pool.query(`DELETE FROM ua_events WHERE app_id = $1 AND created_at >= $2::timestamptz AND created_at < $2::timestamptz + interval '1 day'`, [APP, day]);
  // Spread over the day; padded text columns give rows of about the generator's width, so heap fetches cost what they would.
  await pool.query(
    `INSERT INTO ua_events (app_id, created_at, profile_id, event_type, event_datetime, campaign_name, user_agent, custom_parameters)
     SELECT $1, $2::timestamptz + (i * (86400000000 / $3)) * interval '1 microsecond',
            CASE WHEN i % 50 = 0 THEN NULL ELSE gen_random_uuid() END, 'install', $2::timestamptz,
            'campaign_' || (i % 40), repeat('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) ', 4), jsonb_build_object('af_sub1', i % 100)
     FROM generate_series(0, $3 - 1) AS i`,
    [APP, day, rows],
  );
  await pool.query('VACUUM ANALYZE ua_events');
}

console.log(`filling ${ROWS.toLocaleString('en')} rows for ${DAY} and ${SMALL_ROWS} for ${SMALL_DAY} (kept between runs; --refill redoes it)…`);
const t0 = performance.now();
await fill(DAY, ROWS);
await fill(SMALL_DAY, SMALL_ROWS);
console.log(`filled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const input = (day: string, includeEventsWithoutProfile: boolean): FingerprintInput => ({
  table: 'ua_events',
  appId: APP,
  day,
  settings: { ...DEFAULT_SETTINGS, includeEventsWithoutProfile },
  historicalCutoff: '2020-01-01 00:00:00+00',
});

async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

/** The same query with sequential scans off: the index path a table holding many apps and days gets (this bench's table is mostly the one day). */
async function viaIndex<T>(fn: (db: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN; SET LOCAL enable_seqscan = off');
    return await fn(c);
  } finally {
    await c.query('COMMIT');
    c.release();
  }
}

const countQuery = (i: FingerprintInput) => fingerprintQuery(i).replace(/^SELECT .* FROM ua_events t/, 'SELECT count(*) FROM ua_events t');

const lines: string[] = [];
for (const [label, day, rows] of [
  ['1M-row day', DAY, ROWS],
  ['1k-row day', SMALL_DAY, SMALL_ROWS],
] as const) {
  for (const withoutProfile of [false, true]) {
    const i = input(day, withoutProfile);
    const fp = await time(() => sourceFingerprint(pool, i));
    const base = await time(() => pool.query(countQuery(i), [APP]));
    const plan = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) ${fingerprintQuery(i)}`, [APP]);
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    const scan = /(Index Only Scan|Index Scan|Seq Scan|Bitmap Heap Scan)/.exec(text)?.[1] ?? '?';
    const exec = Number(/Execution Time: ([\d.]+) ms/.exec(text)?.[1] ?? NaN);
    const settings = withoutProfile ? 'includeEventsWithoutProfile' : 'default settings';
    lines.push(
      `${label} (${rows.toLocaleString('en')} rows, ${settings}): fingerprint ${fp.toFixed(1)} ms (Postgres execution ${exec.toFixed(1)} ms, ${scan}), ` +
        `count(*) baseline ${base.toFixed(1)} ms, ratio ${(fp / base).toFixed(2)}×, ${((fp * 1000) / rows).toFixed(3)} µs/row`,
    );
    if (label === '1M-row day' && !withoutProfile) {
      lines.push(`plan:\n${text.replace(/^/gm, '    ')}`);
      const fpIdx = await time(() => viaIndex((db) => sourceFingerprint(db, i)));
      const baseIdx = await time(() => viaIndex((db) => db.query(countQuery(i), [APP])));
      const planIdx = await viaIndex((db) => db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) ${fingerprintQuery(i)}`, [APP]));
      const idxText = planIdx.rows.map((r) => r['QUERY PLAN']).join('\n');
      lines.push(
        `${label} via the index (enable_seqscan off, as on a table of many apps and days): fingerprint ${fpIdx.toFixed(1)} ms ` +
          `(Postgres execution ${Number(/Execution Time: ([\d.]+) ms/.exec(idxText)?.[1]).toFixed(1)} ms, ${/(Index Only Scan|Index Scan|Bitmap Heap Scan)/.exec(idxText)?.[1] ?? '?'}), ` +
          `count(*) baseline ${baseIdx.toFixed(1)} ms, ratio ${(fpIdx / baseIdx).toFixed(2)}×`,
      );
    }
  }
}
console.log(lines.join('\n'));
await pool.end();
