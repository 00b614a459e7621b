import { ApplicationFailure, Context } from '@temporalio/activity';
import type { S3Client } from '@aws-sdk/client-s3';
import { loadStorageConfig, type Integration } from '../src/integrations/repo.js';
import { SHORT_REQUEST_TIMEOUT_MS } from '../src/export/recovery-bounds.js';
import { createS3Client } from '../src/s3/client.js';
import { classifyStorageError } from '../src/s3/errors.js';
import type { ActivityDeps } from './deps.js';
import { loadingIntegration } from './failures.js';

export interface Storage {
  integration: Integration;
  /** Where the integration's storage is and who calls it: for choices made per bucket, never logged whole. */
  storage: { endpoint: string; accessKeyId: string };
  s3: S3Client;
  /** Rethrows a storage error as a retryable or non-retryable failure that explains it. */
  fail: (err: unknown) => never;
}

/**
 * Loads the integration and its decrypted credentials once, for one activity call; the caller destroys
 * `s3`. `short`: the activity makes only small requests (create, abort, list, a manifest), each bounded
 * by SHORT_REQUEST_TIMEOUT_MS so its attempts end within the short activities' start-to-close timeout.
 */
export async function openStorage(
  deps: Pick<ActivityDeps, 'pool' | 'keyring'>,
  integrationId: string,
  bucket: string,
  opts: { short?: boolean } = {},
): Promise<Storage> {
  const loaded = await loadingIntegration(loadStorageConfig(deps.pool, deps.keyring, integrationId));
  const s3 = createS3Client(loaded.storage, opts.short ? { requestTimeoutMs: SHORT_REQUEST_TIMEOUT_MS } : {});
  const ctx = { endpoint: loaded.storage.endpoint, bucket, accessKeyId: loaded.storage.accessKeyId };
  const fail = (err: unknown): never => {
    if (err instanceof ApplicationFailure) throw err;
    const c = classifyStorageError(err, ctx);
    if (c.kind === 'permanent') throw ApplicationFailure.nonRetryable(c.message, c.reason);
    throw ApplicationFailure.retryable(c.message, c.reason);
  };
  return { integration: loaded.integration, storage: { endpoint: loaded.storage.endpoint, accessKeyId: loaded.storage.accessKeyId }, s3, fail };
}

/** Heartbeats on a timer for activities whose single storage call may outlast the heartbeat timeout. */
export function keepAlive(): () => void {
  const ctx = Context.current();
  const t = setInterval(() => ctx.heartbeat(), 5_000);
  return () => clearInterval(t);
}

/**
 * Runs a short activity's body heartbeating on a timer: the workflow gives short activities a heartbeat
 * timeout (SHORT_HEARTBEAT_TIMEOUT_MS), so an attempt whose worker died or whose completion a Temporal
 * server restart lost is retried within it instead of waiting out the start-to-close timeout.
 */
export async function whileAlive<T>(body: () => Promise<T>): Promise<T> {
  const stop = keepAlive();
  try {
    return await body();
  } finally {
    stop();
  }
}
