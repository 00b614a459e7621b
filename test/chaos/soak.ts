/**
 * Soak: the real worker exporting back-to-back backfills for N minutes, sampled every second.
 *
 *   npm run soak -- --minutes 30            # the full soak (the chaos suite's scenario 10)
 *   npm run soak -- --minutes 6 --json /tmp/soak.json --worker-env WORKER_MAX_CACHED_WORKFLOWS=500
 *   npm run soak -- --help
 *
 * The local services must be running (`npm run services`, or `eval "$(bash scripts/services.sh env)"`
 * when they run from another checkout). The soak keeps to its own corner of them: database
 * `ua_export_soak`, namespace `ua-export-soak`, a task queue of its own and the `soak/` prefix of the bench
 * bucket, so it never touches anyone else's integrations, schedules or objects.
 *
 * The worker runs as the Dockerfile runs it: compiled with tsc, plain `node --max-semi-space-size=2 --optimize-for-size
 * …/src/worker/main.js`, NODE_ENV=production, a workflow bundle built beforehand (WORKFLOW_BUNDLE_PATH).
 * `--tsx` runs src/worker/main.ts under tsx instead. Each backfill exports the same seeded days for a new
 * integration, so every backfill does the full work (new workflow ids, new object keys) on the same data.
 *
 * Each second it reads the worker's VmRSS / VmHWM / threads (/proc/<pid>/status), open descriptors
 * (/proc/<pid>/fd), its TCP sockets by peer (postgres, temporal, s3, listening, other;
 * /proc/<pid>/net/tcp* joined on the socket inodes it holds), its Postgres connections as Postgres sees
 * them (pg_stat_activity rows whose client port is one of the worker's), and from the worker's own
 * /metrics its main thread's V8 heap, external memory and the SDK's sticky cache size. The report gives first / last / peak of each, and the slope
 * per backfill of the value sampled as each backfill ends (least squares). The verdict: peak RSS under
 * the bar, and no count higher in the second half of the backfills than in the first half (plus a small
 * tolerance for connections that happen to be open at the sample).
 *
 * A short run can stay under the bar while still growing: read the RSS slope too (docs/BENCHMARKS.md, "Soak").
 * Wall times here are noisy on a shared machine; RSS and counts are the worker's own.
 *
 * runSoak() is the same run for the chaos suite; the CLI prints the report and exits 1 when the verdict fails.
 */
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadEnv, type Env } from '../../src/config/env.js';
import { keyringFromEnv, DEV_KEY_FILE } from '../../src/config/keyring.js';
import { createPool } from '../../src/db/pool.js';
import { eventsForDay, insertEvents, insertMetrics, metricsForDay } from '../../src/dev/generate.js';
import { addDays, daysInRange } from '../../src/export/days.js';
import { createIntegration, deleteIntegration } from '../../src/integrations/repo.js';
import { startBackfill } from '../../src/backfills/service.js';
import type { BackfillProgress } from '../../workflows/backfill.js';
import { buildDockerLikeWorker, dockerWorkerSpec, type DockerLikeWorker } from '../../bench/compiled-worker.js';
import { freePorts } from '../../bench/free-ports.js';
import { machineInfo, memStatus, smapsBreakdown, type MachineInfo, type SmapsBreakdown } from '../../bench/proc.js';
import { BENCH_BUCKET, adminS3, emptyPrefix, ensureBenchDatabase, ensureBucket, ensureNamespace } from '../../bench/setup.js';
import { spawnWorker, type WorkerProcess } from '../../bench/worker-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SOAK_DB = 'ua_export_soak';
export const SOAK_NAMESPACE = 'ua-export-soak';
/** The README's memory bar for the worker. */
export const RSS_BAR_BYTES = 256 * 2 ** 20;
/** A soak app of its own: the seeded days are found again on the next run. */
const SOAK_APP_ID = '00000000-0000-4000-8000-50a150a150a1';

export interface SoakOptions {
  minutes: number;
  env: Env;
  /** Days per backfill (default 60). */
  days?: number;
  /** ua_events rows per day (default 300). */
  rowsPerDay?: number;
  /**
   * The database the worker and the seeded days live in (default SOAK_DB). The run empties its
   * integrations table at start, so two runs at once must not share one.
   */
  database?: string;
  /** The app whose days are seeded and exported (default the soak's own). */
  appId?: string;
  /** The first day of every backfill (default 2025-01-01). */
  from?: string;
  /** Days exported at once per backfill (default the environment's BACKFILL_DEFAULT_CONCURRENCY). */
  concurrency?: number;
  /** Run src/worker/main.ts under tsx instead of the compiled worker. */
  tsx?: boolean;
  /** Extra environment for the worker (e.g. WORKER_MAX_CACHED_WORKFLOWS). */
  workerEnv?: Record<string, string>;
  /** Node flags for the worker (default the Dockerfile's). */
  nodeFlags?: string[];
  sampleMs?: number;
  log?: (msg: string) => void;
  /** Stop after this many backfills even if minutes remain (the year-long backfill bench runs one). */
  maxBackfills?: number;
  /** Runs after each backfill, before its integration and objects are removed: what a bench measures of it. */
  afterBackfill?: (run: { index: number; integrationId: string; workflowId: string; client: Client; pool: ReturnType<typeof createPool> }) => Promise<void>;
  /** Ends the run early (Ctrl-C): no new backfill starts, the worker is stopped and the report covers what ran. */
  signal?: AbortSignal;
}

export interface Sample {
  /** Seconds since the worker was ready. */
  t: number;
  /** Backfills completed when the sample was taken. */
  backfills: number;
  rss: number;
  hwm: number;
  threads: number;
  fds: number;
  sockets: { postgres: number; temporal: number; s3: number; listening: number; other: number };
  pgConnections: number;
  /** From the worker's own /metrics: its main thread's V8 heap and external memory, and the SDK's sticky cache. */
  heapUsed: number;
  heapTotal: number;
  external: number;
  cachedWorkflows: number;
  /** Taken at backfill ends only: where the resident memory lives (file pages, large and small anonymous mappings). */
  smaps?: SmapsBreakdown;
}

export type Metric =
  | 'rss'
  | 'hwm'
  | 'threads'
  | 'fds'
  | 'tcpPostgres'
  | 'tcpTemporal'
  | 'tcpS3'
  | 'tcpListening'
  | 'tcpOther'
  | 'pgConnections'
  | 'heapUsed'
  | 'heapTotal'
  | 'external'
  | 'cachedWorkflows';

export interface MetricSummary {
  first: number;
  last: number;
  peak: number;
  /** Least-squares slope of the value sampled at the end of each backfill, per backfill. */
  slopePerBackfill: number;
  /** The highest end-of-backfill value in the first and in the second half of the backfills. */
  firstHalfMax: number;
  secondHalfMax: number;
}

export interface BackfillRun {
  index: number;
  integrationId: string;
  seconds: number;
  completedDays: number;
  failedDays: number;
  rows: number;
  bytes: number;
  /** The sample taken right after the backfill closed. */
  end: Sample;
}

export interface SoakReport {
  machine: MachineInfo;
  worker: { entry: string; nodeFlags: string[]; env: Record<string, string>; identity: string; rssAtReady: number };
  options: { minutes: number; days: number; rowsPerDay: number; concurrency: number };
  backfills: BackfillRun[];
  metrics: Record<Metric, MetricSummary>;
  samples: Sample[];
  verdict: { ok: boolean; problems: string[] };
}

const METRICS: Record<Metric, (s: Sample) => number> = {
  rss: (s) => s.rss,
  hwm: (s) => s.hwm,
  threads: (s) => s.threads,
  fds: (s) => s.fds,
  tcpPostgres: (s) => s.sockets.postgres,
  tcpTemporal: (s) => s.sockets.temporal,
  tcpS3: (s) => s.sockets.s3,
  tcpListening: (s) => s.sockets.listening,
  tcpOther: (s) => s.sockets.other,
  pgConnections: (s) => s.pgConnections,
  heapUsed: (s) => s.heapUsed,
  heapTotal: (s) => s.heapTotal,
  external: (s) => s.external,
  cachedWorkflows: (s) => s.cachedWorkflows,
};
/** Counts may differ by this much between halves: a connection or two can be mid-use when sampled. */
const COUNT_TOLERANCE = 2;

const portOf = (address: string, fallback: number): number => {
  const m = /:(\d+)$/.exec(address.replace(/^[a-z]+:\/\//, '').split('/')[0]!);
  return m ? Number(m[1]) : fallback;
};

/** Socket inodes held by `pid`, and the open descriptor count. */
function descriptors(pid: number): { fds: number; socketInodes: Set<string> } {
  const socketInodes = new Set<string>();
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return { fds: 0, socketInodes };
  }
  for (const fd of names) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) socketInodes.add(m[1]!);
    } catch {
      /* closed between readdir and readlink */
    }
  }
  return { fds: names.length, socketInodes };
}

/** The process's TCP sockets (IPv4 and IPv6) as [local port, remote port] pairs. */
function tcpSockets(pid: number, inodes: Set<string>): { local: number; remote: number }[] {
  const out: { local: number; remote: number }[] = [];
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length < 10 || !inodes.has(f[9]!)) continue;
      out.push({ local: parseInt(f[1]!.split(':')[1]!, 16), remote: parseInt(f[2]!.split(':')[1]!, 16) });
    }
  }
  return out;
}

/** Unlabelled gauges (and the sum over labels) of a Prometheus text page; empty when it cannot be read. */
async function scrape(url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    for (const line of (await res.text()).split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+([-+\d.eE]+)$/.exec(line);
      if (m) out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[3]));
    }
  } catch {
    /* a sample without the worker's own view is still a sample */
  }
  return out;
}

function slope(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

export function summarize(samples: Sample[], ends: Sample[]): Record<Metric, MetricSummary> {
  const out = {} as Record<Metric, MetricSummary>;
  const half = Math.ceil(ends.length / 2);
  for (const [name, get] of Object.entries(METRICS) as [Metric, (s: Sample) => number][]) {
    const all = samples.map(get);
    const endValues = ends.map(get);
    out[name] = {
      first: all[0] ?? 0,
      last: all.at(-1) ?? 0,
      peak: Math.max(0, ...all),
      slopePerBackfill: slope(endValues),
      firstHalfMax: Math.max(0, ...endValues.slice(0, half)),
      secondHalfMax: Math.max(0, ...endValues.slice(half)),
    };
  }
  return out;
}

export function verdict(metrics: Record<Metric, MetricSummary>, backfills: BackfillRun[]): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  if (metrics.rss.peak >= RSS_BAR_BYTES)
    problems.push(`peak RSS ${(metrics.rss.peak / 2 ** 20).toFixed(1)} MiB is not under the ${RSS_BAR_BYTES / 2 ** 20} MiB bar`);
  if (backfills.length < 2) problems.push(`only ${backfills.length} backfill(s) completed: too few to tell growth`);
  for (const m of ['fds', 'tcpPostgres', 'tcpTemporal', 'tcpS3', 'tcpListening', 'tcpOther', 'pgConnections', 'threads'] as const) {
    const s = metrics[m];
    if (s.secondHalfMax > s.firstHalfMax + COUNT_TOLERANCE) problems.push(`${m} grew: ${s.firstHalfMax} → ${s.secondHalfMax} at backfill ends`);
  }
  const failed = backfills.reduce((a, b) => a + b.failedDays, 0);
  if (failed > 0) problems.push(`${failed} day(s) failed`);
  return { ok: problems.length === 0, problems };
}

/**
 * Seeds `rowsPerDay` events and a day of campaign metrics on each of `days` for `appId`, unless they are
 * there already. The first day is generated (src/dev/generate.ts); Postgres copies it onto the other
 * days, shifting every timestamp by whole days, so a year of 20,000-event days takes seconds of SQL
 * instead of generating millions of rows in Node.
 */
export async function seed(pool: ReturnType<typeof createPool>, appId: string, days: string[], rowsPerDay: number, log: (m: string) => void): Promise<void> {
  const { rows } = await pool.query<{ day: string; n: string }>(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::text AS n FROM ua_events WHERE app_id = $1 GROUP BY 1`,
    [appId],
  );
  const have = new Map(rows.map((r) => [r.day, Number(r.n)]));
  const missing = days.filter((d) => have.get(d) !== rowsPerDay);
  if (missing.length === 0 && have.size === days.length) return;
  log(`seeding ${days.length} day(s) of ${rowsPerDay} events and a day of campaign metrics each`);
  const t0 = performance.now();
  await pool.query('DELETE FROM ua_events WHERE app_id = $1', [appId]);
  await pool.query('DELETE FROM campaign_metrics WHERE app_id = $1', [appId]);
  const first = days[0]!;
  await insertEvents(pool, eventsForDay(appId, first, rowsPerDay, 7000));
  const { rows: cols } = await pool.query<{ name: string; ts: boolean }>(
    `SELECT column_name AS name, data_type = 'timestamp with time zone' AS ts FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'ua_events' AND is_generated = 'NEVER' AND identity_generation IS NULL ORDER BY ordinal_position`,
  );
  const names = cols.map((c) => `"${c.name}"`).join(', ');
  const shifted = cols.map((c) => (c.ts ? `"${c.name}" + make_interval(days => d.n)` : `"${c.name}"`)).join(', ');
  for (let i = 1; i < days.length; i += 30) {
    await pool.query(
      `INSERT INTO ua_events (${names}) SELECT ${shifted} FROM ua_events e CROSS JOIN generate_series($2::int, $3::int) AS d(n)
        WHERE e.app_id = $1 AND e.created_at >= $4::date AND e.created_at < $4::date + 1`,
      [appId, i, Math.min(i + 29, days.length - 1), first],
    );
  }
  for (const [i, day] of days.entries()) await insertMetrics(pool, metricsForDay(appId, day, 12, 8000 + i));
  await pool.query('VACUUM ANALYZE ua_events');
  await pool.query('VACUUM ANALYZE campaign_metrics');
  log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Resolves when `signal` aborts; never when there is none. */
function aborted(signal: AbortSignal | undefined): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const log = opts.log ?? ((m: string) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}`));
  const env = opts.env;
  const days = opts.days ?? 60;
  const rowsPerDay = opts.rowsPerDay ?? 300;
  const appId = opts.appId ?? SOAK_APP_ID;
  const from = opts.from ?? '2025-01-01';
  const to = addDays(from, days - 1);
  const concurrency = opts.concurrency ?? env.BACKFILL_DEFAULT_CONCURRENCY;
  const sampleMs = opts.sampleMs ?? 1_000;
  const runId = `${Date.now().toString(36)}-${process.pid}`;

  const database = opts.database ?? SOAK_DB;
  const url = await ensureBenchDatabase(env, database);
  const pool = createPool(url, 2);
  const s3 = adminS3(env);
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: '5 seconds' });
  const tmp = path.join(os.tmpdir(), `ua-export-soak-${runId}`);
  mkdirSync(tmp, { recursive: true });
  let worker: WorkerProcess | null = null;
  let build: DockerLikeWorker | null = null;
  let nodeFlags: string[];
  let finished = false;
  let sampler: NodeJS.Timeout | null = null;
  const integrations: string[] = [];
  try {
    await ensureBucket(s3, BENCH_BUCKET);
    await ensureNamespace(connection, SOAK_NAMESPACE);
    const client = new Client({ connection, namespace: SOAK_NAMESPACE });
    // Integrations a crashed run left would only make the worker create schedules for them on start.
    await pool.query('DELETE FROM integrations');
    await emptyPrefix(s3, BENCH_BUCKET, 'soak/');
    await seed(pool, appId, daysInRange(from, to), rowsPerDay, log);

    build = opts.tsx ? null : buildDockerLikeWorker(ROOT, log);
    const entry = build?.entry;
    nodeFlags = opts.nodeFlags ?? build?.nodeFlags ?? dockerWorkerSpec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).nodeFlags;
    const keyring = keyringFromEnv(env);
    const [metricsPort, sdkMetricsPort] = await freePorts(2);
    const taskQueue = `ua-export-soak-${runId}`;
    const workerEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...(opts.tsx
        ? {}
        : {
            // NODE_ENV, WORKFLOW_BUNDLE_PATH, MALLOC_ARENA_MAX…: as the Dockerfile sets them.
            ...build?.env,
            ENCRYPTION_KEY: env.ENCRYPTION_KEY ?? readFileSync(DEV_KEY_FILE, 'utf8').trim(),
          }),
      WORKER_METRICS_PORT: String(metricsPort),
      TEMPORAL_SDK_METRICS_ADDRESS: `127.0.0.1:${sdkMetricsPort}`,
      ...opts.workerEnv,
      // The services of `env`, not of this process's environment: inside the chaos suite they are the
      // chaos instance's, and a worker that fell back to the default address reached another server
      // (on a machine running both: NamespaceNotFound at start, 2026-12-02).
      DATABASE_URL: url,
      TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: SOAK_NAMESPACE,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'info',
    };
    delete workerEnv.UA_EXPORT_TEST_PART_DELAY_MS;
    delete workerEnv.NODE_OPTIONS;
    const logFile = path.join(tmp, 'worker.log');
    log(`starting worker (${entry ?? 'tsx src/worker/main.ts'}; ${nodeFlags.join(' ')}; queue ${taskQueue}; log ${logFile})`);
    worker = await spawnWorker({ root: ROOT, env: workerEnv, logFile, entry, nodeFlags });
    const pid = worker.pid;
    log(`worker ready: ${worker.identity}; RSS ${(worker.atReady.rss / 2 ** 20).toFixed(1)} MiB`);

    const ports = {
      postgres: portOf(env.DATABASE_URL, 5432),
      temporal: portOf(env.TEMPORAL_ADDRESS, 7233),
      s3: portOf(env.LOCAL_S3_ENDPOINT, 80),
    };
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const samples: Sample[] = [];
    const ends: Sample[] = [];
    const backfills: BackfillRun[] = [];
    const t0 = performance.now();
    const take = async (): Promise<Sample | null> => {
      const mem = memStatus(pid);
      if (!mem) return null;
      const { fds, socketInodes } = descriptors(pid);
      const tcp = tcpSockets(pid, socketInodes);
      const sockets = { postgres: 0, temporal: 0, s3: 0, listening: 0, other: 0 };
      for (const s of tcp) {
        if (s.remote === ports.postgres) sockets.postgres++;
        else if (s.remote === ports.temporal) sockets.temporal++;
        else if (s.remote === ports.s3) sockets.s3++;
        else if (s.remote === 0) sockets.listening++;
        else sockets.other++;
      }
      const pgPorts = tcp.filter((s) => s.remote === ports.postgres).map((s) => s.local);
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND client_port = ANY($2::int[])', [
        database,
        pgPorts,
      ]);
      const gauges = await scrape(metricsUrl);
      const s: Sample = {
        t: (performance.now() - t0) / 1000,
        backfills: backfills.length,
        rss: mem.rss,
        hwm: mem.hwm,
        threads: mem.threads,
        fds,
        sockets,
        pgConnections: rows[0]!.n,
        heapUsed: gauges.get('ua_export_nodejs_heap_size_used_bytes') ?? 0,
        heapTotal: gauges.get('ua_export_nodejs_heap_size_total_bytes') ?? 0,
        external: gauges.get('ua_export_nodejs_external_memory_bytes') ?? 0,
        cachedWorkflows: gauges.get('temporal_sticky_cache_size') ?? 0,
      };
      samples.push(s);
      return s;
    };
    let sampling = Promise.resolve();
    sampler = setInterval(() => {
      sampling = sampling.then(() => take().then(() => undefined)).catch((err: Error) => log(`sample failed: ${err.message}`));
    }, sampleMs);

    const deadline = performance.now() + opts.minutes * 60_000;
    while (performance.now() < deadline && !opts.signal?.aborted && backfills.length < (opts.maxBackfills ?? Infinity)) {
      const index = backfills.length + 1;
      const integration = await createIntegration(pool, keyring, {
        appId,
        endpointUrl: env.LOCAL_S3_ENDPOINT,
        region: 'us-east-1',
        bucket: BENCH_BUCKET,
        folder: `soak/${runId}/${index}`,
        accessKeyId: env.LOCAL_S3_ACCESS_KEY_ID,
        secretAccessKey: env.LOCAL_S3_SECRET_ACCESS_KEY,
        forcePathStyle: true,
        settings: { includeEventsWithoutProfile: true },
      });
      integrations.push(integration.id);
      const b0 = performance.now();
      const info = await startBackfill(client, {
        integrationId: integration.id,
        from,
        to,
        concurrency,
        taskQueue,
        uiUrl: env.TEMPORAL_UI_URL,
        namespace: SOAK_NAMESPACE,
      });
      const handle = client.workflow.getHandle<() => Promise<BackfillProgress>>(info.workflowId, info.runId);
      const progress = await Promise.race([handle.result(), aborted(opts.signal)]);
      if (progress === 'aborted') {
        log(`stopping: backfill ${index} cancelled`);
        await handle.cancel().catch(() => undefined);
        break;
      }
      const seconds = (performance.now() - b0) / 1000;
      await sampling;
      const end = await take();
      if (!end) throw new Error(`worker pid ${pid} is gone; log ${logFile}`);
      end.smaps = smapsBreakdown(pid) ?? undefined;
      ends.push(end);
      backfills.push({
        index,
        integrationId: integration.id,
        seconds,
        completedDays: progress.completedDays,
        failedDays: progress.failedDays.length,
        rows: progress.rows,
        bytes: progress.bytes,
        end,
      });
      log(
        `backfill ${index}: ${progress.completedDays}/${progress.totalDays} days, ${progress.failedDays.length} failed, ${seconds.toFixed(1)} s; ` +
          `RSS ${(end.rss / 2 ** 20).toFixed(1)} MiB, HWM ${(end.hwm / 2 ** 20).toFixed(1)} MiB, fds ${end.fds}, pg ${end.pgConnections}, ` +
          `tcp pg/temporal/s3/listening/other ${end.sockets.postgres}/${end.sockets.temporal}/${end.sockets.s3}/${end.sockets.listening}/${end.sockets.other}, threads ${end.threads}; ` +
          `heap ${(end.heapUsed / 2 ** 20).toFixed(1)}/${(end.heapTotal / 2 ** 20).toFixed(1)} MiB, external ${(end.external / 2 ** 20).toFixed(1)} MiB, cached workflows ${end.cachedWorkflows}` +
          (end.smaps
            ? `; smaps: file ${MiB(end.smaps.file)}, anon ≥1 MiB mappings ${MiB(end.smaps.anonLarge)}, anon small mappings ${MiB(end.smaps.anonSmall)}`
            : ''),
      );
      await opts.afterBackfill?.({ index, integrationId: integration.id, workflowId: info.workflowId, client, pool });
      // The objects are not what is measured: keep the shared bucket from filling up.
      await emptyPrefix(s3, BENCH_BUCKET, `soak/${runId}/${index}/`);
    }
    clearInterval(sampler);
    sampler = null;
    await sampling;
    const metrics = summarize(samples, ends);
    finished = true;
    return {
      machine: machineInfo(),
      worker: {
        entry: entry ?? 'src/worker/main.ts (tsx)',
        nodeFlags,
        env: opts.workerEnv ?? {},
        identity: worker.identity,
        rssAtReady: worker.atReady.rss,
      },
      options: { minutes: opts.minutes, days, rowsPerDay, concurrency },
      backfills,
      metrics,
      samples,
      verdict: verdict(metrics, backfills),
    };
  } finally {
    if (sampler) clearInterval(sampler);
    if (worker) {
      const exit = await worker.stop();
      log(`worker stopped (code ${exit.code}, signal ${exit.signal})`);
    }
    for (const id of integrations) await deleteIntegration(pool, id).catch(() => undefined);
    await emptyPrefix(s3, BENCH_BUCKET, `soak/${runId}/`).catch(() => 0);
    await pool.end();
    s3.destroy();
    await connection.close();
    // A run that failed keeps the worker's log.
    if (finished) rmSync(tmp, { recursive: true, force: true });
    else log(`worker log kept in ${tmp}`);
    if (build) rmSync(build.dir, { recursive: true, force: true });
  }
}

const MiB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export function formatReport(r: SoakReport): string {
  const lines = [
    `worker: ${r.worker.entry} ${r.worker.nodeFlags.join(' ')} ${Object.entries(r.worker.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`.trim(),
    `${r.backfills.length} backfills of ${r.options.days} days × ${r.options.rowsPerDay} events (concurrency ${r.options.concurrency}) in ${r.options.minutes} min; ${r.samples.length} samples`,
    `backfill seconds: ${r.backfills.map((b) => b.seconds.toFixed(0)).join(' ')}`,
    '',
    '| metric | first | last | peak | slope / backfill | max at backfill ends, 1st half → 2nd half |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, m] of Object.entries(r.metrics)) {
    const bytes = ['rss', 'hwm', 'heapUsed', 'heapTotal', 'external'].includes(name);
    const f = (v: number) => (bytes ? MiB(v) : String(v));
    lines.push(
      `| ${name} | ${f(m.first)} | ${f(m.last)} | ${f(m.peak)} | ${bytes ? MiB(m.slopePerBackfill) : m.slopePerBackfill.toFixed(2)} | ${f(m.firstHalfMax)} → ${f(m.secondHalfMax)} |`,
    );
  }
  lines.push('', r.verdict.ok ? 'verdict: OK' : `verdict: FAILED\n  ${r.verdict.problems.join('\n  ')}`);
  return lines.join('\n');
}

const USAGE = `usage: npm run soak -- [options]
  --minutes M              how long to start new backfills (default 30; the last one runs to its end)
  --days D                 days per backfill (default 60)
  --rows-per-day N         events per seeded day (default 300)
  --concurrency C          days at once per backfill (default BACKFILL_DEFAULT_CONCURRENCY)
  --worker-env K=V[,K=V]   extra environment for the worker, e.g. WORKER_MAX_CACHED_WORKFLOWS=500
  --worker-node-flags=F    node flags for the worker instead of the Dockerfile's (space-separated; use the
                           = form), e.g. --worker-node-flags="--max-semi-space-size=2 --max-old-space-size=128"
  --tsx                    run src/worker/main.ts under tsx instead of the compiled worker
  --json FILE              write the whole report (every sample) as JSON
  --help`;

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      days: { type: 'string', default: '60' },
      'rows-per-day': { type: 'string', default: '300' },
      concurrency: { type: 'string' },
      'worker-env': { type: 'string', default: '' },
      'worker-node-flags': { type: 'string' },
      tsx: { type: 'boolean', default: false },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const positive = (name: string, v: string) => {
    const n = Number(v);
    if (!(n > 0)) throw new Error(`--${name} must be a positive number, got ${v}`);
    return n;
  };
  const workerEnv = Object.fromEntries(
    values['worker-env']
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  // Ctrl-C or SIGTERM ends the run cleanly: the running backfill is cancelled, the worker stopped and
  // the bench data removed, then the report of what ran is printed. A second signal stops at once
  // (spawnWorker still kills the worker on the way out).
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      console.error(`[soak] ${sig} again: exiting now`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    console.error(`[soak] ${sig}: stopping the worker and cleaning up (send it again to exit at once)`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const report = await runSoak({
    signal: stop.signal,
    minutes: positive('minutes', values.minutes),
    env: loadEnv(),
    days: positive('days', values.days),
    rowsPerDay: positive('rows-per-day', values['rows-per-day']),
    concurrency: values.concurrency ? positive('concurrency', values.concurrency) : undefined,
    tsx: values.tsx,
    workerEnv,
    nodeFlags: values['worker-node-flags']?.split(' ').filter(Boolean),
  });
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
  console.log(formatReport(report));
  process.exitCode = stop.signal.aborted ? 130 : report.verdict.ok ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await cli();
