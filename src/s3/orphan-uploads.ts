import type { S3Client } from '@aws-sdk/client-s3';
import { isDay } from '../export/days.js';
import { FORMATS } from '../export/formats/format.js';
import { joinKey, objectKeys, parseBucket } from '../export/keys.js';
import { isTableName } from '../export/tables.js';
import { abortUpload, openUploadsUnder, type OpenUpload } from './multipart.js';

/**
 * Finds and aborts multipart uploads this product opened under an integration's folder that no live
 * attempt owns, so a crash, a terminated workflow or a changed day never leaves billable upload
 * fragments in a customer's bucket. Only keys of our own deterministic format (a table file of a day,
 * keys.ts) are ever touched; the customer's other uploads under the same prefix are not ours.
 */

export interface OrphanSweepInput {
  s3: S3Client;
  /** The integration's bucket field (bucket plus optional key prefix) and folder, as keys.ts takes them. */
  bucketField: string;
  folder: string;
  /**
   * The day the calling workflow exports: its uploads belong to the caller, whose own start, complete
   * and abandon steps close them, so the sweep leaves that day alone.
   */
  currentDay: string;
  /** The day's export workflow id is exclusive: while it runs, it may own that day's uploads. */
  workflowIdOf: (day: string) => string;
  /**
   * Whether a workflow id is running now; null when that cannot be told (then only age decides).
   */
  workflowRunning: (workflowId: string) => Promise<boolean | null>;
  /** An upload older than this has outlived any attempt that could own it (recovery-bounds.ts). */
  maxLiveAgeMs: number;
  now: Date;
}

export type OrphanReason = 'owner-not-running' | 'older-than-any-live-attempt';

export interface SweptUpload extends OpenUpload {
  day: string;
  reason: OrphanReason;
}

export interface OrphanSweepResult {
  aborted: SweptUpload[];
  /** Our uploads left open because a live workflow may own them. */
  keptLive: number;
}

/** The folder all of an integration's files live under, with a trailing slash (empty: the bucket root). */
export function integrationPrefix(bucketField: string, folder: string): string {
  const p = joinKey(parseBucket(bucketField).prefix, folder);
  return p ? `${p}/` : '';
}

// Every format's extension: an integration that changed format may still hold an old format's upload.
const DATA_KEY_RE = /([a-z_]+)\/dt=(\d{4}-\d{2}-\d{2})\/\1_\2(\.csv|\.csv\.gz|\.parquet)$/;

/** The day of a key this product writes for the integration, or null for a key that is not ours. */
export function ownedDataKeyDay(bucketField: string, folder: string, key: string): string | null {
  const m = DATA_KEY_RE.exec(key);
  if (!m) return null;
  const [, table = '', day = ''] = m;
  if (!isTableName(table) || !isDay(day)) return null;
  // Rebuilt through keys.ts: only the exact key we would write counts, never a look-alike deeper down.
  return FORMATS.some((f) => objectKeys(bucketField, folder, table, day, f).dataKey === key) ? day : null;
}

export async function sweepOrphanUploads(input: OrphanSweepInput): Promise<OrphanSweepResult> {
  const { bucket } = parseBucket(input.bucketField);
  const uploads = await openUploadsUnder(input.s3, bucket, integrationPrefix(input.bucketField, input.folder));
  const running = new Map<string, boolean | null>();
  const aborted: SweptUpload[] = [];
  let keptLive = 0;
  for (const u of uploads) {
    const day = ownedDataKeyDay(input.bucketField, input.folder, u.key);
    if (day === null || day === input.currentDay) continue;
    let reason: OrphanReason | null = null;
    if (u.initiated && input.now.getTime() - u.initiated.getTime() > input.maxLiveAgeMs) {
      reason = 'older-than-any-live-attempt';
    } else {
      if (!running.has(day)) running.set(day, await input.workflowRunning(input.workflowIdOf(day)));
      // The upload was listed before the check: a workflow not running now cannot start owning it later.
      if (running.get(day) === false) reason = 'owner-not-running';
    }
    if (reason === null) {
      keptLive++;
      continue;
    }
    await abortUpload(input.s3, bucket, u.key, u.uploadId);
    aborted.push({ ...u, day, reason });
  }
  return { aborted, keptLive };
}
