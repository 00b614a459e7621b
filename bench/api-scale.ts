/**
 * The API at scale (issue 11 §4): the integration list at 10,000 integrations, the export calendar and
 * the exports ledger at 1,000 integrations × 731 days, over HTTP to the real API.
 *
 *   npm run bench:api [-- --integrations 10000 --calendar-integrations 1000 --days 731 --runs 20 --before-runs 3 --reuse]
 *
 * In a database of its own (ua_export_apibench, migrated like any other) it seeds with SQL
 * (generate_series): first the calendar's integrations, each with a ledger of --days days × 2 tables
 * (export_runs and export_day_state: failed, running, missing and empty days, retried days and
 * re-deliveries), and measures the calendar and the ledger at that size; then it adds integrations up
 * to --integrations (no ledger) and measures the list's pages. Nothing is mocked: the API is the real
 * Fastify app listening on a loopback port with the real Postgres pool and the real Temporal client.
 * The integrations' schedules are not created in Temporal, so the list's one ListSchedules per page
 * is a real round trip that finds none (every `schedule` is null), and the calendar asks Temporal who
 * polls the task queue as it always does.
 *
 * Each figure is the p50 and p95 of --runs requests after two warm-ups, next to baselines measured in
 * the same run: `SELECT 1` through the same pool, an indexed single-row read through the same pool,
 * and GET /healthz (the HTTP, auth-free framework round trip), and with the CPU time per call of the
 * database's Postgres backends and of this process. Wall-clock figures move with the load of the
 * machine (printed at the start and the end); the ratios to the baselines move less, CPU time least.
 * --reuse keeps the ledger of the last run when it has the same shape (seeding it takes minutes).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startApi } from '../src/api/server.js';
import { loadEnv } from '../src/config/env.js';
import { keyringFromEnv } from '../src/config/keyring.js';
import { ensureBenchDatabase, fillDayStates } from './setup.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { addDays } from '../src/export/days.js';
import { TABLES } from '../src/export/tables.js';
import { calendarCodes, recordRunFinish, recordRunStart } from '../src/ledger/export-runs.js';
import { createLogger } from '../src/logging.js';
import { calendarCodesBefore } from '../test/helpers/calendar-codes-before.js';

const DB = 'ua_export_apibench';
const TOKEN = 'api-bench-token';
/** The API's "today": the calendar's default range is then exactly the seeded one. */
const NOW = new Date('2026-07-01T06:00:00Z');
const TO = '2026-06-30';
const PAGE = 200;

const { values: args } = parseArgs({
  options: {
    integrations: { type: 'string', default: '10000' },
    'calendar-integrations': { type: 'string', default: '1000' },
    days: { type: 'string', default: '731' },
    runs: { type: 'string', default: '20' },
    'before-runs': { type: 'string', default: '3' },
    reuse: { type: 'boolean', default: false },
  },
});
const N = Number(args.integrations);
const NCAL = Math.min(N, Number(args['calendar-integrations']));
const DAYS = Number(args.days);
const RUNS = Math.max(1, Number(args.runs));
const BEFORE_RUNS = Math.max(0, Number(args['before-runs']));
const FROM = addDays(TO, -(DAYS - 1));

const log = (s: string) => process.stdout.write(`${s}\n`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');

interface Figure {
  name: string;
  p50: number;
  p95: number;
  n: number;
  /** CPU per call, in ms: of the database's Postgres backends, and of this process (the API and its HTTP client). */
  pgCpu: number;
  nodeCpu: number;
  note?: string;
}

/**
 * CPU time (user + system, ms) the kernel has counted for the Postgres backends serving this database,
 * read from /proc (the services run on this machine). Unlike wall-clock time it barely moves with the
 * machine's load. Null when /proc cannot be read (Postgres elsewhere).
 */
let cpuPool: Pool | null = null;
async function postgresCpuMs(): Promise<number | null> {
  if (!cpuPool) return null;
  const { rows } = await cpuPool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [DB]);
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return null;
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
const nodeCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

/** p50 and p95 of `runs` calls after two warm-ups (plans, connections, JIT). */
async function measure(name: string, fn: (i: number) => Promise<unknown>, runs = RUNS, note?: string): Promise<Figure> {
  for (let i = 0; i < Math.min(2, runs); i++) await fn(i);
  const ms: number[] = [];
  const pg0 = await postgresCpuMs();
  const node0 = nodeCpuMs();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  const node1 = nodeCpuMs();
  const pg1 = await postgresCpuMs();
  const pgCpu = pg0 === null || pg1 === null ? NaN : (pg1 - pg0) / runs;
  return { name, p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), n: runs, pgCpu, nodeCpu: (node1 - node0) / runs, ...(note ? { note } : {}) };
}

/**
 * `count` integrations created (and last changed) one second apart after those already there, months
 * ago: the list then trusts ListSchedules for their missing schedules instead of describing each.
 */
async function addIntegrations(pool: Pool, count: number, folder: string): Promise<void> {
  await pool.query(
    `INSERT INTO integrations (id, app_id, endpoint_url, bucket, folder, access_key_id, secret_access_key_enc, secret_key_id, created_at, updated_at)
     SELECT gen_random_uuid(), gen_random_uuid(), 'http://127.0.0.1:8333', 'ua-export-api-bench', $2 || '-' || g, 'bench', 'not-a-secret', 'bench', at, at
     FROM generate_series(1, $1::int) g
     CROSS JOIN LATERAL (SELECT timestamptz '2026-01-01' + make_interval(secs => (SELECT count(*) FROM integrations) + g) AS at) t`,
    [count, folder],
  );
}

/**
 * The ledger of every integration there is, over [FROM, TO] × 2 tables. Per integration and day
 * (hash-chosen, so the same every time): 2 % never exported, 3 % events failed, 0.2 % running, about 5 %
 * empty, 5 % a failed scheduled attempt then a successful re-delivery, 1 % a backfill; the rest exported.
 */
async function seedLedger(pool: Pool): Promise<void> {
  await pool.query(
    `INSERT INTO export_runs (integration_id, table_name, day, workflow_id, run_id, kind, status, object_key, manifest_key,
                              rows, bytes, parts, sha256, error, started_at, finished_at)
     SELECT i.id, t.name, d.day, 'ua-export-' || i.id || '-' || d.day, md5(i.id::text || d.day || t.name || a.n),
            CASE WHEN a.n = 2 THEN 'redelivery' WHEN h.r >= 130 AND h.r < 140 THEN 'backfill' ELSE 'scheduled' END, s.status,
            i.folder || '/' || t.name || '/dt=' || d.day || '/' || t.name || '_' || d.day || '.csv',
            i.folder || '/' || t.name || '/dt=' || d.day || '/_manifest.json',
            s.rows, s.rows * 180, CASE WHEN s.status = 'succeeded' THEN 1 END,
            CASE WHEN s.status = 'succeeded' THEN md5(i.id::text || d.day || t.name) END,
            CASE WHEN s.status = 'failed' THEN 'SlowDown: please reduce your request rate' END,
            d.day + time '04:00' + make_interval(hours => a.n - 1), CASE WHEN s.status <> 'running' THEN d.day + time '04:01' + make_interval(hours => a.n - 1) END
     FROM integrations i
     CROSS JOIN LATERAL (SELECT g::date AS day FROM generate_series($1::date, $2::date, interval '1 day') g) d
     CROSS JOIN LATERAL (SELECT abs(hashtext(i.id::text || d.day::text)) % 1000 AS r) h
     CROSS JOIN unnest(ARRAY['ua_events', 'campaign_metrics']) AS t(name)
     CROSS JOIN LATERAL generate_series(1, CASE WHEN h.r >= 80 AND h.r < 130 THEN 2 ELSE 1 END) AS a(n)
     CROSS JOIN LATERAL (SELECT
         CASE WHEN h.r < 50 AND t.name = 'ua_events' THEN 'failed'
              WHEN h.r >= 50 AND h.r < 52 THEN 'running'
              WHEN h.r >= 80 AND h.r < 130 AND a.n = 1 THEN 'failed'
              ELSE 'succeeded' END AS status) st
     CROSS JOIN LATERAL (SELECT st.status,
         CASE WHEN st.status <> 'succeeded' THEN NULL
              WHEN h.r >= 52 AND h.r < 80 OR h.r >= 980 THEN 0
              ELSE 1000 + abs(hashtext(i.id::text || d.day::text || t.name)) % 50000 END AS rows) s
     WHERE h.r >= 20
     ORDER BY i.id, d.day, t.name, a.n`,
    [FROM, TO],
  );
  await fillDayStates(pool);
}

async function vacuum(pool: Pool): Promise<void> {
  for (const t of ['integrations', 'export_runs', 'export_day_state', 'export_year_strip']) await pool.query(`VACUUM ANALYZE ${t}`);
}

async function main(): Promise<void> {
  const env = loadEnv();
  const url = await ensureBenchDatabase(env, DB);
  const pool = createPool(url);
  const figures: Figure[] = [];
  const report = (f: Figure) => {
    figures.push(f);
    log(
      `  ${f.name}: p50 ${f.p50.toFixed(1)} ms, p95 ${f.p95.toFixed(1)} ms (${f.n} runs); CPU per call: Postgres ${f.pgCpu.toFixed(1)} ms, this process ${f.nodeCpu.toFixed(1)} ms${f.note ? `; ${f.note}` : ''}`,
    );
  };
  log(
    `api bench: ${N.toLocaleString('en-US')} integrations for the list; the calendar and the ledger at ${NCAL.toLocaleString('en-US')} × ${DAYS} days × ${TABLES.length} tables (${FROM} → ${TO}); database ${DB}; ${RUNS} runs per figure`,
  );
  log(`load average at the start (1 / 5 / 15 min): ${load()}`);

  // A connection of its own for reading the backends' CPU, so the pool under test is not touched.
  cpuPool = createPool(url);
  if ((await postgresCpuMs()) === null) log('Postgres backends are not readable in /proc: no Postgres CPU figures');

  // 1. Seed the calendar's integrations and their ledger (or keep them, with --reuse, when they match).
  let t = performance.now();
  await pool.query(`DELETE FROM integrations WHERE folder LIKE 'list-%'`);
  const { rows: seeded } = await pool.query<{ n: number; lo: string | null; hi: string | null }>(
    `SELECT (SELECT count(*) FROM integrations WHERE folder LIKE 'calendar-%')::int AS n, min(day)::text AS lo, max(day)::text AS hi FROM export_day_state`,
  );
  const reuse = args.reuse && seeded[0]!.n === NCAL && seeded[0]!.lo === FROM && seeded[0]!.hi === TO;
  if (!reuse) {
    await pool.query('TRUNCATE export_day_state, export_runs, integrations CASCADE');
    await addIntegrations(pool, NCAL, 'calendar');
    await seedLedger(pool);
  }
  await vacuum(pool);
  const { rows: counts } = await pool.query<{ runs: number; states: number; kinds: Record<string, number> }>(
    `SELECT (SELECT count(*) FROM export_runs)::int AS runs, (SELECT count(*) FROM export_day_state)::int AS states,
            (SELECT jsonb_object_agg(kind, n) FROM (SELECT kind, count(*)::int AS n FROM export_runs GROUP BY kind) k) AS kinds`,
  );
  log(
    `seeded ${NCAL.toLocaleString('en-US')} integrations, ${counts[0]!.runs.toLocaleString('en-US')} export_runs (${JSON.stringify(counts[0]!.kinds)}), ` +
      `${counts[0]!.states.toLocaleString('en-US')} export_day_state rows ${reuse ? '(kept from the last run: --reuse)' : `in ${((performance.now() - t) / 1000).toFixed(1)} s`}`,
  );

  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const api = await startApi({
    env: { ...env, API_TOKENS: TOKEN, LOG_LEVEL: 'warn' as const, API_PORT: 0, API_HOST: '127.0.0.1' },
    pool,
    keyring: keyringFromEnv(env),
    client,
    logger: createLogger('warn'),
    now: () => NOW,
  });
  const get = async <T = unknown>(path: string): Promise<{ body: T; bytes: number }> => {
    const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 300)}`);
    return { body: JSON.parse(text) as T, bytes: Buffer.byteLength(text) };
  };

  try {
    // Baselines, measured again at the end: the machine is shared and its load changes.
    const { rows: one } = await pool.query<{ id: string }>('SELECT id FROM integrations LIMIT 1');
    const someId = one[0]!.id;
    const baselines = async (when: string) => {
      log(`baselines (${when}):`);
      report(await measure(`SELECT 1 through the pool (${when})`, () => pool.query('SELECT 1')));
      report(await measure(`indexed single-row read through the pool (${when})`, () => pool.query('SELECT * FROM integrations WHERE id = $1', [someId])));
      report(await measure(`GET /healthz over HTTP (${when})`, () => get('/healthz')));
    };
    await baselines('start');

    // 2. The calendar at NCAL × DAYS.
    type CalendarPage = { from: string; to: string; integrations: { id: string; codes: string }[]; nextCursor: string | null };
    const overview = async (limit: number) => {
      let pages = 0;
      let bytes = 0;
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = new URLSearchParams({ from: FROM, to: TO, limit: String(limit), ...(cursor ? { cursor } : {}) }).toString();
        const page: { body: CalendarPage; bytes: number } = await get<CalendarPage>(`/v1/calendar?${q}`);
        if (page.body.from !== FROM || page.body.to !== TO) throw new Error(`GET /v1/calendar answered ${page.body.from} → ${page.body.to}`);
        pages++;
        bytes += page.bytes;
        ids.push(...page.body.integrations.map((i) => i.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      if (ids.length !== NCAL || new Set(ids).size !== NCAL) throw new Error(`the calendar's pages listed ${ids.length} integrations`);
      return { pages, bytes };
    };
    log(`the calendar at ${NCAL.toLocaleString('en-US')} integrations × ${DAYS} days:`);
    const shape = await overview(PAGE);
    report(
      await measure(
        `GET /v1/calendar first page (limit ${PAGE})`,
        () => get(`/v1/calendar?from=${FROM}&to=${TO}&limit=${PAGE}`),
        RUNS,
        `${(shape.bytes / shape.pages / 1024).toFixed(0)} KiB a page`,
      ),
    );
    report(
      await measure(
        `the whole overview, ${shape.pages} pages of ${PAGE} followed by their cursors`,
        () => overview(PAGE),
        RUNS,
        `${(shape.bytes / 1024).toFixed(0)} KiB in all`,
      ),
    );
    report(await measure(`the whole overview in one page (limit ${NCAL})`, () => get(`/v1/calendar?from=${FROM}&to=${TO}&limit=${NCAL}`)));
    const after = await calendarCodes(pool, FROM, TO, TABLES);
    report(await measure(`calendarCodes, every integration in one query`, () => calendarCodes(pool, FROM, TO, TABLES)));
    if (BEFORE_RUNS > 0) {
      const before = await calendarCodesBefore(pool, FROM, TO, TABLES);
      const same = before.size === after.size && [...before].every(([id, codes]) => after.get(id) === codes);
      if (!same) throw new Error('calendarCodes answers differently from the query it replaced');
      report(
        await measure(
          `the query calendarCodes replaced, every integration`,
          () => calendarCodesBefore(pool, FROM, TO, TABLES),
          BEFORE_RUNS,
          'same codes for every integration',
        ),
      );
    }

    // 3. One integration's strip and ledger: the month grid reads the whole range, the CLI and the console 30 days.
    const ids = [...after.keys()];
    let k = 0;
    const nextId = () => ids[k++ % ids.length]!;
    log(`one integration's ledger (GET /v1/integrations/:id/exports; ${NCAL.toLocaleString('en-US')} integrations in turn):`);
    report(await measure(`default page (the last 30 days, both tables)`, () => get(`/v1/integrations/${nextId()}/exports`)));
    report(await measure(`filtered: table=ua_events, the last 30 days`, () => get(`/v1/integrations/${nextId()}/exports?table=ua_events`)));
    report(
      await measure(`filtered: table=ua_events, from/to a quarter`, () =>
        get(`/v1/integrations/${nextId()}/exports?table=ua_events&from=${addDays(TO, -89)}&to=${TO}`),
      ),
    );
    const strip = await get(`/v1/integrations/${ids[0]}/exports?from=${FROM}&to=${TO}`);
    report(
      await measure(
        `the calendar's strip: ${DAYS} days × 2 tables`,
        () => get(`/v1/integrations/${nextId()}/exports?from=${FROM}&to=${TO}`),
        RUNS,
        `${(strip.bytes / 1024).toFixed(0)} KiB`,
      ),
    );

    // 3b. What the calendar's strips cost the ledger: a day's start and finish (two upserts of
    // export_day_state, each rewriting one letter of a strip by trigger) with the trigger on and off,
    // for an integration id of its own whose rows are removed afterwards.
    const scratch = randomUUID();
    let scratchDay = 0;
    const ledgerDay = async () => {
      const day = addDays('2001-01-01', scratchDay++);
      const run = { integrationId: scratch, table: 'ua_events' as const, day, workflowId: `ua-export-${scratch}-${day}`, runId: randomUUID() };
      await recordRunStart(pool, { ...run, kind: 'scheduled', objectKey: `k/${day}.csv`, manifestKey: `k/${day}/_manifest.json` });
      await recordRunFinish(pool, run, { status: 'succeeded', rows: 10, bytes: 1000, parts: 1, sha256: 'ab' });
    };
    const WRITES = RUNS * 20;
    log(`ledger writes (recordRunStart + recordRunFinish of one day and table; ${WRITES} days):`);
    try {
      report(await measure('with the calendar strip trigger', ledgerDay, WRITES));
      await pool.query('ALTER TABLE export_day_state DISABLE TRIGGER export_day_state_strip');
      try {
        report(await measure('without it (trigger disabled)', ledgerDay, WRITES));
      } finally {
        await pool.query('ALTER TABLE export_day_state ENABLE TRIGGER export_day_state_strip');
      }
    } finally {
      for (const t of ['export_day_state', 'export_year_strip', 'export_runs']) await pool.query(`DELETE FROM ${t} WHERE integration_id = $1`, [scratch]);
    }

    // 4. The list at N integrations.
    t = performance.now();
    await addIntegrations(pool, N - NCAL, 'list');
    await vacuum(pool);
    log(
      `added ${(N - NCAL).toLocaleString('en-US')} integrations without a ledger in ${((performance.now() - t) / 1000).toFixed(1)} s: ${N.toLocaleString('en-US')} in all`,
    );
    type ListPage = { integrations: { id: string; schedule: unknown }[]; nextCursor: string | null };
    const cursors: (string | null)[] = [null];
    let listed = 0;
    t = performance.now();
    for (;;) {
      const cursor = cursors.at(-1);
      const page = await get<ListPage>(`/v1/integrations?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`);
      listed += page.body.integrations.length;
      if (page.body.integrations.some((i) => i.schedule !== null)) throw new Error('a seeded integration has a schedule in Temporal');
      if (!page.body.nextCursor) break;
      cursors.push(page.body.nextCursor);
    }
    const walkMs = performance.now() - t;
    if (listed !== N) throw new Error(`GET /v1/integrations listed ${listed} of ${N}`);
    log(
      `GET /v1/integrations at ${N.toLocaleString('en-US')} integrations, limit ${PAGE} (${cursors.length} pages; one walk through all of them: ${walkMs.toFixed(0)} ms):`,
    );
    const pageAt = (c: string | null | undefined) => `/v1/integrations?limit=${PAGE}${c ? `&cursor=${c}` : ''}`;
    report(await measure(`first page`, () => get(pageAt(null))));
    report(await measure(`a middle page (page ${Math.floor(cursors.length / 2) + 1})`, () => get(pageAt(cursors[Math.floor(cursors.length / 2)]))));
    report(await measure(`last page`, () => get(pageAt(cursors.at(-1)))));
    log(`the calendar's first page at ${N.toLocaleString('en-US')} integrations (${NCAL.toLocaleString('en-US')} of them with a ledger):`);
    report(await measure(`GET /v1/calendar first page (limit ${PAGE})`, () => get(`/v1/calendar?from=${FROM}&to=${TO}&limit=${PAGE}`)));

    await baselines('end');
  } finally {
    await api.close();
    await connection.close();
    await pool.end();
    await cpuPool.end();
  }

  const base = (name: string) => Math.min(...figures.filter((x) => x.name.startsWith(name)).map((x) => x.p50));
  const selectOne = base('SELECT 1');
  const healthz = base('GET /healthz');
  log(`\nratios of each p50 to the baselines' p50 (the lower of start and end): SELECT 1 ${selectOne.toFixed(2)} ms, GET /healthz ${healthz.toFixed(2)} ms`);
  for (const f of figures)
    if (!/^(SELECT 1|indexed single-row|GET \/healthz)/.test(f.name))
      log(`  ${f.name}: ${(f.p50 / selectOne).toFixed(0)}× SELECT 1, ${(f.p50 / healthz).toFixed(1)}× GET /healthz`);
  log(`load average at the end (1 / 5 / 15 min): ${load()}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
