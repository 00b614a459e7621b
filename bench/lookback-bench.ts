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
 *
 *   … npm run bench:lookback -- --integrations 1000 [--concurrency 8] [--rounds 2]
 *
 * The cost at scale, in bench:scale terms: --integrations apps, each with LOOKBACK_DAYS (3) delivered
 * days of the bench:scale day (2,000 events and the campaign metrics of 12 campaigns; one app generated
 * with src/dev/generate.ts, the others copied from it inside Postgres as bench/scale.ts does). Every
 * fingerprint of every table-day is taken as the scheduled runs take them: sequentially within an
 * integration (checkLookback), --concurrency integrations at once (the worker's activity slots,
 * WORKER_MAX_CONCURRENT_ACTIVITIES). Reported per round: wall, per-query latency, and the CPU-seconds
 * of this database's Postgres backends (/proc), next to the baseline run the same way in the same
 * round: `count(*)` of the same rows.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadEnv } from '../src/config/env.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { DEFAULT_MAX_CONCURRENT_ACTIVITIES } from '../src/config/env.js';
import { METRIC_INSERT_COLUMNS, EVENT_INSERT_COLUMNS, eventsForDay, insertEvents, insertMetrics, metricsForDay } from '../src/dev/generate.js';
import { addDays, dayWindow } from '../src/export/days.js';
import { fingerprintQuery, sourceFingerprint, type FingerprintInput } from '../src/export/fingerprint.js';
import { DEFAULT_SETTINGS } from '../src/export/settings.js';
import { TABLES } from '../src/export/tables.js';
import { mapLimit } from '../src/map-limit.js';
import { CpuGroups, postgresGroup } from './proc.js';

// BENCH_INSTANCE, as bench/setup.ts: a database of this bench's own on shared services.
const INSTANCE = /^[a-z0-9]{1,20}$/.test(process.env.BENCH_INSTANCE ?? '') ? `_${process.env.BENCH_INSTANCE}` : '';
const DB = `ua_export_lookback_bench${INSTANCE}`;
const APP = '0b1ec0de-0000-4000-8000-000000000001';
const DAY = '2026-06-10';
const SMALL_DAY = '2026-06-11';
const SMALL_ROWS = 1_000;

/** The bench:scale day, per app and day. */
const SCALE_EVENTS = 2_000;
const SCALE_CAMPAIGNS = 12;
const LOOKBACK_DAYS = 3;
const SCALE_LAST_DAY = '2026-05-03';
const scaleAppId = (i: number) => `0b1ec0de-0000-4000-9000-${String(i).padStart(12, '0')}`;

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    refill: { type: 'boolean', default: false },
    integrations: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: String(DEFAULT_MAX_CONCURRENT_ACTIVITIES) },
    rounds: { type: 'string', default: '2' },
  },
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

if (Number(args.integrations) > 0) {
  await atScale(Number(args.integrations), Number(args.concurrency), Math.max(1, Number(args.rounds)));
  await pool.end();
  process.exit(0);
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

// ---- at scale: --integrations N

async function fillScale(n: number, days: string[]): Promise<void> {
  const template = scaleAppId(0);
  for (const day of days) {
    const w = dayWindow(day);
    const { rows } = await pool.query<{ apps: string; events: string }>(
      `SELECT count(DISTINCT app_id)::text AS apps, count(*)::text AS events FROM ua_events
       WHERE app_id::text LIKE '0b1ec0de-0000-4000-9000-%' AND created_at >= $1::timestamptz AND created_at < $2::timestamptz`,
      [w.start, w.end],
    );
    if (Number(rows[0]!.apps) === n && Number(rows[0]!.events) === n * SCALE_EVENTS && !args.refill) continue;
    const t0 = performance.now();
    await pool.query(
      `DELETE FROM ua_events WHERE app_id::text LIKE '0b1ec0de-0000-4000-9000-%' AND created_at >= $1::timestamptz AND created_at < $2::timestamptz`,
      [w.start, w.end],
    );
    await pool.query(`DELETE FROM campaign_metrics WHERE app_id::text LIKE '0b1ec0de-0000-4000-9000-%' AND date = $1::date`, [day]);
    await insertEvents(pool, eventsForDay(template, day, SCALE_EVENTS, 7000));
    await insertMetrics(pool, metricsForDay(template, day, SCALE_CAMPAIGNS, 9000));
    // The other apps: the template's rows under their own app id, copied inside Postgres.
    const appOf = `('0b1ec0de-0000-4000-9000-' || lpad(g::text, 12, '0'))::uuid`;
    const ev = EVENT_INSERT_COLUMNS.filter((c) => c !== 'app_id');
    const mc = METRIC_INSERT_COLUMNS.filter((c) => c !== 'app_id');
    await pool.query(
      `INSERT INTO ua_events (app_id, ${ev.join(', ')}) SELECT ${appOf}, ${ev.map((c) => `e.${c}`).join(', ')}
       FROM ua_events e CROSS JOIN generate_series(1, $4::int - 1) g WHERE e.app_id = $1 AND e.created_at >= $2::timestamptz AND e.created_at < $3::timestamptz`,
      [template, w.start, w.end, n],
    );
    await pool.query(
      `INSERT INTO campaign_metrics (app_id, ${mc.join(', ')}) SELECT ${appOf}, ${mc.map((c) => `m.${c}`).join(', ')}
       FROM campaign_metrics m CROSS JOIN generate_series(1, $3::int - 1) g WHERE m.app_id = $1 AND m.date = $2::date`,
      [template, day, n],
    );
    console.log(`filled ${day} for ${n} apps in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  await pool.query('VACUUM ANALYZE ua_events');
  await pool.query('VACUUM ANALYZE campaign_metrics');
}

async function atScale(n: number, concurrency: number, rounds: number): Promise<void> {
  const days = Array.from({ length: LOOKBACK_DAYS }, (_, i) => addDays(SCALE_LAST_DAY, i - LOOKBACK_DAYS + 1));
  console.log(`filling ${n} apps × ${days.length} days (${SCALE_EVENTS} events, ${SCALE_CAMPAIGNS} campaigns a day; kept between runs)…`);
  await fillScale(n, days);
  const { rows: counts } = await pool.query<{ events: string; metrics: string }>(
    `SELECT (SELECT count(*) FROM ua_events WHERE app_id::text LIKE '0b1ec0de-0000-4000-9000-%' AND created_at >= $1::timestamptz AND created_at < $2::timestamptz)::text AS events,
            (SELECT count(*) FROM campaign_metrics WHERE app_id::text LIKE '0b1ec0de-0000-4000-9000-%' AND date BETWEEN $3::date AND $4::date)::text AS metrics`,
    [dayWindow(days[0]!).start, dayWindow(days.at(-1)!).end, days[0], days.at(-1)],
  );
  const { rows: total } = await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ua_events`);
  console.log(
    `rows checked: ${Number(counts[0]!.events).toLocaleString('en')} events + ${Number(counts[0]!.metrics).toLocaleString('en')} campaign_metrics rows ` +
      `(ua_events holds ${Number(total[0]!.n).toLocaleString('en')} rows in all)`,
  );
  const inputs = Array.from({ length: n }, (_, i) =>
    days.flatMap((day) =>
      TABLES.map((table): FingerprintInput => ({ table, appId: scaleAppId(i), day, settings: DEFAULT_SETTINGS, historicalCutoff: '2020-01-01 00:00:00+00' })),
    ),
  );
  const scalePool = createPool(url.toString(), concurrency + 1);
  const count = (i: FingerprintInput) => fingerprintQuery(i).replace(/^SELECT .* FROM (\w+) t /, 'SELECT count(*) FROM $1 t ');
  const pass = async (kind: 'fingerprint' | 'count(*)') => {
    const latencies: number[] = [];
    const cpu = new CpuGroups((pid, comm) => (comm === 'postgres' ? postgresGroup(pid, DB) : pid === process.pid ? 'bench process' : `other: ${comm}`));
    cpu.start(500);
    const t0 = performance.now();
    // As the scheduled runs: each integration's checks one after another, `concurrency` integrations at once.
    await mapLimit(inputs, concurrency, async (checks) => {
      for (const i of checks) {
        const t = performance.now();
        if (kind === 'fingerprint') await sourceFingerprint(scalePool, i);
        else await scalePool.query(count(i), [i.appId]);
        latencies.push(performance.now() - t);
      }
    });
    const wall = performance.now() - t0;
    cpu.stop();
    const groups = cpu.seconds();
    const pgCpu = groups.find((g) => g.group === 'postgres')?.seconds ?? 0;
    const others = groups.filter((g) => g.group.startsWith('other')).reduce((a, g) => a + g.seconds, 0);
    const sorted = [...latencies].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
    return { kind, queries: latencies.length, wall, pgCpu, others, p50: q(0.5), p95: q(0.95), sum: latencies.reduce((a, b) => a + b, 0) };
  };
  console.log(`warm-up pass (fingerprints, not counted)…`);
  await pass('fingerprint');
  const out: string[] = [];
  for (let r = 1; r <= rounds; r++) {
    const fp = await pass('fingerprint');
    const base = await pass('count(*)');
    for (const x of [fp, base])
      out.push(
        `round ${r} ${x.kind.padEnd(11)}: ${x.queries} queries, ${concurrency} integrations at a time: wall ${(x.wall / 1000).toFixed(2)} s, ` +
          `Postgres CPU (this database's backends) ${x.pgCpu.toFixed(2)} s, per query p50 ${x.p50.toFixed(1)} ms p95 ${x.p95.toFixed(1)} ms, ` +
          `sum of latencies ${(x.sum / 1000).toFixed(1)} s; other processes on the machine ${x.others.toFixed(1)} CPU-s meanwhile`,
      );
    out.push(
      `round ${r} ratio fingerprint / count(*): wall ${(fp.wall / base.wall).toFixed(2)}×, Postgres CPU ${(fp.pgCpu / base.pgCpu).toFixed(2)}×; ` +
        `fingerprint Postgres CPU per integration (3 days × 2 tables) ${((fp.pgCpu / n) * 1000).toFixed(1)} ms`,
    );
  }
  console.log(out.join('\n'));
  await scalePool.end();
}
