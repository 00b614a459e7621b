import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { PartChecksums, type PartChecksumSetting } from '../s3/part-checksum.js';
import { DEFAULT_MAX_CACHED_WORKFLOWS, DEFAULT_MAX_CONCURRENT_ACTIVITIES, partSizeBytes, type Env, type WorkerRole } from '../config/env.js';
import type { Keyring } from '../crypto/secrets.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logging.js';
import { activityMetricsInterceptor } from './interceptors.js';
import { schedulePausedCheck, schedulePauser } from './schedule-pauser.js';
import { workflowRunningVia } from './workflow-liveness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Workflow code is bundled by the worker from source; both the .ts (dev) and built .js layouts work. */
export const WORKFLOWS_PATH = (() => {
  const require = createRequire(import.meta.url);
  for (const candidate of ['../../workflows/index.ts', '../../workflows/index.js']) {
    try {
      return require.resolve(path.resolve(here, candidate));
    } catch {
      /* try the next layout */
    }
  }
  throw new Error('workflows/index not found');
})();

/** What a worker process takes from its environment: the worker process and npm start's worker alike. */
export function workerSettingsFromEnv(
  env: Pick<
    Env,
    | 'TEMPORAL_NAMESPACE'
    | 'TEMPORAL_TASK_QUEUE'
    | 'PART_SIZE_MIB'
    | 'UPLOAD_PARTS_IN_FLIGHT'
    | 'WORKER_PART_BUFFERS'
    | 'WORKER_MAX_CACHED_WORKFLOWS'
    | 'WORKER_MAX_CONCURRENT_ACTIVITIES'
    | 'PART_CHECKSUM'
  >,
): Pick<
  ExportWorkerOptions,
  'namespace' | 'taskQueue' | 'partSize' | 'partsInFlight' | 'partBuffers' | 'maxCachedWorkflows' | 'maxConcurrentActivities' | 'partChecksum'
> {
  return {
    partChecksum: env.PART_CHECKSUM,
    maxConcurrentActivities: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    partSize: partSizeBytes(env),
    partsInFlight: env.UPLOAD_PARTS_IN_FLIGHT,
    ...(env.WORKER_PART_BUFFERS !== undefined ? { partBuffers: env.WORKER_PART_BUFFERS } : {}),
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
  };
}

export interface ExportWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  pool: Pool;
  keyring: Keyring;
  /** PART_CHECKSUM: how multipart parts prove their bytes (src/s3/part-checksum.ts); default 'auto'. */
  partChecksum?: PartChecksumSetting;
  /** Bytes per multipart part: PART_SIZE_MIB of the worker's environment. */
  partSize: number;
  /** UPLOAD_PARTS_IN_FLIGHT of the worker's environment; the activity's default when unset. */
  partsInFlight?: number;
  /** WORKER_PART_BUFFERS: part buffers for the whole process (src/export/part-budget.ts); derived from partSize when unset. */
  partBuffers?: number;
  partDelayMs?: number;
  /** Test-only (issue 12): see ActivityDeps.beforeFingerprint. */
  beforeFingerprint?: () => Promise<void>;
  log?: Logger;
  /** Lets the orphaned-upload sweep ask whether a day's export is running; without it, age alone decides. */
  client?: Client;
  /** A prebuilt bundle (see prebuildWorkflowBundle); without it the worker bundles in-process. */
  workflowBundlePath?: string;
  extra?: Partial<WorkerOptions>;
  /** WORKER_MAX_CONCURRENT_ACTIVITIES of the worker's environment (see sourceProtectionOptions). */
  maxConcurrentActivities?: number;
  /** WORKER_MAX_CACHED_WORKFLOWS of the worker's environment (see workflowCacheOptions); its default when unset. */
  maxCachedWorkflows?: number;
  /** TEMPORAL_UI_URL: links in alert payloads (issue 12). */
  temporalUiUrl?: string;
  /** WORKER_ROLE: which kinds of task this worker polls (pollsWorkflows, pollsActivities); both when unset. */
  role?: WorkerRole;
}

/**
 * How many workflow executions the worker keeps in memory between their tasks. The cache holds running
 * executions only (a closed one leaves it), so its size follows how many run at once: every
 * integration's daily export when the schedules fire together, plus each backfill's days in flight.
 * The SDK sizes its default from the V8 heap limit, which follows the host's memory rather than the
 * container's, so on a large host nothing bounds it below the worker's memory bar. An execution evicted
 * from the cache is replayed from its history on its next task: a bound costs a short replay, never
 * correctness. Sizing and what it did and did not change: docs/BENCHMARKS.md, "Soak".
 */
export function workflowCacheOptions(maxCachedWorkflows: number): Pick<WorkerOptions, 'maxCachedWorkflows' | 'maxConcurrentWorkflowTaskExecutions'> {
  // 0 turns the cache off. Otherwise the SDK requires maxConcurrentWorkflowTaskExecutions to fit in
  // the cache (its own default is 40).
  return maxCachedWorkflows === 0 ? { maxCachedWorkflows } : { maxCachedWorkflows, maxConcurrentWorkflowTaskExecutions: Math.min(40, maxCachedWorkflows) };
}

// --- The source's protection (issue 11, the 04:00 herd) ---------------------------------------------
/**
 * The global bound on exports reading Postgres, per worker. Every export activity holds at most one
 * COPY, and part buffers, while it runs, so the activity slots bound both: a thousand schedules firing
 * together never open more than this many COPYs per worker. Activities past the bound are not failed:
 * they wait on the task queue, shown as scheduled activities in the Temporal UI and as
 * temporal_activity_schedule_to_start_latency and temporal_worker_task_slots_available on /metrics.
 * Sizing against Postgres and memory: docs/SCALING.md.
 */
export function sourceProtectionOptions(maxConcurrentActivities: number): Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions'> {
  return { maxConcurrentActivityTaskExecutions: maxConcurrentActivities };
}
// ------------------------------------------------------------------------------------------------------

/**
 * Builds the workflow bundle in a child process and returns its path. Bundling in-process leaves
 * webpack's memory in the worker for good (docs/BENCHMARKS.md); a child frees it when it exits.
 */
export function prebuildWorkflowBundle(outPath: string): string {
  const entry = path.resolve(here, fileURLToPath(import.meta.url).endsWith('.ts') ? 'bundle-workflows.ts' : 'bundle-workflows.js');
  mkdirSync(path.dirname(outPath), { recursive: true });
  execFileSync(process.execPath, [...process.execArgv, entry, outPath], { stdio: ['ignore', 'ignore', 'inherit'] });
  return outPath;
}

// --- Workflow and activity workers apart (issue 11, more than one box) --------------------------------
/**
 * A worker of role `activities` registers no workflow code, so the SDK starts no workflow thread (its
 * isolate, the bundle and the workflow cache): the process that runs the big exports carries none of
 * that memory. One of role `workflows` does not poll for activity tasks, but keeps the activities
 * registered, because the workflows run their short bookkeeping steps (the plan, the status, the
 * lookback check) as local activities, in the process of the workflow itself. Both poll the same task
 * queue, so a deployment may run any mix of them with `all` workers; every workflow task needs some
 * worker of role `all` or `workflows`, every activity one of role `all` or `activities`.
 * Measured: docs/BENCHMARKS.md, "Workflow and activity workers apart".
 */
export function pollsWorkflows(role: WorkerRole): boolean {
  return role !== 'activities';
}

export function pollsActivities(role: WorkerRole): boolean {
  return role !== 'workflows';
}
// ------------------------------------------------------------------------------------------------------

export async function createExportWorker(opts: ExportWorkerOptions): Promise<Worker> {
  const role = opts.role ?? 'all';
  const workflowCode = opts.workflowBundlePath ? { workflowBundle: { codePath: opts.workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH };
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(pollsWorkflows(role) ? workflowCode : {}),
    activities: createActivities({
      pool: opts.pool,
      keyring: opts.keyring,
      partSize: opts.partSize,
      partsInFlight: opts.partsInFlight,
      partBuffers: opts.partBuffers,
      partChecksums: new PartChecksums(opts.partChecksum ?? 'auto'),
      partDelayMs: opts.partDelayMs,
      ...(opts.beforeFingerprint ? { beforeFingerprint: opts.beforeFingerprint } : {}),
      log: opts.log,
      ...(opts.client ? { workflowRunning: workflowRunningVia(opts.client) } : {}),
      // Issue 12: auto-pause changes the schedule itself (the repair of lost starts reads whether it is
      // paused); alerts link into the Temporal UI.
      ...(opts.client ? { pauseSchedule: schedulePauser(opts.client), schedulePaused: schedulePausedCheck(opts.client) } : {}),
      ...(opts.temporalUiUrl ? { temporalUi: { baseUrl: opts.temporalUiUrl, namespace: opts.namespace } } : {}),
    }),
    // Not even eagerly: an activity a workflow task schedules would otherwise be offered to this worker.
    ...(pollsActivities(role) ? {} : { enableNonLocalActivities: false, maxEagerActivityReservationsPerWorkflowTask: 0 }),
    ...sourceProtectionOptions(opts.maxConcurrentActivities ?? DEFAULT_MAX_CONCURRENT_ACTIVITIES),
    // Checkpoints ride on heartbeats, and a killed attempt resumes from the last one the server got:
    // the throttle is the bound on parts rebuilt after a kill (reported as parts rebuilt). A heartbeat
    // is one small RPC per running upload, so one a second costs the server little; the parts rebuilt
    // per kill under this bound are in docs/RELIABILITY.md.
    maxHeartbeatThrottleInterval: '1 second',
    // Retries in the metrics: one interceptor counts every activity's attempts (activity-metrics.ts).
    interceptors: { activity: [activityMetricsInterceptor] },
    ...workflowCacheOptions(opts.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS),
    ...opts.extra,
  });
}
