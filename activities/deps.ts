import type { Keyring } from '../src/crypto/secrets.js';
import type { HttpClient } from '../src/http/request.js';
import type { Pool } from '../src/db/pool.js';
import type { PartBudget } from '../src/export/part-budget.js';
import type { PartChecksums } from '../src/s3/part-checksum.js';
import type { TableName } from '../src/export/tables.js';
import type { RunIdentity, RunKind } from '../src/ledger/export-runs.js';
import { createLogger, type Logger } from '../src/logging.js';

/** What the worker builds the activities from: its long-lived clients and its own configuration. */
export interface ActivityDeps {
  pool: Pool;
  keyring: Keyring;
  /**
   * Bytes per multipart part (the worker's PART_SIZE_MIB). The worker owns it rather than the
   * workflow input, so the API, schedules and backfills never have to agree with it.
   */
  partSize: number;
  /** Parts of one file uploading while the next fills (UPLOAD_PARTS_IN_FLIGHT); default DEFAULT_PARTS_IN_FLIGHT. */
  partsInFlight?: number;
  /** Part buffers for the whole worker (WORKER_PART_BUFFERS); default defaultPartBuffers(partSize). */
  partBuffers?: number;
  /**
   * The worker-wide budget those buffers come from, shared by every export activity: createActivities
   * builds it from partBuffers when absent (tests pass their own).
   */
  partBudget?: PartBudget;
  /**
   * The worker's part-checksum choice per bucket (PART_CHECKSUM), shared by every startFile:
   * createActivities builds one when absent.
   */
  partChecksums?: PartChecksums;
  /** JSON log lines carry integration id, table, day and workflow id; never a credential. */
  log?: Logger;
  /**
   * Whether a workflow id is running (true / false), or null when Temporal cannot be asked. Without it
   * the orphaned-upload sweep decides by an upload's age alone.
   */
  workflowRunning?: (workflowId: string) => Promise<boolean | null>;
  // ---- issue 12 (operations)
  /** Pauses the integration's Temporal schedule with a note (auto-pause); absent when the worker has no client. */
  pauseSchedule?: (integrationId: string, note: string) => Promise<void>;
  /** Whether the integration's Temporal schedule is paused right now; absent when the worker has no client. */
  schedulePaused?: (integrationId: string) => Promise<boolean>;
  /** TEMPORAL_UI_URL and the namespace, for the links in alert payloads. */
  temporalUi?: { baseUrl: string; namespace: string };
  /** Alert delivery's HTTP client (tests substitute one); src/http/request.ts by default. */
  http?: HttpClient;
  // ---- end issue 12
  /**
   * Test-only: runs inside the file's read snapshot right before its source fingerprint is taken, so a
   * test can commit a row the file cannot have and prove the fingerprint does not have it either.
   */
  beforeFingerprint?: () => Promise<void>;
  /** Test-only: pause after each uploaded part, so a test can kill a worker mid-file. */
  partDelayMs?: number;
}

/** Identifies one file's attempt: the ledger row and every log line of it. */
export interface FileRun {
  integrationId: string;
  table: TableName;
  day: string;
  workflowId: string;
  runId: string;
  kind: RunKind;
}

export const identity = (r: FileRun): RunIdentity => ({ integrationId: r.integrationId, table: r.table, day: r.day, workflowId: r.workflowId, runId: r.runId });

export function fileLogger(deps: ActivityDeps): (r: FileRun) => Logger {
  const base = deps.log ?? createLogger('silent');
  return (r) => base.child({ integrationId: r.integrationId, table: r.table, day: r.day, workflowId: r.workflowId, runId: r.runId, kind: r.kind });
}
