// @temporalio/proto is CommonJS: Node's ESM loader (tsx, compiled JS) sees only its default export.
import proto, { type google, type temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';

const { TaskQueueType } = proto.temporal.api.enums.v1;

/**
 * Whether any worker polls the task queue, from Temporal's DescribeTaskQueue (the server's own record
 * of recent pollers). Read by the backfill route (so it skips a progress query nobody can answer), the
 * calendar and the API's /metrics. No worker is needed to answer it.
 */

export type PollerType = 'workflow' | 'activity';

export interface WorkerStatus {
  taskQueue: string;
  /** A worker polled the queue (workflow or activity tasks) within POLLER_RECENT_MS. */
  polling: boolean;
  /** The newest poll Temporal remembers, or null when it remembers none. */
  lastAccessTime: string | null;
  pollers: Record<PollerType, number>;
}

/**
 * A live worker keeps a long poll open and re-polls when it returns, so its last access is at most one
 * long-poll interval old; the server forgets pollers only minutes after they stop, so a poller older
 * than this window is one that stopped.
 */
export const POLLER_RECENT_MS = 90_000;

const TYPES: [PollerType, temporal.api.enums.v1.TaskQueueType][] = [
  ['workflow', TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
  ['activity', TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY],
];

function millis(ts: google.protobuf.ITimestamp | null | undefined): number | null {
  if (!ts) return null;
  return Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

export async function describeWorkers(client: Client, taskQueue: string, now = Date.now()): Promise<WorkerStatus> {
  const pollers: Record<PollerType, number> = { workflow: 0, activity: 0 };
  let newest: number | null = null;
  for (const [type, taskQueueType] of TYPES) {
    const res = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType });
    for (const p of res.pollers ?? []) {
      const at = millis(p.lastAccessTime);
      if (at === null) continue;
      if (newest === null || at > newest) newest = at;
      if (now - at <= POLLER_RECENT_MS) pollers[type]++;
    }
  }
  return {
    taskQueue,
    polling: pollers.workflow + pollers.activity > 0,
    lastAccessTime: newest === null ? null : new Date(newest).toISOString(),
    pollers,
  };
}

/**
 * The same, cached for `ttlMs` and shared by concurrent callers, so a dashboard refreshing the
 * calendar and a Prometheus scrape do not each ask Temporal.
 */
export function cachedWorkerStatus(client: Client, taskQueue: string, ttlMs = 5_000): { get(): Promise<WorkerStatus>; invalidate(): void } {
  let cached: { at: number; value: Promise<WorkerStatus> } | null = null;
  return {
    get() {
      const now = Date.now();
      if (cached && now - cached.at < ttlMs) return cached.value;
      const value = describeWorkers(client, taskQueue, now);
      cached = { at: now, value };
      // A failed read is not kept: the next caller asks again.
      value.catch(() => {
        if (cached?.value === value) cached = null;
      });
      return value;
    },
    invalidate() {
      cached = null;
    },
  };
}
