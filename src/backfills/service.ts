import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { dayCount } from '../export/days.js';
import { TABLES, type TableName } from '../export/tables.js';
import { backfillWorkflowId, isBackfillOf } from '../temporal/ids.js';
import { workflowUiUrl } from '../temporal/links.js';
import { backfillsQuery } from '../temporal/queries.js';
import { SA_INTEGRATION_ID, SA_RUN_KIND } from '../temporal/search-attributes.js';
import { closedBackfillStatus } from '../temporal/status.js';
import { backfillProgressQuery, backfillWorkflow, type BackfillProgress, type BackfillStatus } from '../../workflows/backfill.js';

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
    args: [{ integrationId: req.integrationId, from: req.from, to: req.to, tables, concurrency: req.concurrency }],
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

/** Progress read live from the workflow (query), with the close time and status Temporal records. */
export async function getBackfill(
  client: Client,
  integrationId: string,
  backfillId: string,
): Promise<BackfillProgress & { workflowId: string; runId: string }> {
  assertBackfillOf(integrationId, backfillId);
  const handle = client.workflow.getHandle(backfillId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new BackfillNotFound(`backfill ${backfillId} does not exist`);
    throw err;
  }
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
