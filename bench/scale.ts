/**
 * The 04:00 herd: N integrations, each with a small realistic day, whose schedules all fire at the same
 * instant through Temporal's scheduler, exported by one or more real worker processes.
 *
 *   npm run bench:scale                                 # 1,000 integrations, one worker
 *   npm run bench:scale -- --integrations 300 --workers 2
 *
 * Reports time until every day is delivered (p50, p95, last), days per second, each worker's whole
 * process CPU and peak RSS (/proc), peak Postgres connections (pg_stat_activity), the SDK's
 * schedule-to-start latencies, failed and retried days, and spot-checks a sample of files byte for byte
 * against the source with test/chaos/verify.ts (independent of the export code).
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import pg from 'pg';
import { startApi } from '../src/api/server.js';
import { loadEnv, WORKER_ROLES, type Env } from '../src/config/env.js';
import { DEV_KEY_FILE, keyringFromEnv } from '../src/config/keyring.js';
import { createPool } from '../src/db/pool.js';
import { EVENT_INSERT_COLUMNS, METRIC_INSERT_COLUMNS, eventsForDay, insertEvents, insertMetrics, metricsForDay } from '../src/dev/generate.js';
import { dayWindow } from '../src/export/days.js';
import { createLogger } from '../src/logging.js';
import { mapLimit } from '../src/map-limit.js';
import { scheduleId } from '../src/temporal/ids.js';
import { dayIsGood, openUploads, verifyDay, type Table } from '../test/chaos/verify.js';
import { buildDockerLikeWorker } from './compiled-worker.js';
import { CLK_TCK, memStatus, procStat, treeCpuSeconds } from './proc.js';
import { adminS3, emptyPrefix, ensureBenchDatabase, ensureBucket, ensureNamespace } from './setup.js';
import { freePorts } from './free-ports.js';
import { spawnWorker, type WorkerProcess } from './worker-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'scale-bench-token';
const TABLES: Table[] = ['ua_events', 'campaign_metrics'];

const { values: opts } = parseArgs({
  options: {
    tag: { type: 'string', default: '' },
    integrations: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '1' },
    events: { type: 'string', default: '2000' },
    sample: { type: 'string', default: '20' },
    'timeout-s': { type: 'string', default: '900' },
    'worker-env': { type: 'string', default: '' },
    roles: { type: 'string', default: '' },
    'worker-node-flags': { type: 'string', default: '' },
    json: { type: 'string' },
    fresh: { type: 'boolean', default: false },
    tsx: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
const suffix = opts.tag ? `-${opts.tag}` : '';
if (!/^[a-z0-9-]*$/.test(opts.tag)) throw new Error('--tag: lower-case letters, digits and dashes only');
const SCALE_DB = `ua_export_scale${suffix.replace(/-/g, '_')}`;
const SCALE_BUCKET = `ua-export-scale${suffix}`;
/** Its own namespace and queue: the worker's schedule reconcile must never meet anyone else's schedules. */
const SCALE_NAMESPACE = `ua-export-scale${suffix}`;
const SCALE_QUEUE = `ua-export-scale${suffix}`;
if (opts.help) {
  process.stdout.write(`npm run bench:scale -- [--integrations 1000] [--workers 1] [--events 2000] [--sample 20] [--timeout-s 900]
  [--worker-env K=V,K=V] [--roles R,R] [--worker-node-flags="F F"] [--json out.json] [--tag NAME] [--fresh] [--tsx]
--roles gives each worker its WORKER_ROLE, one per --workers (all, workflows, activities): e.g.
  --workers 2 --roles workflows,activities runs the split deployment of deploy/k8s on this box.
--worker-node-flags adds node flags to the worker's (investigation: --cpu-prof --cpu-prof-dir=DIR, --trace-gc).
--tsx runs the worker from source under tsx; by default it is compiled and run as the Dockerfile runs it.
--tag keeps a run's database, bucket, namespace and integrations apart from other runs' (e.g. per N).
Creates the integrations over the API, fires all their schedules at one instant and reports delivery.\n`);
  process.exit(0);
}
const N = Number(opts.integrations);
const WORKERS = Number(opts.workers);
const ROLES = opts.roles ? opts.roles.split(',') : Array.from({ length: WORKERS }, () => 'all');
if (ROLES.length !== WORKERS || ROLES.some((r) => !(WORKER_ROLES as readonly string[]).includes(r)))
  throw new Error(`--roles: one WORKER_ROLE per worker (${WORKERS}), each one of ${WORKER_ROLES.join(', ')}; got ${opts.roles}`);
const EVENTS = Number(opts.events);
const SAMPLE = Math.min(Number(opts.sample), N);
const say = (m: string) => process.stdout.write(`[scale] ${m}\n`);

const appIdOf = (i: number) => `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;

/** Every app's day holds exactly EVENTS events and its campaign metrics; regenerated only when not. */
async function ensureData(pool: pg.Pool, day: string): Promise<void> {
  const w = dayWindow(day);
  const { rows } = await pool.query<{ app_id: string; n: string }>(
    `SELECT app_id::text AS app_id, count(*)::text AS n FROM ua_events WHERE app_id::text LIKE '00000000-0000-4000-9000-%' AND created_at >= $1::timestamptz AND created_at < $2::timestamptz GROUP BY app_id`,
    [w.start, w.end],
  );
  const have = new Map(rows.map((r) => [r.app_id, Number(r.n)]));
  const { rows: m } = await pool.query<{ app_id: string }>(`SELECT DISTINCT app_id::text AS app_id FROM campaign_metrics WHERE date = $1::date`, [day]);
  const haveMetrics = new Set(m.map((r) => r.app_id));
  const missing = Array.from({ length: N }, (_, i) => i).filter((i) => have.get(appIdOf(i)) !== EVENTS || !haveMetrics.has(appIdOf(i)));
  if (missing.length === 0) return;
  say(`generating ${day} for ${missing.length} apps (${EVENTS} events each and their campaign metrics)`);
  const t0 = performance.now();
  // One app's day is generated; the others are copied from it inside Postgres (the same rows under
  // another app id), which takes seconds where generating each would take minutes.
  const template = appIdOf(0);
  const clear = async (appId: string) => {
    await pool.query('DELETE FROM ua_events WHERE app_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz', [appId, w.start, w.end]);
    await pool.query('DELETE FROM campaign_metrics WHERE app_id = $1 AND date = $2::date', [appId, day]);
  };
  if (have.get(template) !== EVENTS || !haveMetrics.has(template)) {
    await clear(template);
    await insertEvents(pool, eventsForDay(template, day, EVENTS, 7000));
    await insertMetrics(pool, metricsForDay(template, day, 12, 9000));
  }
  const ev = EVENT_INSERT_COLUMNS.filter((c) => c !== 'app_id');
  const mc = METRIC_INSERT_COLUMNS.filter((c) => c !== 'app_id');
  await mapLimit(
    missing.filter((i) => i !== 0),
    2,
    async (i) => {
      const appId = appIdOf(i);
      await clear(appId);
      await pool.query(
        `INSERT INTO ua_events (app_id, ${ev.join(', ')}) SELECT $1, ${ev.join(', ')} FROM ua_events WHERE app_id = $2 AND created_at >= $3::timestamptz AND created_at < $4::timestamptz`,
        [appId, template, w.start, w.end],
      );
      await pool.query(
        `INSERT INTO campaign_metrics (app_id, ${mc.join(', ')}) SELECT $1, ${mc.join(', ')} FROM campaign_metrics WHERE app_id = $2 AND date = $3::date`,
        [appId, template, day],
      );
    },
  );
  await pool.query('VACUUM ANALYZE ua_events');
  await pool.query('VACUUM ANALYZE campaign_metrics');
  say(`generated in ${s(performance.now() - t0)}`);
}

/**
 * Clears what an earlier run left: running workflows, the ledger and the objects. The integrations
 * (and their schedules) an earlier run created over the API are kept when they are exactly the N this
 * run needs, because creating a thousand takes minutes on a busy box; `--fresh` recreates them.
 */
async function reset(pool: pg.Pool, client: Client, env: Env, fresh: boolean): Promise<string[] | null> {
  let terminated = 0;
  for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    await client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate('bench:scale reset')
      .catch(() => undefined);
    terminated++;
  }
  await pool.query('TRUNCATE export_runs, export_day_state');
  const removed = await emptyPrefix(adminS3(env), SCALE_BUCKET, '');
  const { rows } = await pool.query<{ id: string; app_id: string }>('SELECT id::text, app_id::text FROM integrations');
  const byApp = new Map(rows.map((r) => [r.app_id, r.id]));
  const wanted = Array.from({ length: N }, (_, i) => byApp.get(appIdOf(i)));
  const scheduleIds: string[] = [];
  for await (const sch of client.schedule.list()) scheduleIds.push(sch.scheduleId);
  const reusable = !fresh && rows.length === N && wanted.every(Boolean) && scheduleIds.length === N;
  say(`reset: ${terminated} running workflows terminated, ${removed} objects removed`);
  if (reusable) return wanted as string[];
  await mapLimit(scheduleIds, 32, async (id) => {
    try {
      await client.schedule.getHandle(id).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  });
  await pool.query('TRUNCATE integrations CASCADE');
  say(`reset: ${scheduleIds.length} schedules and ${rows.length} integrations removed`);
  return null;
}

/** Sums the samples of one metric family from a Prometheus text page, by label filter. */
function metricSum(text: string, name: string, filter: (labels: string) => boolean = () => true): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name || !filter(m[2] ?? '')) continue;
    sum += Number(m[3]);
  }
  return sum;
}

/** p50/p95 from a Prometheus histogram's cumulative buckets (upper bound of the bucket that holds it). */
function histogramQuantiles(text: string, name: string): { count: number; meanMs: number; p50Ms: number; p95Ms: number } {
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}_bucket\\{([^}]*)\\}\\s+(\\S+)`).exec(line);
    if (!m) continue;
    const le = /le="([^"]+)"/.exec(m[1]!)?.[1];
    if (!le) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(m[2]));
  }
  const count = metricSum(text, `${name}_count`);
  const sum = metricSum(text, `${name}_sum`);
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const q = (p: number) => sorted.find(([, c]) => c >= p * count)?.[0] ?? NaN;
  // The SDK's histograms are in milliseconds.
  return { count, meanMs: count ? sum / count : 0, p50Ms: q(0.5), p95Ms: q(0.95) };
}

async function scrape(port: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    return await res.text();
  } catch {
    return '';
  }
}

/**
 * The services this checkout started for the run (scripts/services.sh's pid files, of the named
 * instance when SERVICES_INSTANCE is set): their CPU counts in the cost of a day as much as the
 * worker's. Services given by address (not started here) are not measured.
 */
function servicePids(): { name: string; pid: number }[] {
  const instance = process.env.SERVICES_INSTANCE;
  const runDir = instance ? path.join(ROOT, '.local', 'instances', instance, 'run') : path.join(ROOT, '.local', 'run');
  const out: { name: string; pid: number }[] = [];
  for (const name of ['temporal', 'postgres', 'seaweedfs']) {
    const file = path.join(runDir, `${name}.pid`);
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0 && treeCpuSeconds(pid) !== null) out.push({ name, pid });
  }
  return out;
}

const cpuSeconds = (pid: number) => {
  const st = procStat(pid);
  return st ? st.ticks / CLK_TCK : NaN;
};

async function main(): Promise<void> {
  const baseEnv = loadEnv();
  const dbUrl = await ensureBenchDatabase(baseEnv, SCALE_DB);
  const env: Env = {
    ...baseEnv,
    DATABASE_URL: dbUrl,
    TEMPORAL_NAMESPACE: SCALE_NAMESPACE,
    TEMPORAL_TASK_QUEUE: SCALE_QUEUE,
    API_HOST: '127.0.0.1',
    API_PORT: 0,
    API_TOKENS: TOKEN,
    LOG_LEVEL: 'warn',
  };
  const pool = createPool(dbUrl, 8);
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  await ensureNamespace(connection, SCALE_NAMESPACE);
  const client = new Client({ connection, namespace: SCALE_NAMESPACE });
  await ensureBucket(adminS3(env), SCALE_BUCKET);
  const reused = await reset(pool, client, env, opts.fresh);

  // The fire instant: far enough ahead for creating the integrations and moving their schedules.
  // The day is the one a firing a few minutes from now exports; the instant itself is set once the
  // workers are up and the integrations exist, just before the schedules are moved.
  const day = new Date(Date.now() + 5 * 60_000 - 86_400_000).toISOString().slice(0, 10);
  await ensureData(pool, day);

  // As the Dockerfile runs it (compiled, its node flags and ENV), so CPU and RSS are the product's.
  const docker = opts.tsx ? null : buildDockerLikeWorker(ROOT, say);
  const ports = await freePorts(WORKERS * 2);
  const workers: WorkerProcess[] = [];
  const logDir = path.join(os.tmpdir(), `ua-export-scale-${process.pid}`);
  mkdirSync(logDir, { recursive: true });
  const extraEnv = Object.fromEntries(
    opts['worker-env']
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  );
  for (let w = 0; w < WORKERS; w++) {
    workers.push(
      await spawnWorker({
        root: ROOT,
        logFile: path.join(logDir, `worker-${w}.log`),
        ...(docker ? { entry: docker.entry } : {}),
        nodeFlags: [...(docker?.nodeFlags ?? []), ...opts['worker-node-flags'].split(' ').filter(Boolean)],
        // The worker reconciles every integration's schedule before it polls.
        readyTimeoutMs: 900_000,
        env: {
          ...process.env,
          ...(docker?.env ?? {}),
          // Production reads no development key file: hand the worker the key the API seals with.
          ...(docker ? { ENCRYPTION_KEY: baseEnv.ENCRYPTION_KEY ?? readFileSync(DEV_KEY_FILE, 'utf8').trim() } : {}),
          DATABASE_URL: dbUrl,
          TEMPORAL_NAMESPACE: SCALE_NAMESPACE,
          TEMPORAL_TASK_QUEUE: SCALE_QUEUE,
          WORKER_METRICS_PORT: String(ports[w * 2]),
          TEMPORAL_SDK_METRICS_ADDRESS: `127.0.0.1:${ports[w * 2 + 1]}`,
          LOG_LEVEL: 'warn',
          ...extraEnv,
          WORKER_ROLE: ROLES[w]!,
        },
      }),
    );
    say(`worker ${w} (WORKER_ROLE=${ROLES[w]}) ready in ${s(workers[w]!.readyMs)} (pid ${workers[w]!.pid}, log ${workers[w]!.logFile})`);
  }

  const api = await startApi({ env, pool, keyring: keyringFromEnv(env), client, logger: createLogger('warn') });
  const t0 = performance.now();
  const ids =
    reused ??
    (await mapLimit(
      Array.from({ length: N }, (_, i) => i),
      8,
      async (i) => {
        // 503 is the API saying Temporal was slow and nothing changed: retry, as its message asks.
        let res: Response;
        for (let attempt = 1; ; attempt++) {
          res = await fetch(`${api.url}/v1/integrations`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              appId: appIdOf(i),
              endpointUrl: env.LOCAL_S3_ENDPOINT,
              region: 'us-east-1',
              bucket: `${SCALE_BUCKET}/app-${i}`,
              folder: 'ua-export',
              accessKeyId: env.LOCAL_S3_ACCESS_KEY_ID,
              secretAccessKey: env.LOCAL_S3_SECRET_ACCESS_KEY,
              forcePathStyle: true,
            }),
          });
          if (res.status !== 503 || attempt === 5) break;
          await new Promise((r) => setTimeout(r, 2_000 * attempt));
        }
        if (res.status !== 201) throw new Error(`POST /v1/integrations → ${res.status} ${await res.text()}`);
        return ((await res.json()) as { id: string }).id;
      },
    ));
  say(
    reused
      ? `${N} integrations reused (created over the API by an earlier run; --fresh recreates them)`
      : `${N} integrations created over the API in ${s(performance.now() - t0)}`,
  );

  // Far enough ahead to move every schedule (a describe and an update each, 48 at a time; a busy
  // dev server took up to 0.2 s per schedule). A schedule whose update the server applies after the
  // instant does not fire today (an update does not catch up): on a loaded box one run lost half its
  // firings to a 50 s margin, hence the generous one.
  const fireAt = new Date(Math.ceil((Date.now() + 60_000 + N * 500) / 5_000) * 5_000);
  if (new Date(fireAt.getTime() - 86_400_000).toISOString().slice(0, 10) !== day) throw new Error('the fire instant crossed midnight UTC: run again');
  // Every schedule keeps its own spec shape (a daily calendar); only the instant moves to fireAt, so
  // Temporal's scheduler starts all of them together as it does at 04:00.
  const t1 = performance.now();
  await mapLimit(ids, 48, (id) =>
    client.schedule.getHandle(scheduleId(id)).update((prev) => ({
      ...prev,
      spec: { calendars: [{ hour: fireAt.getUTCHours(), minute: fireAt.getUTCMinutes(), second: fireAt.getUTCSeconds() }], timezone: 'UTC' },
    })),
  );
  say(`${N} schedules moved to fire at ${fireAt.toISOString()} (day ${day}) in ${s(performance.now() - t1)}`);
  const waitMs = fireAt.getTime() - Date.now();
  if (waitMs < 0) throw new Error(`setup overran the fire instant by ${s(-waitMs)}: raise the setup margin`);
  await new Promise((r) => setTimeout(r, waitMs));
  const cpuAtFire = workers.map((w) => cpuSeconds(w.pid));
  const services = servicePids();
  const serviceCpuAtFire = services.map((sv) => treeCpuSeconds(sv.pid) ?? NaN);
  const loadAtFire = os.loadavg();
  say(`fired; waiting for ${N * 2} files`);

  // Sample until every file of the day is delivered (or failed for good).
  const admin = new pg.Client({ connectionString: baseEnv.DATABASE_URL });
  await admin.connect();
  let peakConns = 0;
  let peakActive = 0;
  const peakRss = workers.map(() => 0);
  const deadline = Date.now() + Number(opts['timeout-s']) * 1000;
  let done: number;
  let failed: number;
  for (;;) {
    const c = await admin.query<{ total: string; active: string }>(
      `SELECT count(*)::text AS total, count(*) FILTER (WHERE state <> 'idle')::text AS active FROM pg_stat_activity WHERE datname = $1 AND application_name = 'ua-export' AND pid <> pg_backend_pid()`,
      [SCALE_DB],
    );
    peakConns = Math.max(peakConns, Number(c.rows[0]!.total));
    peakActive = Math.max(peakActive, Number(c.rows[0]!.active));
    workers.forEach((w, i) => (peakRss[i] = Math.max(peakRss[i]!, memStatus(w.pid)?.hwm ?? 0)));
    const st = await pool.query<{ done: string; failed: string }>(
      `SELECT count(*) FILTER (WHERE status = 'succeeded')::text AS done, count(*) FILTER (WHERE status = 'failed')::text AS failed FROM export_day_state WHERE day = $1`,
      [day],
    );
    done = Number(st.rows[0]!.done);
    failed = Number(st.rows[0]!.failed);
    if (done + failed >= N * 2 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const cpu = workers.map((w, i) => cpuSeconds(w.pid) - cpuAtFire[i]!);
  const serviceCpu = services.map((sv, i) => ({ name: sv.name, seconds: (treeCpuSeconds(sv.pid) ?? NaN) - serviceCpuAtFire[i]! }));
  const loadAtEnd = os.loadavg();
  const metrics = await Promise.all(ports.filter((_, i) => i % 2 === 0).map((p) => scrape(p)));
  await admin.end();

  // A day is delivered when both its files are: its time is the later finish.
  const { rows: perIntegration } = await pool.query<{ integration_id: string; last: Date; attempts: string }>(
    `SELECT integration_id, max(finished_at) AS last, count(*)::text AS attempts FROM export_runs
      WHERE day = $1 AND status = 'succeeded' GROUP BY integration_id HAVING count(DISTINCT table_name) = 2`,
    [day],
  );
  const { rows: failedRuns } = await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM export_runs WHERE day = $1 AND status <> 'succeeded'`, [day]);
  const latencies = perIntegration.map((r) => r.last.getTime() - fireAt.getTime()).sort((a, b) => a - b);
  const last = latencies[latencies.length - 1] ?? NaN;
  const retries = metrics.reduce((sum, t) => sum + metricSum(t, 'ua_export_activity_retries_total'), 0);
  const attemptsByActivity = new Map<string, number>();
  for (const t of metrics)
    for (const line of t.split('\n')) {
      const m = /^ua_export_activity_attempts_total\{activity="([^"]+)"[^}]*\}\s+(\S+)/.exec(line);
      if (m) attemptsByActivity.set(m[1]!, (attemptsByActivity.get(m[1]!) ?? 0) + Number(m[2]));
    }
  const wfLatency = metrics.map((t) => histogramQuantiles(t, 'temporal_workflow_task_schedule_to_start_latency'));
  const actLatency = metrics.map((t) => histogramQuantiles(t, 'temporal_activity_schedule_to_start_latency'));

  // Each day not delivered, explained from Temporal: did its schedule start a run for this firing at
  // all (a schedule's lost action shows only in the server's log), and if so, where is that run.
  const delivered = new Set(perIntegration.map((r) => r.integration_id));
  const undelivered = await mapLimit(
    ids.filter((id) => !delivered.has(id)),
    8,
    async (id) => {
      const desc = await client.schedule.getHandle(scheduleId(id)).describe();
      const action = desc.info.recentActions.find((a) => a.scheduledAt.getTime() === fireAt.getTime());
      if (!action)
        return `${id}: its schedule started no run for ${fireAt.toISOString()} (recent actions ${desc.info.recentActions.length}; the next scheduled run repairs the day)`;
      const run = await client.workflow.getHandle(action.action.workflow.workflowId).describe();
      return `${id}: run ${action.action.workflow.workflowId} ${run.status.name}`;
    },
  );

  // Spot-check a sample, independently of the export code.
  const sampleIdx = Array.from({ length: SAMPLE }, (_, k) => Math.floor((k * N) / SAMPLE));
  const s3 = adminS3(env);
  const verdicts = (
    await mapLimit(sampleIdx, 4, (i) =>
      Promise.all(
        TABLES.map((table) =>
          verifyDay(s3, dbUrl, {
            integrationId: ids[i]!,
            appId: appIdOf(i),
            bucket: SCALE_BUCKET,
            folder: `app-${i}/ua-export`,
            day,
            table,
            includeEventsWithoutProfile: false,
          }),
        ),
      ),
    )
  ).flat();
  const bad = verdicts.filter((v) => !dayIsGood(v));
  const open = await openUploads(s3, SCALE_BUCKET);

  const report = {
    integrations: N,
    workers: WORKERS,
    eventsPerDay: EVENTS,
    day,
    fireAt: fireAt.toISOString(),
    filesDelivered: done,
    filesFailed: failed,
    daysDelivered: perIntegration.length,
    daysNotDelivered: undelivered,
    p50s: pct(latencies, 50) / 1000,
    p95s: pct(latencies, 95) / 1000,
    lasts: last / 1000,
    daysPerSecond: perIntegration.length / (last / 1000),
    workerCpuSeconds: cpu,
    workerPeakRssMiB: peakRss.map((b) => b / 1024 / 1024),
    workerRun: docker ? `compiled, as the Dockerfile runs it: node ${docker.nodeFlags.join(' ')}` : 'from source under tsx',
    serviceCpuSeconds: Object.fromEntries(serviceCpu.map((c) => [c.name, c.seconds])),
    loadAverage: { atFire: loadAtFire, atEnd: loadAtEnd },
    pgConnectionsPeak: peakConns,
    pgConnectionsActivePeak: peakActive,
    workflowTaskScheduleToStartMs: wfLatency,
    activityScheduleToStartMs: actLatency,
    activityAttempts: Object.fromEntries(attemptsByActivity),
    activityRetries: retries,
    nonSucceededRuns: Number(failedRuns[0]!.n),
    spotChecked: verdicts.length,
    spotCheckBad: bad.map((v) => `${v.table} ${v.day}: ${v.problems.join('; ')}`),
    openUploads: open.length,
  };
  say('');
  say(`${N} integrations × 2 files, ${EVENTS} events/day, ${WORKERS} worker(s); fired ${report.fireAt} for ${day}`);
  say(
    `delivered ${perIntegration.length}/${N} days (${done} files; ${failed} failed) — p50 ${s(pct(latencies, 50))}, p95 ${s(pct(latencies, 95))}, last ${s(last)}`,
  );
  if (undelivered.length) say(`not delivered (${undelivered.length}): ${undelivered.slice(0, 10).join(' | ')}${undelivered.length > 10 ? ' | …' : ''}`);
  say(`throughput ${report.daysPerSecond.toFixed(2)} days/s (wall clock: noisy while other work shares the box)`);
  workers.forEach((w, i) =>
    say(
      `worker ${i} (${ROLES[i]}): CPU ${cpu[i]!.toFixed(1)} core-s (${((cpu[i]! / perIntegration.length) * 1000).toFixed(1)} core-ms per day of the whole herd), peak RSS ${mib(peakRss[i]!)}`,
    ),
  );
  const days = perIntegration.length;
  const perDay = (sec: number) => `${((sec / days) * 1000).toFixed(1)} core-ms/day`;
  say(`worker run ${report.workerRun}`);
  for (const c of serviceCpu) say(`${c.name} (whole instance): CPU ${c.seconds.toFixed(1)} core-s (${perDay(c.seconds)})`);
  const total = cpu.reduce((a, b) => a + b, 0) + serviceCpu.reduce((a, c) => a + c.seconds, 0);
  if (serviceCpu.length) say(`worker(s) + services: ${total.toFixed(1)} core-s (${perDay(total)}); budget for 1,000 days in 180 s on 2 cores: 360 core-ms/day`);
  say(`load average at fire ${loadAtFire.map((l) => l.toFixed(2)).join(' ')}, at end ${loadAtEnd.map((l) => l.toFixed(2)).join(' ')}`);
  say(`Postgres connections (ua-export, scale db): peak ${peakConns}, peak not idle ${peakActive}`);
  wfLatency.forEach((l, i) =>
    say(
      `worker ${i} (${ROLES[i]}): workflow-task schedule-to-start ${l.count} tasks, mean ${l.meanMs.toFixed(0)} ms, p50 ≤ ${l.p50Ms} ms, p95 ≤ ${l.p95Ms} ms; activity schedule-to-start mean ${actLatency[i]!.meanMs.toFixed(0)} ms, p95 ≤ ${actLatency[i]!.p95Ms} ms`,
    ),
  );
  say(`activity attempts ${JSON.stringify(report.activityAttempts)}; retries ${retries}; ledger runs not succeeded ${report.nonSucceededRuns}`);
  say(
    `spot-check: ${verdicts.length - bad.length}/${verdicts.length} files exact against the source${bad.length ? `; BAD: ${report.spotCheckBad.join(' | ')}` : ''}`,
  );
  say(`open multipart uploads left in the bucket: ${open.length}`);
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);

  for (const w of workers) await w.stop();
  // The build's links (node_modules, migrations, …) are removed, never followed.
  if (docker) rmSync(docker.dir, { recursive: true, force: true });
  await api.close();
  await connection.close();
  await pool.end();
  const ok = perIntegration.length === N && failed === 0 && bad.length === 0 && open.length === 0;
  process.exit(ok ? 0 : 1);
}

await main();
