import { createHash, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { to as copyTo } from 'pg-copy-streams';
import { loadEnv } from '../src/config/env.js';
import { keyringFromEnv } from '../src/config/keyring.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { objectKeys } from '../src/export/keys.js';
import { batchBytes } from '../src/export/copy-out-frames.js';
import { CopyRows } from '../src/export/copy-rows.js';
import { BEGIN_EXPORT_READ, buildCopy } from '../src/export/query.js';
import { normalizeSettings } from '../src/export/settings.js';
import { FORMATS, isFileFormat, resolveOutputFormat, type FileFormat } from '../src/export/formats/format.js';
import { createIntegration, deleteIntegration } from '../src/integrations/repo.js';
import { sha256OfObject } from '../src/s3/multipart.js';
import { partHasher, type PartChecksum } from '../src/s3/part-checksum.js';
import { exportWorkflowId } from '../src/temporal/ids.js';
import type { exportDayWorkflow } from '../workflows/export-day.js';
import { formatProfileSummary, loadProfile, summarizeProfile, type ProfileSummary } from './cpuprofile-summary.js';
import {
  CLK_TCK,
  CpuGroups,
  machineInfo,
  memStatus,
  postgresGroup,
  procStat,
  threadCpuDelta,
  threadTicks,
  waitForQuiet,
  type MachineInfo,
  type MemStatus,
} from './proc.js';
import {
  BENCH_BUCKET,
  BENCH_DB,
  BENCH_NAMESPACE,
  adminS3,
  benchAppId,
  emptyPrefix,
  ensureAppDay,
  ensureBenchDatabase,
  ensureBucket,
  ensureNamespace,
  type DataPrep,
} from './setup.js';
import { RssSampler, spawnWorker, type WorkerProcess } from './worker-process.js';
import { buildCompiledWorker, buildDockerLikeWorker, type DockerLikeWorker } from './compiled-worker.js';
import { freePorts } from './free-ports.js';
import { formatGcDelta, gcDelta, readGcTotals, type GcDelta } from './worker-gc.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.join(ROOT, 'docs', 'BENCHMARKS.md');
const DOC_START = '<!-- bench:results:start (rewritten by `npm run bench -- --write-doc`) -->';
const DOC_END = '<!-- bench:results:end -->';

/**
 * ratio and rssMiB: the product spec's bars. bigDayRssMiB and cpuPerMillion: issue 11's big-day targets
 * for the whole worker process (every thread, as /proc/<pid>/stat counts it) run as the Dockerfile runs it.
 */
const BARS = { ratio: 0.6, rssMiB: 256, bigDayRssMiB: 192, cpuPerMillion: 2.5, flatGrowth: 0.1 };
/**
 * Issue 10's bars for the other formats, on the time ratio (baseline time ÷ export time for the same
 * rows): their files are smaller than the COPY stream, so MB/s of the file would flatter nothing.
 */
const FORMAT_BARS: Record<FileFormat, number> = { csv: BARS.ratio, csv_gzip: 0.5, parquet: 0.35 };

const USAGE = `usage: npm run bench -- [options]
  --rows N[,N…]       events in the app-day (default 1000000); a list runs each size with a fresh worker
  --day YYYY-MM-DD    the exported day (default 2025-03-14)
  --part-size-mib M   the worker's PART_SIZE_MIB (default: the environment's, i.e. 16 MiB unless set)
  --trials T          exports per size (default 1), each after its own four baseline runs (2 sessions × 2 readers); the table
                      shows the fastest export and the fastest baseline, the details every trial
  --docker            run the worker as the Dockerfile does (what npm run bench uses): compiled with tsc,
                      the prebuilt workflow bundle, the node flags of its CMD and the environment of its ENV
                      lines (NODE_ENV=production, MALLOC_ARENA_MAX, …)
  --compiled          investigation: run the worker from JS compiled with tsc into a temp dir
                      (node …/src/worker/main.js, no tsx) instead of node --import tsx src/worker/main.ts
  --worker-node-flags=F    investigation: extra node flags for the worker (space-separated; use the
                           = form), e.g. --worker-node-flags=--max-semi-space-size=8
  --worker-env K=V[,K=V]   investigation: extra environment for the worker, e.g. MALLOC_ARENA_MAX=2
  --split-workers     run the worker as the split deployment runs it (deploy/k8s): the measured worker
                      with WORKER_ROLE=activities (it runs the export), and beside it a second worker
                      with WORKER_ROLE=workflows, whose CPU and memory are reported apart
  --cpu-prof          run the worker with --cpu-prof and summarise its main thread over the export
  --gc                read the worker's GC pauses (its nodejs_gc_duration_seconds) before and after each
                      export, from its /metrics, as Prometheus scrapes a worker in production (before
                      the SDK's page was read with node:http instead of fetch, each scrape raised the
                      worker's RSS after a big export: docs/BENCHMARKS.md, "What a metrics scrape cost")
  --timeline          print cores used per process group, per second, during each export
  --format F[,F…]     the integration's file format: csv (default), csv_gzip, parquet (zstd), or a list
                      (csv,csv_gzip,parquet): each format and size gets a fresh worker (its own VmHWM) and its
                      own baseline COPY runs right before its export, so every ratio is to a baseline of the same run
  --lookback-days N   the integration's lookbackDays (default 3, the product's default): > 0 takes the lookback's
                      source fingerprint beside the COPY (issue 12); 0 turns it off, the export alone
  --keep-objects      leave the exported objects in the bench bucket
  --write-doc         rewrite the results section of docs/BENCHMARKS.md
  --help`;

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    day: { type: 'string', default: '2025-03-14' },
    'part-size-mib': { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    gc: { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false },
    'keep-objects': { type: 'boolean', default: false },
    format: { type: 'string', default: 'csv' },
    'lookback-days': { type: 'string', default: '3' },
    trials: { type: 'string', default: '1' },
    compiled: { type: 'boolean', default: false },
    docker: { type: 'boolean', default: false },
    'split-workers': { type: 'boolean', default: false },
    'worker-node-flags': { type: 'string', default: '' },
    'worker-env': { type: 'string', default: '' },
    'write-doc': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const formats: FileFormat[] = opts.format.split(',').map((f) => {
  const name = f.trim();
  if (!isFileFormat(name)) throw new Error(`--format: one of ${FORMATS.join(', ')} (or a comma-separated list), got ${f}`);
  return name;
});
const lookbackDays = Number(opts['lookback-days']);
if (!Number.isInteger(lookbackDays) || lookbackDays < 0) throw new Error('--lookback-days must be a non-negative integer');
const sizes = opts.rows.split(',').map((s) => {
  const n = Number(s.replace(/_/g, '').trim());
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--rows: not a positive integer: ${s}`);
  return n;
});
const day = opts.day;
const trialCount = Number(opts.trials);
if (!Number.isInteger(trialCount) || trialCount < 1) throw new Error('--trials must be a positive integer');
const workerNodeFlags = opts['worker-node-flags'].split(' ').filter(Boolean);
const workerExtraEnv = Object.fromEntries(
  opts['worker-env']
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const partSize = opts['part-size-mib'] ? Number(opts['part-size-mib']) * 2 ** 20 : undefined;
const splitWorkers = opts['split-workers'];

const log = (msg: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const MB = 1e6;
const MiB = 2 ** 20;
const fmtMiB = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** A wall-clock time as the log lines print it, to the millisecond (UTC). */
const clock = (d: Date) => d.toISOString().slice(11, 23);
/** The worker process's mean CPU per trial, per 1M exported rows. */
const cpuPerMillionRows = (trials: { workerProcessCpu: number }[], rows: number) =>
  (trials.reduce((a, t) => a + t.workerProcessCpu, 0) / trials.length / rows) * 1e6;
/** Peaks of VmHWM that no RSS sample saw, each placed by `when` (between which samples). */
const peaksBetweenSamples = (peaks: RssSampler['transients'], when: (p: RssSampler['transients'][number]) => string) =>
  peaks.map((p) => `; VmHWM rose to ${fmtMiB(p.hwm)} between the samples at ${when(p)} (RSS ${fmtMiB(p.rssBefore)}, then ${fmtMiB(p.rssAfter)})`).join('');

/**
 * The export runs its COPY inside BEGIN_EXPORT_READ (no parallel workers, no JIT, no sort where an index
 * gives the order). The baseline runs the same statement both ways and the faster run counts, so the
 * export's planner settings can never make the baseline slower than Postgres can go.
 */
const BASELINE_SESSIONS = [
  { name: 'export session', begin: BEGIN_EXPORT_READ },
  { name: 'planner defaults', begin: null },
] as const;

/**
 * Readers that send the stream to /dev/null. On 2 cores the reader's CPU competes with Postgres, so the
 * cheaper one gives the faster baseline: both run, and the fastest run of all counts.
 */
const BASELINE_READERS = ['CopyRows', 'pg-copy-streams'] as const;

interface CopyRun {
  session: (typeof BASELINE_SESSIONS)[number]['name'];
  reader: (typeof BASELINE_READERS)[number];
  bytes: number;
  ms: number;
  /** CPU seconds per process group during the run. */
  cpu?: { group: string; seconds: number }[];
}

/** The export's own query, read by `reader` into a sink that only counts bytes. */
async function copyBaseline(
  pools: { pool: Pool; pgSockets: Pool },
  sql: string,
  session: (typeof BASELINE_SESSIONS)[number],
  reader: (typeof BASELINE_READERS)[number],
): Promise<CopyRun> {
  const client = await (reader === 'CopyRows' ? pools.pool : pools.pgSockets).connect();
  try {
    let bytes = 0;
    const t0 = performance.now();
    if (session.begin) await client.query(session.begin);
    if (reader === 'CopyRows') {
      const rows = new CopyRows(sql);
      client.query(rows);
      for await (const batch of rows) bytes += batchBytes(batch);
    } else {
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          cb();
        },
      });
      await pipeline(client.query(copyTo(sql)), sink);
    }
    if (session.begin) await client.query('COMMIT');
    return { session: session.name, reader, bytes, ms: performance.now() - t0 };
  } finally {
    client.release();
  }
}

interface ActivityTiming {
  name: string;
  /** Scheduled → started. */
  queueMs: number;
  /** Started → completed. */
  runMs: number;
}

function tsMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return 0;
  const s = ts.seconds as number | { toNumber(): number } | null | undefined;
  const sec = typeof s === 'number' ? s : s ? s.toNumber() : 0;
  return sec * 1000 + (ts.nanos ?? 0) / 1e6;
}

/** One export of the app-day by the worker, with the baseline COPY runs made right before it. */
interface Trial {
  baselineRuns: CopyRun[];
  exportMs: number;
  uploadPartsMs: number;
  activities: ActivityTiming[];
  fileBytes: number;
  parts: number;
  resultRows: number;
  maxRss: number;
  hwmAfter: number;
  rssSamples: number;
  /** Peaks of VmHWM that no 100 ms sample of RSS saw (RssSampler.transients), ms into the export. */
  rssTransients: RssSampler['transients'];
  cpu: { group: string; seconds: number }[];
  /** The worker process's whole CPU time over the export (utime + stime of /proc/<pid>/stat: every thread, live or exited). */
  workerProcessCpu: number;
  /** Of workerProcessCpu, the kernel's share (stime). */
  workerProcessSys: number;
  /** The uploaded parts' checksum (startFile's result); null for a file that fit one request (MD5). */
  partChecksum: PartChecksum | null;
  /** The part hash + SHA-256 of the file's bytes in the bench process, right after the export: the hashing floor now. */
  hashingFloor: number;
  workerThreads: { name: string; threads: number; seconds: number }[];
  /** --gc: the worker's main-thread GC pauses over the export, from its metrics endpoint (null if not read). */
  gc: GcDelta[] | null;
  timeline: string | null;
  /** CPU the rest of the machine used just before this trial (cores). */
  backgroundCoresBefore: number;
  verify: {
    headBytes: number;
    streamedBytes: number;
    streamedSha256: string;
    /** csv_gzip: the gunzipped CSV's size and sha256 (the same bytes as the csv format's file). */
    uncompressedSha256: string | null;
    uncompressedBytes: number | null;
    manifestSha256: string;
    ok: boolean;
    notes: string[];
  };
  window: { fromUs: number; toUs: number };
}

interface SizeResult {
  rows: number;
  /** The PART_SIZE_MIB the worker ran with (16, the code's default, when nothing set it). */
  partMiB: number;
  format: FileFormat;
  appId: string;
  data: DataPrep;
  trials: Trial[];
  /** The fastest baseline run of all trials, and the fastest export trial. */
  baseline: CopyRun;
  best: Trial;
  workerReadyMs: number;
  rssAtReady: number;
  hwmAtReady: number;
  /** Largest VmRSS sampled during any export of this size. */
  maxRssDuringExport: number;
  /** The worker's VmHWM after its last trial: the process's peak over its whole life. */
  hwmAtEnd: number;
  /** VmHWM of the worker's helper children (tsx's esbuild service), summed. */
  helperHwm: number;
  /** Peaks of VmHWM no sample saw, from ready to the last trial's end (exports and the pauses between). */
  lifetimeTransients: RssSampler['transients'];
  startup: WorkerProcess['startup'];
  workerIdentity: string;
  profile: ProfileSummary | null;
  profileFile: string | null;
  /** --split-workers: the workflows-only worker beside the measured one, at ready and at its stop. */
  workflowWorker: { pid: number; atReady: MemStatus; atEnd: MemStatus | null } | null;
}

async function main() {
  const env = loadEnv();
  const machine = machineInfo();
  const keyring = keyringFromEnv(env);
  log(`machine: ${machine.nproc} cores, ${machine.memTotal}, ${machine.cpuModel}, node ${machine.node}`);

  const benchUrl = await ensureBenchDatabase(env);
  const pool = createPool(benchUrl, 4);
  // pg-copy-streams' COPY TO reads the socket through its stream interface: pg's own sockets.
  const pgSockets = createPool(benchUrl, 1, undefined, undefined, { reusedBufferReads: false });
  const s3 = adminS3(env);
  await ensureBucket(s3, BENCH_BUCKET);
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: '5 seconds' });
  await ensureNamespace(connection, BENCH_NAMESPACE);
  const client = new Client({ connection, namespace: BENCH_NAMESPACE });

  // The bench database is ours alone: integrations a crashed run left behind would only make the
  // worker create schedules for them on start.
  const stale = await pool.query('DELETE FROM integrations');
  if (stale.rowCount) log(`removed ${stale.rowCount} integration(s) left by an earlier run`);
  const leftovers = await emptyPrefix(s3, BENCH_BUCKET, 'bench/');
  if (leftovers) log(`removed ${leftovers} object(s) left by an earlier run`);

  const docker = opts.docker ? buildDockerLikeWorker(ROOT, log) : null;
  if (docker) log(`worker as the Dockerfile runs it: node ${docker.nodeFlags.join(' ')} …/main.js; ${Object.keys(docker.env).join(', ')}`);
  const entry = docker?.entry ?? (opts.compiled ? buildCompiledWorker(ROOT, log) : undefined);
  const results: SizeResult[] = [];
  try {
    for (const format of formats)
      for (const rows of sizes) results.push(await runSize(rows, format, { env, benchUrl, pool, pgSockets, s3, client, keyring, entry, docker }));
  } finally {
    await pool.end();
    await pgSockets.end();
    s3.destroy();
    await connection.close();
    // The build's links (node_modules, migrations, …) are removed, never followed.
    if (entry) rmSync(path.resolve(path.dirname(entry), '..', '..'), { recursive: true, force: true });
  }

  const report = renderReport(results, machine);
  console.log(`\n${report.text}`);
  if (opts['write-doc']) {
    writeDoc(report.markdown);
    log(`rewrote the results section of ${path.relative(ROOT, DOC)}`);
  }
}

interface Ctx {
  env: ReturnType<typeof loadEnv>;
  benchUrl: string;
  pool: Pool;
  /** pg's own sockets, for pg-copy-streams' baseline. */
  pgSockets: Pool;
  s3: ReturnType<typeof adminS3>;
  client: Client;
  keyring: ReturnType<typeof keyringFromEnv>;
  /** Compiled worker entry (--compiled, --docker), else the default tsx one. */
  entry: string | undefined;
  /** --docker: the Dockerfile's node flags and environment for the worker. */
  docker: DockerLikeWorker | null;
}

/** Ports free on 127.0.0.1 right now. */
async function runSize(rows: number, format: FileFormat, ctx: Ctx): Promise<SizeResult> {
  const { benchUrl, pool } = ctx;
  const appId = benchAppId(rows);
  log(`=== ${fmtInt(rows)} rows, format ${format}: app ${appId}, day ${day}`);

  const data = await ensureAppDay(pool, appId, day, rows, log);
  log(
    data.generated
      ? `generated ${fmtInt(rows)} rows in ${secs(data.generateMs)} (${fmtInt(rows / (data.generateMs / 1000))} rows/s)`
      : `app-day already holds ${fmtInt(rows)} rows: generation skipped`,
  );
  log(`VACUUM ANALYZE ua_events: ${secs(data.vacuumMs)}`);

  const tmp = path.join(os.tmpdir(), `ua-export-bench-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  const profDir = path.join(tmp, `prof-${format}-${rows}`);
  const taskQueue = `ua-export-bench-${randomUUID().slice(0, 8)}`;
  // The worker's metrics endpoints stay on (as in production) but on free ports, so a worker someone
  // else runs on this machine (npm start, tests) cannot make ours fail to bind.
  const [metricsPort, sdkMetricsPort] = await freePorts(2);
  const workerEnv: NodeJS.ProcessEnv = {
    ...process.env,
    WORKER_METRICS_PORT: String(metricsPort),
    TEMPORAL_SDK_METRICS_ADDRESS: `127.0.0.1:${sdkMetricsPort}`,
    ...(ctx.docker?.env ?? {}),
    // After the Dockerfile's ENV (which sets PART_SIZE_MIB): an explicit --part-size-mib wins.
    ...(partSize ? { PART_SIZE_MIB: String(partSize / MiB) } : {}),
    ...workerExtraEnv,
    DATABASE_URL: benchUrl,
    TEMPORAL_NAMESPACE: BENCH_NAMESPACE,
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_LEVEL: 'info',
  };
  delete workerEnv.UA_EXPORT_TEST_PART_DELAY_MS;
  delete workerEnv.NODE_OPTIONS;
  // The split deployment: the measured worker runs the activities; a second process, on its own
  // metrics ports, the workflows. Started first, so the export never waits for a workflow poller.
  let workflowWorker: WorkerProcess | null = null;
  if (splitWorkers) {
    const [wfMetricsPort, wfSdkMetricsPort] = await freePorts(2);
    log(`starting the workflows-only worker (WORKER_ROLE=workflows)`);
    workflowWorker = await spawnWorker({
      root: ROOT,
      env: {
        ...workerEnv,
        WORKER_ROLE: 'workflows',
        WORKER_METRICS_PORT: String(wfMetricsPort),
        TEMPORAL_SDK_METRICS_ADDRESS: `127.0.0.1:${wfSdkMetricsPort}`,
      },
      logFile: path.join(tmp, `worker-workflows-${format}-${rows}.log`),
      entry: ctx.entry,
      nodeFlags: [...(ctx.docker?.nodeFlags ?? []), ...workerNodeFlags],
    });
    liveWorkers.add(workflowWorker);
    log(`workflows-only worker ready: pid ${workflowWorker.pid}; RSS ${fmtMiB(workflowWorker.atReady.rss)}`);
    workerEnv.WORKER_ROLE = 'activities';
  }
  log(`starting worker (task queue ${taskQueue}, namespace ${BENCH_NAMESPACE}${splitWorkers ? ', WORKER_ROLE=activities' : ''})`);
  const worker = await spawnWorker({
    root: ROOT,
    env: workerEnv,
    logFile: path.join(tmp, `worker-${format}-${rows}.log`),
    entry: ctx.entry,
    nodeFlags: [...(ctx.docker?.nodeFlags ?? []), ...workerNodeFlags, ...(opts['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])],
  });
  liveWorkers.add(worker);
  log(`worker ready in ${secs(worker.readyMs)}: ${worker.identity}; RSS ${fmtMiB(worker.atReady.rss)}, VmHWM ${fmtMiB(worker.atReady.hwm)}`);

  const groupOf = (pid: number, comm: string): string => {
    if (pid === worker.pid) return 'worker (node)';
    if (pid === workflowWorker?.pid) return 'workflows-only worker (node)';
    if (pid === process.pid) return 'bench process';
    if (worker.helperPids.includes(pid)) return 'esbuild (tsx)';
    if (comm === 'postgres') return postgresGroup(pid, BENCH_DB);
    if (comm === 'weed') return 'seaweedfs';
    if (comm === 'temporal') return 'temporal server';
    return `other: ${comm}`;
  };
  let workflowWorkerMem: MemStatus | null = null;
  const helperRss = worker.helperPids.map((p) => new RssSampler(p));
  for (const h of helperRss) h.start(500);
  // The worker's memory over its whole life here, exports and the pauses between them: a peak that
  // no export's own samples saw is found, and placed in time, by this one.
  const lifetime = new RssSampler(worker.pid);
  lifetime.start(100);
  const trials: Trial[] = [];
  try {
    for (let i = 0; i < trialCount; i++) {
      if (trialCount > 1) log(`--- trial ${i + 1}/${trialCount}`);
      trials.push(await runTrial(rows, format, appId, taskQueue, worker, metricsPort!, groupOf, ctx));
    }
  } finally {
    for (const h of helperRss) h.stop();
    lifetime.stop();
    const exitInfo = await worker.stop();
    liveWorkers.delete(worker);
    log(`worker stopped (code ${exitInfo.code}, signal ${exitInfo.signal})`);
    if (workflowWorker) {
      workflowWorkerMem = memStatus(workflowWorker.pid);
      await workflowWorker.stop();
      liveWorkers.delete(workflowWorker);
    }
  }

  const best = trials.reduce((a, b) => (b.exportMs < a.exportMs ? b : a));
  const baseline = trials.flatMap((t) => t.baselineRuns).reduce((a, b) => (b.ms < a.ms ? b : a));
  let profile: ProfileSummary | null = null;
  let profileFile: string | null = null;
  if (opts['cpu-prof']) {
    // One profile per thread (CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile): thread 0 is the main one.
    // The worker's main thread only: not its other threads, nor a child it ran (which inherits --cpu-prof).
    const f = existsSync(profDir) ? readdirSync(profDir).find((n) => n.endsWith(`.${worker.pid}.0.001.cpuprofile`)) : undefined;
    if (f) {
      profileFile = path.join(profDir, f);
      profile = summarizeProfile(loadProfile(profileFile), ROOT, best.window);
    } else {
      log(`no .cpuprofile in ${profDir} (the worker must exit normally to write one)`);
    }
  }
  return {
    rows,
    format,
    appId,
    data,
    trials,
    baseline,
    best,
    partMiB: Number(workerEnv.PART_SIZE_MIB ?? 16),
    workerReadyMs: worker.readyMs,
    rssAtReady: worker.atReady.rss,
    hwmAtReady: worker.atReady.hwm,
    maxRssDuringExport: Math.max(...trials.map((t) => t.maxRss)),
    // The lifetime sampler's last read comes after the last trial's: a peak in between counts too.
    hwmAtEnd: Math.max(lifetime.lastHwm, ...trials.map((t) => t.hwmAfter)),
    helperHwm: helperRss.reduce((a, h) => a + h.lastHwm, 0),
    lifetimeTransients: lifetime.transients,
    startup: worker.startup,
    workerIdentity: worker.identity,
    profile,
    profileFile,
    workflowWorker: workflowWorker ? { pid: workflowWorker.pid, atReady: workflowWorker.atReady, atEnd: workflowWorkerMem } : null,
  };
}

async function runTrial(
  rows: number,
  format: FileFormat,
  appId: string,
  taskQueue: string,
  worker: WorkerProcess,
  metricsPort: number,
  groupOf: (pid: number, comm: string) => string,
  ctx: Ctx,
): Promise<Trial> {
  const { env, pool, pgSockets, s3, client, keyring } = ctx;
  let integrationId: string | null = null;
  const folder = `bench/${rows}-${Date.now()}`;
  try {
    const quiet = await waitForQuiet([process.pid, worker.pid, ...worker.helperPids]);
    log(
      `background load before measuring: ${quiet.cores.toFixed(2)} cores${quiet.waitedMs > 2_500 ? ` (waited ${secs(quiet.waitedMs)} for it to settle)` : ''}`,
    );

    // Baseline: the export's own query, right before the export, in each session with each reader.
    const settings = normalizeSettings({ includeEventsWithoutProfile: true });
    const sql = buildCopy({ table: 'ua_events', appId, day, settings, historicalCutoff: '2000-01-01T00:00:00Z', after: null });
    const baselineRuns: CopyRun[] = [];
    for (const session of BASELINE_SESSIONS) {
      for (const reader of BASELINE_READERS) {
        const bcpu = new CpuGroups(groupOf);
        bcpu.start(250);
        const r = await copyBaseline({ pool, pgSockets }, sql, session, reader);
        bcpu.stop();
        r.cpu = bcpu.seconds();
        baselineRuns.push(r);
        log(`baseline COPY (${session.name}, ${reader}): ${fmtMiB(r.bytes)} in ${secs(r.ms)} = ${(r.bytes / MB / (r.ms / 1000)).toFixed(1)} MB/s`);
      }
    }

    const integration = await createIntegration(pool, keyring, {
      appId,
      endpointUrl: env.LOCAL_S3_ENDPOINT,
      region: 'us-east-1',
      bucket: BENCH_BUCKET,
      folder,
      accessKeyId: env.LOCAL_S3_ACCESS_KEY_ID,
      secretAccessKey: env.LOCAL_S3_SECRET_ACCESS_KEY,
      forcePathStyle: true,
      settings: { includeEventsWithoutProfile: true },
      output: resolveOutputFormat({ format }).value,
      lookbackDays,
    });
    integrationId = integration.id;

    const rss = new RssSampler(worker.pid);
    const cpu = new CpuGroups(groupOf);
    const gcBefore = opts.gc ? await readGcTotals(metricsPort) : null;
    const threadsBefore = threadTicks(worker.pid);
    const statBefore = procStat(worker.pid);
    rss.start(100);
    cpu.start(250);
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const t0 = performance.now();
    let result;
    try {
      const handle = await client.workflow.start<typeof exportDayWorkflow>('exportDayWorkflow', {
        taskQueue,
        workflowId: exportWorkflowId(integration.id, day),
        args: [{ integrationId: integration.id, day, kind: 'manual', tables: ['ua_events'] }],
      });
      log(`started workflow ${handle.workflowId}`);
      result = { value: await handle.result(), handle };
    } finally {
      rss.stop();
      cpu.stop();
    }
    const exportMs = performance.now() - t0;
    const toUs = Number(process.hrtime.bigint() / 1000n);
    const threadsAfter = threadTicks(worker.pid);
    const statAfter = procStat(worker.pid);
    const gcAfter = opts.gc ? await readGcTotals(metricsPort) : null;
    const file = result.value.files[0]!;
    if (file.state !== 'exported') throw new Error(`ua_events file ended ${file.state}: ${file.error}`);
    log(
      `export done in ${secs(exportMs)}: ${fmtInt(file.rows ?? 0)} rows, ${fmtMiB(file.bytes ?? 0)}, ${file.parts} parts; worker max RSS ${fmtMiB(rss.maxRss)}, VmHWM ${fmtMiB(rss.lastHwm)}`,
    );

    // Per-activity timing from the workflow's history.
    const history = await result.handle.fetchHistory();
    const scheduled = new Map<string, { name: string; at: number; startedAt?: number }>();
    const activities: ActivityTiming[] = [];
    let partChecksum: PartChecksum | null = null;
    for (const e of history.events ?? []) {
      const id = String(e.eventId);
      if (e.activityTaskScheduledEventAttributes)
        scheduled.set(id, { name: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at: tsMs(e.eventTime) });
      if (e.activityTaskStartedEventAttributes) {
        const s = scheduled.get(String(e.activityTaskStartedEventAttributes.scheduledEventId));
        if (s) s.startedAt = tsMs(e.eventTime);
      }
      if (e.activityTaskCompletedEventAttributes) {
        const s = scheduled.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId));
        if (s) activities.push({ name: s.name, queueMs: (s.startedAt ?? s.at) - s.at, runMs: tsMs(e.eventTime) - (s.startedAt ?? s.at) });
        // startFile's result says how the parts were checksummed (src/s3/part-checksum.ts): the hashing floor depends on it.
        const data = e.activityTaskCompletedEventAttributes.result?.payloads?.[0]?.data;
        if (s?.name === 'startFile' && data) partChecksum = (JSON.parse(Buffer.from(data).toString('utf8')) as { checksum?: PartChecksum }).checksum ?? 'md5';
      }
    }
    const uploadPartsMs = activities.find((a) => a.name === 'uploadParts')?.runMs ?? NaN;

    // Verify what landed in S3 without holding it in memory.
    const keys = objectKeys(BENCH_BUCKET, folder, 'ua_events', day, format);
    const head = await s3.send(new HeadObjectCommand({ Bucket: keys.bucket, Key: keys.dataKey }));
    const streamed = await sha256OfObject(s3, keys.bucket, keys.dataKey, { gunzip: format === 'csv_gzip' });
    const manifestOut = await s3.send(new GetObjectCommand({ Bucket: keys.bucket, Key: keys.manifestKey }));
    const manifest = JSON.parse(await manifestOut.Body!.transformToString()) as {
      sha256: string;
      bytes: number;
      rows: number;
      parts: number;
      uncompressedBytes?: number;
      sourceFingerprint?: string | null;
    };
    // Issue 12: with lookback on, the manifest records the fingerprint taken in the COPY's snapshot.
    log(`lookbackDays ${lookbackDays}: manifest sourceFingerprint ${manifest.sourceFingerprint ?? 'null'}`);
    const notes: string[] = [];
    if (format === 'csv_gzip') {
      log(`csv_gzip: ${fmtMiB(streamed.bytes)} stored for ${fmtMiB(streamed.uncompressedBytes ?? 0)} of CSV, whose sha256 is ${streamed.uncompressedSha256}`);
      if (manifest.uncompressedBytes !== streamed.uncompressedBytes)
        notes.push(`manifest uncompressedBytes ${manifest.uncompressedBytes} != gunzipped ${streamed.uncompressedBytes}`);
    }
    if (head.ContentLength !== file.bytes) notes.push(`HEAD size ${head.ContentLength} != result bytes ${file.bytes}`);
    if (streamed.bytes !== file.bytes) notes.push(`streamed ${streamed.bytes} bytes != result bytes ${file.bytes}`);
    if (manifest.sha256 !== streamed.sha256) notes.push(`manifest sha256 ${manifest.sha256} != streamed ${streamed.sha256}`);
    if (file.sha256 !== streamed.sha256) notes.push(`result sha256 ${file.sha256} != streamed ${streamed.sha256}`);
    if (manifest.bytes !== file.bytes) notes.push(`manifest bytes ${manifest.bytes} != result bytes ${file.bytes}`);
    if (file.rows !== rows || manifest.rows !== rows) notes.push(`rows: result ${file.rows}, manifest ${manifest.rows}, expected ${rows}`);
    const verify = {
      headBytes: head.ContentLength ?? -1,
      streamedBytes: streamed.bytes,
      streamedSha256: streamed.sha256,
      uncompressedSha256: streamed.uncompressedSha256,
      uncompressedBytes: streamed.uncompressedBytes,
      manifestSha256: manifest.sha256,
      ok: notes.length === 0,
      notes,
    };
    log(
      verify.ok ? `verified: object is ${fmtInt(streamed.bytes)} bytes, sha256 ${streamed.sha256} matches the manifest` : `VERIFY FAILED: ${notes.join('; ')}`,
    );

    let timeline: string | null = null;
    if (opts.timeline) {
      const groups = ['worker (node)', 'postgres', 'seaweedfs', 'temporal server', 'bench process', 'other'];
      const head2 = `  t(s)  ${groups.map((g) => g.split(' ')[0]!.padStart(9)).join('')}   (cores used; ${os.availableParallelism()} available)`;
      const coresOf = (b: Map<string, number>, g: string) =>
        g === 'other' ? [...b].filter(([k]) => k.startsWith('other')).reduce((a, [, v]) => a + v, 0) : (b.get(g) ?? 0);
      timeline = [
        head2,
        ...cpu.buckets(1000).map((b) => `  ${String(b.startMs / 1000).padStart(4)}  ${groups.map((g) => coresOf(b.cores, g).toFixed(2).padStart(9)).join('')}`),
      ].join('\n');
    }

    return {
      baselineRuns,
      exportMs,
      uploadPartsMs,
      activities,
      fileBytes: file.bytes ?? 0,
      parts: file.parts ?? 0,
      resultRows: file.rows ?? 0,
      maxRss: rss.maxRss,
      hwmAfter: rss.lastHwm,
      rssSamples: rss.samples,
      rssTransients: rss.transients,
      cpu: cpu.seconds(),
      workerProcessCpu: ((statAfter?.ticks ?? NaN) - (statBefore?.ticks ?? NaN)) / CLK_TCK,
      workerProcessSys: ((statAfter?.sysTicks ?? NaN) - (statBefore?.sysTicks ?? NaN)) / CLK_TCK,
      partChecksum,
      hashingFloor: hashingFloorSeconds(file.bytes ?? 0, partChecksum ?? 'md5'),
      workerThreads: threadCpuDelta(worker.pid, threadsBefore, threadsAfter),
      gc: gcBefore && gcAfter ? gcDelta(gcBefore, gcAfter) : null,
      timeline,
      backgroundCoresBefore: quiet.cores,
      verify,
      window: { fromUs, toUs },
    };
  } finally {
    if (integrationId) await deleteIntegration(pool, integrationId).catch(() => undefined);
    if (!opts['keep-objects']) await emptyPrefix(s3, BENCH_BUCKET, `${folder}/`).catch(() => undefined);
  }
}

/**
 * CPU seconds this machine needs right now for the export's unavoidable hashing of `bytes`: one pass of
 * the part checksum (MD5, or CRC32 / SHA-256 where the provider checks it) and one SHA-256 pass for the
 * manifest, measured in this process. On a shared VM the same work costs more core-s
 * while neighbours load it, so the worker's CPU is also given as a multiple of this floor measured in
 * the same trial.
 */
function hashingFloorSeconds(bytes: number, partChecksum: PartChecksum): number {
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  const sample = 128 * 2 ** 20;
  const before = process.cpuUsage();
  const part = partHasher(partChecksum);
  const sha = createHash('sha256');
  for (let done = 0; done < sample; done += chunk.length) {
    part.update(chunk);
    sha.update(chunk);
  }
  part.digest();
  sha.digest();
  const used = process.cpuUsage(before);
  return ((used.user + used.system) / 1e6) * (bytes / sample);
}

function renderReport(results: SizeResult[], m: MachineInfo): { text: string; markdown: string } {
  const mbps = (bytes: number, ms: number) => bytes / MB / (ms / 1000);
  const cpuList = (cpu: { group: string; seconds: number }[]) =>
    cpu
      .filter((c) => c.seconds >= 0.05)
      .map((c) => `${c.group} ${c.seconds.toFixed(1)}`)
      .join(', ');
  const otherCpu = (cpu: { group: string; seconds: number }[]) => cpu.filter((c) => c.group.startsWith('other')).reduce((a, c) => a + c.seconds, 0);
  const rowsOut = results.map((r) => {
    const baseMBps = mbps(r.baseline.bytes, r.baseline.ms);
    const expMBps = mbps(r.best.fileBytes, r.best.exportMs);
    return {
      r,
      baseMBps,
      baseRowsPs: r.rows / (r.baseline.ms / 1000),
      expMBps,
      expRowsPs: r.best.resultRows / (r.best.exportMs / 1000),
      ratio: expMBps / baseMBps,
      timeRatio: r.baseline.ms / r.best.exportMs,
      // Every trial counts: a cheap fastest trial must not hide an expensive one.
      cpuPerMillion: cpuPerMillionRows(r.trials, r.rows),
      // The same without the first trial, where a fresh worker also compiles its hot code and grows its heaps.
      warmCpuPerMillion: r.trials.length > 1 ? cpuPerMillionRows(r.trials.slice(1), r.rows) : null,
      // What Postgres spent producing the same COPY stream in the fastest baseline run.
      copyPostgresCpu: (r.baseline.cpu ?? []).filter((c) => c.group.startsWith('postgres')).reduce((a, c) => a + c.seconds, 0),
    };
  });
  const header = [
    'format',
    'rows',
    'file',
    'COPY baseline',
    'baseline MB/s',
    'baseline rows/s',
    'export wall',
    'export rows/s',
    'export MB/s',
    'MB/s ratio',
    'time ratio',
    'uploadParts',
    'worker CPU / 1M rows',
    'RSS at ready',
    'max RSS in export',
    'VmHWM',
    'S3 verified',
  ];
  const cells = rowsOut.map((x) => [
    x.r.format,
    fmtInt(x.r.rows),
    fmtMiB(x.r.best.fileBytes),
    secs(x.r.baseline.ms),
    x.baseMBps.toFixed(1),
    fmtInt(x.baseRowsPs),
    secs(x.r.best.exportMs),
    fmtInt(x.expRowsPs),
    x.expMBps.toFixed(1),
    `${x.ratio.toFixed(2)}×`,
    `${x.timeRatio.toFixed(2)}×`,
    secs(x.r.best.uploadPartsMs),
    `${x.cpuPerMillion.toFixed(2)} core-s`,
    fmtMiB(x.r.rssAtReady),
    fmtMiB(x.r.maxRssDuringExport),
    fmtMiB(x.r.hwmAtEnd),
    x.r.trials.every((t) => t.verify.ok) ? 'yes' : 'NO',
  ]);
  const mdTable = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---:').join(' | ')} |`, ...cells.map((c) => `| ${c.join(' | ')} |`)].join('\n');
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const textTable = [header, ...cells].map((row) => row.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n');

  // Bars from the product spec.
  const bars: string[] = [];
  for (const x of rowsOut) {
    bars.push(
      x.r.format === 'csv'
        ? `${fmtInt(x.r.rows)} rows: export throughput ${x.ratio.toFixed(2)}× the COPY baseline in MB/s (bar ≥ ${BARS.ratio}×): ${x.ratio >= BARS.ratio ? 'PASS' : 'MISS'}`
        : `${fmtInt(x.r.rows)} rows, format ${x.r.format}: export throughput ${x.timeRatio.toFixed(2)}× the COPY baseline in rows/s (bar ≥ ${FORMAT_BARS[x.r.format]}×): ${x.timeRatio >= FORMAT_BARS[x.r.format] ? 'PASS' : 'MISS'}`,
    );
    bars.push(
      `${fmtInt(x.r.rows)} rows, ${x.r.format}: worker peak RSS (VmHWM) ${fmtMiB(x.r.hwmAtEnd)} (bar ≤ ${BARS.rssMiB} MiB): ${x.r.hwmAtEnd <= BARS.rssMiB * MiB ? 'PASS' : 'MISS'}; ` +
        `big-day target ≤ ${BARS.bigDayRssMiB} MiB: ${x.r.hwmAtEnd <= BARS.bigDayRssMiB * MiB ? 'PASS' : 'MISS'}`,
    );
    bars.push(
      `${fmtInt(x.r.rows)} rows, ${x.r.format}: worker process CPU (utime + stime of /proc/<pid>/stat, every thread) ${x.cpuPerMillion.toFixed(2)} core-s per 1M rows ` +
        `(${x.r.trials.map((t) => `${t.workerProcessCpu.toFixed(2)} core-s = ${(t.workerProcessCpu / t.hashingFloor).toFixed(2)}× the hashing floor measured after it`).join(', ')}; ${(x.cpuPerMillion / ((x.copyPostgresCpu / x.r.rows) * 1e6)).toFixed(2)}× what Postgres spent on the fastest COPY baseline) ` +
        `(target ≤ ${BARS.cpuPerMillion}): ${x.cpuPerMillion <= BARS.cpuPerMillion ? 'PASS' : 'MISS'}` +
        // The verdict stays on every trial; the warm figure is told apart, not substituted.
        (x.warmCpuPerMillion !== null
          ? `; a warm worker (${x.r.trials.length === 2 ? 'trial 2' : `trials 2–${x.r.trials.length}`}): ${x.warmCpuPerMillion.toFixed(2)} core-s per 1M rows`
          : ''),
    );
  }
  for (const f of formats) {
    const sorted = results.filter((r) => r.format === f).sort((a, b) => a.rows - b.rows);
    if (sorted.length < 2) continue;
    const lo = sorted[0]!;
    const hi = sorted[sorted.length - 1]!;
    const growth = (hi.hwmAtEnd - lo.hwmAtEnd) / lo.hwmAtEnd;
    const growthRss = (hi.maxRssDuringExport - lo.maxRssDuringExport) / lo.maxRssDuringExport;
    bars.push(
      `${f}: RSS flatness ${fmtInt(lo.rows)} → ${fmtInt(hi.rows)} rows: VmHWM ${fmtMiB(lo.hwmAtEnd)} → ${fmtMiB(hi.hwmAtEnd)} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%), ` +
        `max RSS during export ${fmtMiB(lo.maxRssDuringExport)} → ${fmtMiB(hi.maxRssDuringExport)} (${growthRss >= 0 ? '+' : ''}${(growthRss * 100).toFixed(1)}%) ` +
        `(flat = ≤ ${BARS.flatGrowth * 100}% growth): ${Math.max(growth, growthRss) <= BARS.flatGrowth ? 'PASS' : 'MISS'}`,
    );
  }

  const details: string[] = [];
  for (const x of rowsOut) {
    const r = x.r;
    details.push(
      `${r.format}, ${fmtInt(r.rows)} rows (app ${r.appId}, day ${day}, ${r.best.parts} parts of ${r.partMiB} MiB (the worker's PART_SIZE_MIB), ${r.trials.length} trial(s)):`,
    );
    details.push(
      `  data: ${r.data.generated ? `generated in ${secs(r.data.generateMs)}` : 'already present (generation skipped)'}; VACUUM ANALYZE ${secs(r.data.vacuumMs)}`,
    );
    details.push(
      `  worker: ready ${secs(r.workerReadyMs)} after spawn; ${r.workerIdentity}${r.workflowWorker ? '; WORKER_ROLE=activities (--split-workers)' : ''}`,
    );
    const wf = r.workflowWorker;
    if (wf) {
      details.push(
        `  workflows-only worker beside it (WORKER_ROLE=workflows, pid ${wf.pid}): RSS at ready ${fmtMiB(wf.atReady.rss)}, VmHWM at its stop ${wf.atEnd ? fmtMiB(wf.atEnd.hwm) : '(gone)'}; its CPU is in each trial's CPU line`,
      );
    }
    if (r.startup.children.length > 0) {
      details.push(
        `  start-up children of the worker: ${r.startup.children.map((c) => `pid ${c.pid} (${c.argv.slice(0, 80)}) peak RSS ${fmtMiB(c.peakRss)}`).join('; ')}; ` +
          `worker + children peak RSS together ${fmtMiB(r.startup.combinedPeakRss)} (sampled every 100 ms until ready)`,
      );
    }
    details.push(
      `  worker memory: RSS at ready ${fmtMiB(r.rssAtReady)} (VmHWM ${fmtMiB(r.hwmAtReady)}), max RSS during exports ${fmtMiB(r.maxRssDuringExport)}, VmHWM at end ${fmtMiB(r.hwmAtEnd)}${r.helperHwm ? `; tsx's esbuild child VmHWM ${fmtMiB(r.helperHwm)}` : ''}` +
        peaksBetweenSamples(r.lifetimeTransients, (p) => `${clock(p.wallFrom)} and ${clock(p.wallTo)}`),
    );
    r.trials.forEach((t, i) => {
      const core = ['worker (node)', 'postgres', 'seaweedfs'].reduce((a, g) => a + (t.cpu.find((c) => c.group === g)?.seconds ?? 0), 0);
      const bestBase = t.baselineRuns.reduce((a, b) => (b.ms < a.ms ? b : a));
      details.push(
        `  trial ${i + 1}${t === r.best ? ' (fastest export, in the table)' : ''}: background load before ${t.backgroundCoresBefore.toFixed(2)} cores`,
      );
      details.push(
        `    baseline COPY: ${t.baselineRuns.map((b) => `${secs(b.ms)} (${b.session}, ${b.reader})`).join(', ')} for ${fmtMiB(bestBase.bytes)} (includes the 2 key columns the export strips; no header); fastest: ${bestBase.session}, ${bestBase.reader}`,
      );
      for (const b of t.baselineRuns) details.push(`      CPU in the ${b.session}, ${b.reader} run: ${cpuList(b.cpu ?? [])}`);
      details.push(
        `    export: ${secs(t.exportMs)} wall, ${mbps(t.fileBytes, t.exportMs).toFixed(1)} MB/s, ${(mbps(t.fileBytes, t.exportMs) / mbps(bestBase.bytes, bestBase.ms)).toFixed(2)}× this trial's baseline; uploadParts ${secs(t.uploadPartsMs)} (${(bestBase.ms / t.uploadPartsMs).toFixed(2)}× baseline time)`,
      );
      details.push(`    activities (run + queued): ${t.activities.map((a) => `${a.name} ${secs(a.runMs)} + ${secs(a.queueMs)}`).join(', ')}`);
      details.push(
        `    CPU core-s during the export (${((t.exportMs / 1000) * m.nproc).toFixed(1)} available): ${cpuList(t.cpu)}${otherCpu(t.cpu) > 0.05 ? `  [all "other": ${otherCpu(t.cpu).toFixed(1)}]` : ''}`,
      );
      details.push(
        `    worker + postgres + seaweedfs: ${core.toFixed(1)} core-s, i.e. ≥ ${(core / m.nproc).toFixed(2)} s of wall on ${m.nproc} cores even with nothing else running`,
      );
      details.push(
        `    worker process CPU (/proc/<pid>/stat, every thread): ${t.workerProcessCpu.toFixed(2)} core-s, ${t.workerProcessSys.toFixed(2)} of it in the kernel (parts checksummed with ${t.partChecksum ?? 'md5 (one request)'}; ${t.partChecksum === 'sha256' ? 'SHA-256 twice' : t.partChecksum === 'crc32' ? 'CRC32 + SHA-256' : 'MD5 + SHA-256'} over the file in the bench process just after: ${t.hashingFloor.toFixed(2)} core-s); by thread: ${t.workerThreads.map((w) => `${w.name}${w.threads > 1 ? ` ×${w.threads}` : ''} ${w.seconds.toFixed(2)}`).join(', ')}`,
        ...(opts.gc
          ? [
              `    worker GC pauses on its main thread (its nodejs_gc_duration_seconds): ${t.gc ? formatGcDelta(t.gc) : 'not read (metrics endpoint did not answer)'}`,
            ]
          : []),
      );
      details.push(
        `    worker memory: max RSS ${fmtMiB(t.maxRss)} (${t.rssSamples} samples @100 ms), VmHWM after ${fmtMiB(t.hwmAfter)}` +
          peaksBetweenSamples(t.rssTransients, (p) => `${secs(p.from)} and ${secs(p.to)} into the export`),
      );
      details.push(
        `    S3: HEAD ${fmtInt(t.verify.headBytes)} bytes, streamed ${fmtInt(t.verify.streamedBytes)} bytes, sha256 ${t.verify.streamedSha256} ${t.verify.ok ? '= manifest = result' : `MISMATCH: ${t.verify.notes.join('; ')}`}` +
          (t.verify.uncompressedSha256 ? `; gunzipped: ${fmtInt(t.verify.uncompressedBytes ?? 0)} bytes of CSV, sha256 ${t.verify.uncompressedSha256}` : ''),
      );
      if (t.timeline) details.push('    timeline:', ...t.timeline.split('\n').map((l) => `  ${l}`));
    });
    if (r.profile) {
      details.push(`  CPU profile of the fastest trial ${r.profileFile}:`);
      details.push(
        ...formatProfileSummary(r.profile, 15)
          .split('\n')
          .map((l) => `  ${l}`),
      );
    }
  }

  const machineLine = `${m.nproc} cores (nproc), ${m.memTotal} RAM, CPU "${m.cpuModel}", ${m.kernel}, Node ${m.node}`;
  const code = codeVersion();
  const command = `npm run bench -- --rows ${sizes.join(',')}${formats.join(',') !== 'csv' ? ` --format ${formats.join(',')}` : ''}${lookbackDays !== 3 ? ` --lookback-days ${lookbackDays}` : ''}${trialCount > 1 ? ` --trials ${trialCount}` : ''}${partSize ? ` --part-size-mib ${partSize / MiB}` : ''}${opts['cpu-prof'] ? ' --cpu-prof' : ''}${opts.gc ? ' --gc' : ''}${opts.timeline ? ' --timeline' : ''}${splitWorkers ? ' --split-workers' : ''}${opts.docker ? ' (--docker)' : opts.compiled ? ' --compiled' : ''}${workerNodeFlags.length ? ` --worker-node-flags "${workerNodeFlags.join(' ')}"` : ''}${opts['worker-env'] ? ` --worker-env ${opts['worker-env']}` : ''}`;
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const text = [`Export benchmark, ${date}: ${command}`, `machine: ${machineLine}`, `code: ${code}`, '', textTable, '', ...bars, '', ...details].join('\n');
  const markdown = [
    `Run ${date}, machine: ${machineLine}; code: ${code}.`,
    '',
    '```',
    command,
    '```',
    '',
    mdTable,
    '',
    'MB = 10^6 bytes. Baseline MB/s counts the COPY stream (with the two key columns); export MB/s counts the CSV file; "time ratio" is baseline time ÷ export time for the same rows.',
    '',
    'Against the bars:',
    '',
    ...bars.map((b) => `- ${b}`),
    '',
    'Details as printed by the run:',
    '',
    '```',
    ...details,
    '```',
  ].join('\n');
  return { text, markdown };
}

/** The commit measured, and whether the exporting code had uncommitted changes. */
function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'activities', 'workflows'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `commit ${head} with uncommitted changes in src/, activities/ or workflows/` : `commit ${head}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function writeDoc(section: string): void {
  const block = `${DOC_START}\n${section}\n${DOC_END}`;
  let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n';
  const a = doc.indexOf(DOC_START);
  const b = doc.indexOf(DOC_END);
  if (a >= 0 && b > a) doc = `${doc.slice(0, a)}${block}${doc.slice(b + DOC_END.length)}`;
  else doc = `${doc.trimEnd()}\n\n## Latest results\n\n${block}\n`;
  mkdirSync(path.dirname(DOC), { recursive: true });
  writeFileSync(DOC, doc);
}

/** Workers this process started: stopped (by their own pid) if the bench is interrupted. */
const liveWorkers = new Set<WorkerProcess>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping ${liveWorkers.size} worker(s) and exiting`);
    void Promise.allSettled([...liveWorkers].map((w) => w.stop())).then(() => process.exit(130));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
