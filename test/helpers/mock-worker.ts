import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities, ExportPlan } from '../../activities/index.js';

/**
 * A worker that runs the REAL workflow code (bundled from workflows/index.ts) against MOCKED
 * activities, on the Temporal dev server that scripts/services.sh started: workflow logic is tested
 * in seconds, without Postgres or S3.
 *
 * One worker per test file, on its own task queue. Every activity input carries an integrationId, so
 * each test registers a Scenario under a fresh integration id: the scenario records every call (name,
 * input, start/end time) and may replace any activity; the rest fall back to plausible happy-path
 * results. Tests can therefore run concurrently on the same worker without seeing each other's calls.
 */

export type ActivityName = keyof Activities;
type In<K extends ActivityName> = Parameters<Activities[K]>[0];
type Out<K extends ActivityName> = Awaited<ReturnType<Activities[K]>>;
export type MockImpls = { [K in ActivityName]?: (input: In<K>) => Promise<Out<K>> };

export interface Call<K extends ActivityName = ActivityName> {
  name: K;
  input: In<K>;
  startedAt: number;
  endedAt: number | null;
  outcome: 'running' | 'ok' | 'error';
  /** Whether the activity's cancellation signal had fired by the time it ended. */
  sawCancel: boolean;
}

export class Scenario {
  readonly calls: Call[] = [];
  constructor(
    readonly integrationId: string,
    public impls: MockImpls,
  ) {}

  /** Calls of one activity, in start order. */
  of<K extends ActivityName>(name: K): Call<K>[] {
    return this.calls.filter((c) => c.name === name) as Call<K>[];
  }

  /** `name` or `name:table` for each call, in start order: the shape of a run at a glance. */
  trace(): string[] {
    return this.calls.map((c) => {
      const table = (c.input as { table?: string }).table;
      return table ? `${c.name}:${table}` : c.name;
    });
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKFLOWS_PATH = path.resolve(here, '../../workflows/index.ts');

const ACTIVITY_NAMES: ActivityName[] = [
  'planExport',
  'exportSmallFile',
  'startFile',
  'uploadParts',
  'completeFile',
  'writeManifest',
  'recordFileExported',
  'abandonFile',
  'recordIntegrationStatus',
  'sendAlert',
  'recordScheduledOutcome',
  'checkLookback',
  'reviewRecentDays',
];

/** What each activity returns unless a scenario replaces it: deterministic, derived from the input. */
export const happy: { [K in ActivityName]: (input: In<K>) => Promise<Out<K>> } = {
  async planExport(input) {
    return {
      integrationId: input.integrationId,
      appId: `app-${input.integrationId}`,
      day: input.day,
      window: { start: `${input.day}T00:00:00.000000Z`, end: `${input.day}T23:59:59.999999Z` },
      endpoint: 'http://mock-s3.invalid',
      settings: {} as ExportPlan['settings'],
      files: input.tables.map((table) => ({
        table,
        bucket: 'mock-bucket',
        key: `exports/${table}/${input.day}.csv`,
        manifestKey: `exports/${table}/${input.day}_manifest.json`,
        columns: ['id'],
      })),
    };
  },
  // Unless a scenario says otherwise a file is larger than one part, so the multipart steps run.
  async exportSmallFile() {
    return { fits: false };
  },
  async startFile(input) {
    return { uploadId: `upload-${input.table}-${input.day}`, startedAt: '2026-01-01T00:00:00.000Z', checksum: 'md5' };
  },
  async uploadParts(input) {
    const rows = input.table === 'ua_events' ? 100 : 7;
    return {
      parts: [
        { PartNumber: 1, ETag: `"${input.table}-1"`, size: rows * 10 - 1 },
        { PartNumber: 2, ETag: `"${input.table}-2"`, size: 1 },
      ],
      rows,
      bytes: rows * 10,
      sha256: `sha-${input.table}-${input.day}`,
      resumed: false,
      partSize: 16 * 1024 * 1024,
    };
  },
  async completeFile(input) {
    return { etag: `"final-${input.table}"`, sha256: input.sha256 ?? `read-back-${input.table}`, alreadyCompleted: false };
  },
  async writeManifest() {},
  async recordFileExported() {},
  async abandonFile() {},
  async recordIntegrationStatus() {},
  // Issue 12: no webhook, no streak, lookback off: the operations layer stays out of the way.
  async sendAlert() {
    return { delivered: false, status: null, skipped: 'no webhook configured' as const };
  },
  async recordScheduledOutcome() {
    return { previousFailed: false, autoPaused: null, lookbackDays: 0 };
  },
  async checkLookback() {
    return [];
  },
  // Nothing changed, no start lost.
  async reviewRecentDays() {
    return { changed: [], missed: [] };
  },
};

/** A promise a test resolves by hand, e.g. to hold a mocked activity until the test has acted. */
export class Gate {
  readonly promise: Promise<void>;
  open!: () => void;
  constructor() {
    this.promise = new Promise((resolve) => (this.open = resolve));
  }
}

/**
 * Heartbeats until `until` settles; throws the activity's CancelledFailure if it is cancelled first.
 * Activities learn of a cancel only through a heartbeat response, hence the loop.
 */
export async function heartbeatUntil(until: Promise<unknown>, everyMs = 100): Promise<void> {
  const ctx = Context.current();
  const t = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    ctx.heartbeat();
    await Promise.race([until, ctx.cancelled]);
  } finally {
    clearInterval(t);
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface MockWorker {
  testEnv: TestWorkflowEnvironment;
  client: Client;
  taskQueue: string;
  /** A fresh integration id whose activity calls are recorded, with some activities replaced. */
  scenario(impls?: MockImpls): Scenario;
  /** Remembers a started workflow so close() terminates it if a test left it running. */
  track<H extends WorkflowHandle>(handle: H): H;
  close(): Promise<void>;
}

export async function startMockWorker(name: string): Promise<MockWorker> {
  const testEnv = await TestWorkflowEnvironment.createFromExistingServer({
    address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  });
  const taskQueue = `wf-${name}-${randomUUID().slice(0, 8)}`;
  const scenarios = new Map<string, Scenario>();

  const activities = Object.fromEntries(
    ACTIVITY_NAMES.map((n) => [
      n,
      async (input: { integrationId: string }) => {
        const s = scenarios.get(input.integrationId);
        const impl = (s?.impls[n] ?? happy[n]) as (i: unknown) => Promise<unknown>;
        if (!s) return impl(input);
        const call: Call = { name: n, input: input as never, startedAt: Date.now(), endedAt: null, outcome: 'running', sawCancel: false };
        s.calls.push(call);
        try {
          const out = await impl(input);
          call.outcome = 'ok';
          return out;
        } catch (err) {
          call.outcome = 'error';
          throw err;
        } finally {
          call.endedAt = Date.now();
          call.sawCancel = Context.current().cancellationSignal.aborted;
        }
      },
    ]),
  );

  const worker = await Worker.create({
    connection: testEnv.nativeConnection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities,
    // Cancellation reaches an activity with a heartbeat response: don't let the SDK hold heartbeats back.
    maxHeartbeatThrottleInterval: '100 milliseconds',
    defaultHeartbeatThrottleInterval: '100 milliseconds',
  });
  const running = worker.run();
  const tracked: WorkflowHandle[] = [];

  return {
    testEnv,
    client: testEnv.client,
    taskQueue,
    scenario(impls = {}) {
      const s = new Scenario(`it-${randomUUID()}`, impls);
      scenarios.set(s.integrationId, s);
      return s;
    },
    track(handle) {
      tracked.push(handle);
      return handle;
    },
    async close() {
      // Terminate anything still open on this queue (tracked runs, children, blockers), then stop.
      const open = new Set<string>(tracked.map((h) => h.workflowId));
      try {
        for await (const w of testEnv.client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) open.add(w.workflowId);
      } catch {
        /* visibility is best effort here; tracked ids are still terminated */
      }
      for (const id of open) {
        await testEnv.client.workflow
          .getHandle(id)
          .terminate('test cleanup')
          .catch(() => undefined);
      }
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await testEnv.teardown();
    },
  };
}
