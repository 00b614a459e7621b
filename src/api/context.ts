import type { Client } from '@temporalio/client';
import type { Env } from '../config/env.js';
import type { Keyring } from '../crypto/secrets.js';
import type { Pool } from '../db/pool.js';
import type { EndpointPolicy } from '../integrations/validation.js';
import type { Logger } from '../logging.js';
import type { ScheduleSettings } from '../temporal/schedules.js';
import { withTemporalDeadline } from '../temporal/errors.js';
import { cachedWorkerStatus, type WorkerStatus } from './lib/task-queue-pollers.js';

/** What the API is built from: the process's configuration and its long-lived clients. */
export interface ApiDeps {
  env: Env;
  pool: Pool;
  keyring: Keyring;
  /** Temporal client; its task queue is env.TEMPORAL_TASK_QUEUE. */
  client: Client;
  /** pino logger (src/logging.ts, with redaction); one at env.LOG_LEVEL when absent. */
  logger?: Logger;
  /** Tokens accepted on /v1 routes; parsed from env.API_TOKENS when absent. */
  apiTokens?: string[];
  /** The clock, for tests: decides "today" for backfill ranges. */
  now?: () => Date;
  /** Deadline for each group of Temporal calls a request makes: a dead server answers 503 within it. */
  temporalTimeoutMs?: number;
  /** Deadline of a backfill's progress query, after which its progress is read from the ledger. */
  progressQueryTimeoutMs?: number;
  /** How long a DescribeTaskQueue answer (who polls) is reused. */
  workerStatusTtlMs?: number;
  /** How long DELETE /v1/integrations/:id waits for cancelled exports to close. */
  deleteWaitMs?: number;
  /** Host name resolution for endpoint checks (tests). */
  lookup?: EndpointPolicy['lookup'];
  /** Whether loopback endpoints are allowed even when private ones are not (local development). */
  localDev?: boolean;
}

export interface ApiContext {
  env: Env;
  pool: Pool;
  keyring: Keyring;
  client: Client;
  now: () => Date;
  taskQueue: string;
  schedule: ScheduleSettings;
  endpointPolicy: EndpointPolicy;
  deleteWaitMs: number;
  progressQueryTimeoutMs: number;
  /** Who polls the task queue, cached briefly: backfill reads, the calendar and /metrics share it. */
  workers: { get(): Promise<WorkerStatus>; invalidate(): void };
  /** Runs Temporal calls under one deadline, so an unreachable server fails fast instead of hanging. */
  temporal<T>(fn: () => Promise<T>, timeoutMs?: number): Promise<T>;
}

declare module 'fastify' {
  interface FastifyInstance {
    ua: ApiContext;
  }
}

export function parseTokens(raw: string): string[] {
  return raw
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

export function buildContext(deps: ApiDeps): ApiContext {
  const { env, client } = deps;
  const timeout = deps.temporalTimeoutMs ?? 5_000;
  return {
    env,
    pool: deps.pool,
    keyring: deps.keyring,
    client,
    now: deps.now ?? (() => new Date()),
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    // The same settings the worker reconciles with, so the two never flap a schedule back and forth.
    schedule: { taskQueue: env.TEMPORAL_TASK_QUEUE },
    endpointPolicy: {
      allowPlainHttp: env.ALLOW_PLAIN_HTTP_ENDPOINTS,
      allowPrivate: env.ALLOW_PRIVATE_ENDPOINTS,
      allowLoopback: deps.localDev ?? process.env.NODE_ENV !== 'production',
      ...(deps.lookup ? { lookup: deps.lookup } : {}),
    },
    deleteWaitMs: deps.deleteWaitMs ?? 30_000,
    progressQueryTimeoutMs: deps.progressQueryTimeoutMs ?? 3_000,
    workers: cachedWorkerStatus(client, env.TEMPORAL_TASK_QUEUE, deps.workerStatusTtlMs),
    temporal: (fn, timeoutMs = timeout) => withTemporalDeadline(client, timeoutMs, fn),
  };
}
