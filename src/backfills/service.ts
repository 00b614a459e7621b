import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { dayCount } from '../export/days.js';
import { TABLES, type TableName } from '../export/tables.js';
import { backfillWorkflowId, isBackfillOf } from '../temporal/ids.js';
import { workflowUiUrl } from '../temporal/links.js';
import { backfillsQuery } from '../temporal/queries.js';
import { SA_INTEGRATION_ID, SA_RUN_KIND } from '../temporal/search-attributes.js';
import { closedBackfillStatus } from '../temporal/status.js';
import {
  backfillProgressQuery,
  backfillWorkflow,
  pauseBackfillSignal,
  resumeBackfillSignal,
  type BackfillInput,
  type BackfillProgress,
  type BackfillStatus,
} from '../../workflows/backfill.js';
import type { WorkerStatus } from '../api/lib/task-queue-pollers.js';
import type { Pool } from '../db/pool.js';
import { backfillProgressFromLedger } from '../ledger/backfill-progress.js';

/** Starting, reading and cancelling backfills: shared by the HTTP API, the CLI and `npm start`. */

export interface StartBackfill {
  integrationId: string;
  from: string;
  to: string;
  tables?: TableName[];
  concurrency: number;
  taskQueue: string;
  uiUrl: string;
  namespace: string;
  /**
   * The integration has alerts configured (`integration.alerts !== null`): the backfill then raises
   * `backfill.completed` when it ends. Absent or false: no alert, and no alert workflow.
   */
  alertsConfigured?: boolean;
}

export interface BackfillHandleInfo {
  backfillId: string;
  workflowId: string;
  runId: string;
  status: BackfillStatus;
  totalDays: number;
  uiUrl: string;
}

const tablesKey = (tables: readonly TableName[]) => (tables.length === TABLES.length ? 'all' : [...tables].sort().join('+'));

/** Same range and tables while one runs → the running one (USE_EXISTING); after it closed → a new run. */
export async function startBackfill(client: Client, req: StartBackfill): Promise<BackfillHandleInfo> {
  const tables = req.tables && req.tables.length > 0 ? [...new Set(req.tables)] : [...TABLES];
  const workflowId = backfillWorkflowId(req.integrationId, req.from, req.to, tablesKey(tables));
  const handle = await client.workflow.start(backfillWorkflow, {
    taskQueue: req.taskQueue,
    workflowId,
    args: [
      { integrationId: req.integrationId, from: req.from, to: req.to, tables, concurrency: req.concurrency, alertsConfigured: req.alertsConfigured === true },
    ],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [
      { key: SA_INTEGRATION_ID, value: req.integrationId },
      { key: SA_RUN_KIND, value: 'backfill' },
    ],
    staticSummary: `Backfill ${req.from} → ${req.to} (${tables.join(', ')}) for integration ${req.integrationId}`,
    staticDetails: `Exports ${dayCount(req.from, req.to)} day(s), ${req.concurrency} at a time, each as its own per-day export workflow.`,
  });
  const runId = handle.firstExecutionRunId;
  return {
    backfillId: workflowId,
    workflowId,
    runId,
    status: 'running',
    totalDays: dayCount(req.from, req.to),
    uiUrl: workflowUiUrl(req.uiUrl, req.namespace, workflowId),
  };
}

export class BackfillNotFound extends Error {
  override name = 'BackfillNotFound';
}

/** Refuses an id that is not a backfill of this integration before Temporal is asked. */
export function assertBackfillOf(integrationId: string, backfillId: string): void {
  if (!isBackfillOf(integrationId, backfillId)) throw new BackfillNotFound(`backfill ${backfillId} does not exist for integration ${integrationId}`);
}

export type ProgressSource = 'workflow' | 'result' | 'ledger';

export interface BackfillRead extends Omit<BackfillProgress, 'paused'> {
  /** null when the progress comes from the ledger: only the workflow knows whether it is paused. */
  paused: boolean | null;
  workflowId: string;
  runId: string;
  /** Where the progress figures come from: the live query, the closed workflow's result, or the ledger. */
  progressSource: ProgressSource;
  /** Whether a worker polls the queue (and so can answer the query and make progress). */
  worker: WorkerStatus;
}

/** The backfill's handle and what Temporal records of it; an id of another integration or none is not found. */
async function describeBackfill(client: Client, integrationId: string, backfillId: string) {
  assertBackfillOf(integrationId, backfillId);
  const handle = client.workflow.getHandle(backfillId);
  try {
    return { handle, description: await handle.describe() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new BackfillNotFound(`backfill ${backfillId} does not exist`);
    throw err;
  }
}

export interface ReadBackfillDeps {
  client: Client;
  pool: Pool;
  /** Who polls the task queue; cached by the caller. */
  workers: () => Promise<WorkerStatus>;
  /** Deadline of the progress query: a worker that died since its last poll leaves the query hanging. */
  queryTimeoutMs: number;
}

/**
 * A backfill's status from Temporal's record of it (describe), and its progress from the best source
 * that needs no waiting: the live query when a worker polls, the result once it completed, else the
 * ledger (every attempt of every day is an export_runs row). Never waits on a worker that is not there.
 */
export async function readBackfill(deps: ReadBackfillDeps, integrationId: string, backfillId: string): Promise<BackfillRead> {
  const { client } = deps;
  const { handle, description } = await describeBackfill(client, integrationId, backfillId);
  const closed = description.closeTime !== undefined;
  const finishedAt = description.closeTime ? description.closeTime.toISOString() : null;
  const closedStatus: BackfillStatus | null = closedBackfillStatus(description.status.name);
  let worker = await deps.workers();
  const base = { workflowId: backfillId, runId: description.runId, worker };

  // A completed workflow's result is in its history: no worker needed to read it.
  if (description.status.name === 'COMPLETED') {
    const result = await client.workflow
      .getHandle<typeof backfillWorkflow>(backfillId, description.runId)
      .result()
      .catch(() => null);
    if (result) return { ...result, finishedAt, inProgressDays: [], paused: false, ...base, progressSource: 'result' };
  }
  if (worker.polling) {
    try {
      const progress = await client.withDeadline(Date.now() + deps.queryTimeoutMs, () => handle.query(backfillProgressQuery));
      return {
        ...progress,
        status: closedStatus ?? progress.status,
        inProgressDays: closed ? [] : progress.inProgressDays,
        // A workflow continued from before pause existed carries no `paused`.
        paused: closed ? false : (progress.paused as boolean | undefined) === true,
        finishedAt,
        ...base,
        progressSource: 'workflow',
      };
    } catch {
      // The server saw a poller recently but none answered (FAILED_PRECONDITION "no poller seen", or the
      // deadline): the worker is gone since its last poll. Say so and fall back to the ledger.
      worker = { ...worker, polling: false };
    }
  }
  const input = await backfillInput(client, backfillId, description.runId);
  const since = new Date(input.carried?.progress.startedAt ?? description.startTime.toISOString());
  const fromLedger = await backfillProgressFromLedger(deps.pool, { integrationId, from: input.from, to: input.to, tables: input.tables, since });
  const totalDays = dayCount(input.from, input.to);
  const status: BackfillStatus = !closed ? 'running' : (closedStatus ?? (fromLedger.failedDays.length > 0 ? 'completed_with_failures' : 'completed'));
  return {
    status,
    integrationId,
    from: input.from,
    to: input.to,
    tables: input.tables,
    concurrency: input.concurrency,
    totalDays,
    ...fromLedger,
    inProgressDays: closed ? [] : fromLedger.inProgressDays,
    paused: closed ? false : null,
    startedAt: since.toISOString(),
    finishedAt,
    error: null,
    ...base,
    worker,
    progressSource: 'ledger',
  };
}

/** The run's input, from the first event of its history: range, tables, concurrency (no worker needed). */
async function backfillInput(client: Client, workflowId: string, runId: string): Promise<BackfillInput> {
  const res = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  let payloads = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const converter = client.workflow.options.loadedDataConverter;
  for (const codec of [...converter.payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  if (!payloads[0]) throw new Error(`backfill ${workflowId} has no input in its history`);
  return converter.payloadConverter.fromPayload<BackfillInput>(payloads[0]);
}

/**
 * Progress read live from the workflow (query), with the close time and status Temporal records: for
 * a caller that runs its own worker (npm start). The API uses readBackfill, which never waits on one.
 */
export async function getBackfill(
  client: Client,
  integrationId: string,
  backfillId: string,
): Promise<BackfillProgress & { workflowId: string; runId: string }> {
  const { handle, description } = await describeBackfill(client, integrationId, backfillId);
  const progress = await handle.query(backfillProgressQuery);
  const closedStatus: BackfillStatus | null = closedBackfillStatus(description.status.name);
  return {
    ...progress,
    status: closedStatus ?? progress.status,
    inProgressDays: description.closeTime ? [] : progress.inProgressDays,
    finishedAt: description.closeTime ? description.closeTime.toISOString() : null,
    workflowId: backfillId,
    runId: description.runId,
  };
}

export async function listBackfills(
  client: Client,
  integrationId: string,
  limit = 20,
): Promise<{ backfillId: string; runId: string; status: string; startedAt: string; finishedAt: string | null }[]> {
  const out = [];
  for await (const wf of client.workflow.list({ query: backfillsQuery(integrationId), pageSize: limit })) {
    out.push({
      backfillId: wf.workflowId,
      runId: wf.runId,
      status: wf.status.name,
      startedAt: wf.startTime.toISOString(),
      finishedAt: wf.closeTime ? wf.closeTime.toISOString() : null,
    });
    if (out.length >= limit) break;
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

export async function cancelBackfill(client: Client, integrationId: string, backfillId: string): Promise<void> {
  assertBackfillOf(integrationId, backfillId);
  try {
    await client.workflow.getHandle(backfillId).cancel();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new BackfillNotFound(`backfill ${backfillId} does not exist`);
    throw err;
  }
}

export class BackfillClosed extends Error {
  override name = 'BackfillClosed';
}

/**
 * Pauses or resumes a running backfill: a signal, recorded in the workflow's history at once (so this
 * answers even while no worker polls) and applied when the workflow next runs. Pausing starts no new
 * day and keeps the backfill's place; days already running finish. Both are idempotent. A backfill that
 * has closed cannot be paused or resumed (BackfillClosed, a 409).
 */
export async function setBackfillPaused(client: Client, integrationId: string, backfillId: string, paused: boolean): Promise<{ runId: string }> {
  const { handle, description } = await describeBackfill(client, integrationId, backfillId);
  if (description.closeTime !== undefined) {
    const status = closedBackfillStatus(description.status.name) ?? description.status.name.toLowerCase();
    throw new BackfillClosed(`backfill ${backfillId} already finished (${status}): there is nothing to ${paused ? 'pause' : 'resume'}`);
  }
  try {
    await handle.signal(paused ? pauseBackfillSignal : resumeBackfillSignal);
  } catch (err) {
    // Closed between the describe and the signal.
    if (err instanceof WorkflowNotFoundError) throw new BackfillClosed(`backfill ${backfillId} finished before it could be ${paused ? 'paused' : 'resumed'}`);
    throw err;
  }
  return { runId: description.runId };
}
