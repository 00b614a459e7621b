import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDayWorkflow } from '../../workflows/index.js';
import { eventsForDay, insertEvents } from '../../src/dev/generate.js';
import { migrate } from '../../src/db/migrate.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { createIntegration } from '../../src/integrations/repo.js';
import { exportWorkflowId, scheduleId } from '../../src/temporal/ids.js';
import { deleteSchedule } from '../../src/temporal/schedules.js';
import { SWEPT_PAUSE_NOTE } from '../../src/ops/schedule-pauses.js';
import { dropDatabaseForce, setupHarness, type Harness } from '../helpers/harness.js';
import { pauseStretches } from '../helpers/pause-stretches.js';

/**
 * The real worker process (src/worker/main.ts) on its own empty database: it migrates, reconciles the
 * schedule of the one integration there, exports, and serves product + Temporal SDK metrics.
 */
let h: Harness;
let child: ChildProcess | undefined;
let pool: Pool;
const METRICS_PORT = 19464;

beforeAll(async () => {
  h = await setupHarness('metrics');
  const url = new URL(h.databaseUrl);
  url.pathname = '/ua_export_test_worker_main';
  const admin = new pg.Client({ connectionString: h.env.DATABASE_URL });
  await admin.connect();
  await dropDatabaseForce(admin, 'ua_export_test_worker_main');
  await admin.query('CREATE DATABASE ua_export_test_worker_main');
  await admin.end();
  await migrate(url.toString());
  pool = createPool(url.toString());
  process.env.WORKER_MAIN_TEST_DB = url.toString();
});
afterAll(async () => {
  if (child) await stopWorker(child);
  await pool?.end();
  await h?.close();
});

describe('the worker process', () => {
  it('reconciles schedules on start, exports, and serves product and SDK metrics on /metrics', async () => {
    const integration = await localIntegration('11111111-2222-4333-8444-555555555555', 'metrics');
    await insertEvents(pool, eventsForDay(integration.appId, '2026-05-05', 123, 9));

    child = (await startWorkerMain({ WORKER_METRICS_PORT: String(METRICS_PORT), TEMPORAL_SDK_METRICS_ADDRESS: '127.0.0.1:19465', LOG_LEVEL: 'warn' })).child;

    const schedule = await h.testEnv.client.schedule.getHandle(scheduleId(integration.id)).describe();
    expect(schedule.state.paused).toBe(false);

    await h.testEnv.client.workflow.execute(exportDayWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: exportWorkflowId(integration.id, '2026-05-05'),
      args: [{ integrationId: integration.id, day: '2026-05-05', kind: 'manual', tables: ['ua_events'] }],
    });

    const text = await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
    expect(text).toMatch(/^ua_export_rows_exported_total\{table="ua_events"\} 123$/m);
    expect(text).toMatch(/^ua_export_bytes_exported_total\{table="ua_events"\} \d{4,}$/m);
    expect(text).toMatch(/^ua_export_part_upload_seconds_count\{table="ua_events"\} 1$/m);
    expect(text).toMatch(/^ua_export_file_duration_seconds_count\{table="ua_events",kind="manual"\} 1$/m);
    // The Temporal SDK's runtime metrics come through the same endpoint.
    expect(text).toMatch(/^temporal_\w+/m);
    await deleteSchedule(h.testEnv.client, integration.id);
  });
});

/** An integration of the worker's database that writes to this harness's bucket on the local S3. */
function localIntegration(appId: string, folder: string) {
  return createIntegration(pool, h.keyring, {
    appId,
    endpointUrl: h.env.LOCAL_S3_ENDPOINT,
    bucket: h.bucket,
    folder,
    accessKeyId: h.env.LOCAL_S3_ACCESS_KEY_ID,
    secretAccessKey: h.env.LOCAL_S3_SECRET_ACCESS_KEY,
    settings: { includeEventsWithoutProfile: true },
  });
}

async function stopWorker(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
}

/** Starts src/worker/main.ts; resolves once it is ready, rejects with its output if it exits first. */
async function startWorkerMain(extraEnv: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const proc = fork(path.resolve('src/worker/main.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      DATABASE_URL: process.env.WORKER_MAIN_TEST_DB!,
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      WORKER_METRICS_PORT: '0',
      TEMPORAL_SDK_METRICS_ADDRESS: '127.0.0.1:19467',
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((resolve, reject) => {
    proc.once('message', () => resolve());
    proc.once('exit', (code) => reject(Object.assign(new Error(`worker exited with ${code}: ${out}`), { code, output: out })));
  });
  return { child: proc, output: () => out };
}

describe('the worker process with a prebuilt workflow bundle', () => {
  it('runs workflows from WORKFLOW_BUNDLE_PATH instead of bundling at start, and leaves the file in place', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ua-export-bundle-'));
    // What npm run build:workflows does, into a directory of this test's own.
    const bundle = path.join(dir, 'workflow-bundle.js');
    execFileSync(process.execPath, ['--import', 'tsx', 'src/worker/bundle-workflows.ts', bundle], { stdio: 'inherit' });
    const integration = await localIntegration('11111111-2222-4333-8444-666666666666', 'prebuilt');
    await insertEvents(pool, eventsForDay(integration.appId, '2026-05-06', 45, 3));
    const worker = await startWorkerMain({ WORKFLOW_BUNDLE_PATH: bundle });
    try {
      expect(worker.output()).toMatch(/"prebuilt":true[^\n]*"msg":"workflow bundle"|"msg":"workflow bundle"[^\n]*"prebuilt":true/);
      expect(worker.output()).toContain(bundle);
      const result = await h.testEnv.client.workflow.execute(exportDayWorkflow, {
        taskQueue: h.taskQueue,
        workflowId: exportWorkflowId(integration.id, '2026-05-06'),
        args: [{ integrationId: integration.id, day: '2026-05-06', kind: 'manual', tables: ['ua_events'] }],
      });
      expect(result.files[0]).toMatchObject({ state: 'exported', rows: 45 });
    } finally {
      await stopWorker(worker.child);
      for (const row of (await pool.query<{ id: string }>('SELECT id FROM integrations')).rows)
        await deleteSchedule(h.testEnv.client, row.id).catch(() => undefined);
    }
    // The bundle belongs to the deployment, not to this process.
    expect(existsSync(bundle)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start when WORKFLOW_BUNDLE_PATH names no file, saying which variable and what to do', async () => {
    const missing = path.join(os.tmpdir(), `no-such-bundle-${process.pid}.js`);
    const err = (await startWorkerMain({ WORKFLOW_BUNDLE_PATH: missing }).then(
      (w) => {
        w.child.kill('SIGTERM');
        throw new Error('the worker started');
      },
      (e: unknown) => e,
    )) as { code: number; output: string };
    expect(err.code).not.toBe(0);
    expect(err.output).toContain(`WORKFLOW_BUNDLE_PATH: no file at ${missing}`);
    expect(err.output).toContain('npm run build:workflows');
  });
});

describe('the worker process sweeps schedule pauses', () => {
  it('records a schedule paused straight through Temporal, as the Temporal UI does', async () => {
    const integration = await localIntegration('11111111-2222-4333-8444-777777777777', 'sweep');
    const worker = await startWorkerMain({ SCHEDULE_PAUSE_SWEEP_SECONDS: '1' });
    try {
      // The worker created the schedule when it reconciled on start.
      await h.testEnv.client.schedule.getHandle(scheduleId(integration.id)).pause('paused in the Temporal UI');
      const deadline = Date.now() + 20_000;
      let stretches = await pauseStretches(pool, integration.id);
      while (stretches.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        stretches = await pauseStretches(pool, integration.id);
      }
      expect(stretches).toEqual([{ note: SWEPT_PAUSE_NOTE, open: true }]);
    } finally {
      await stopWorker(worker.child);
      for (const row of (await pool.query<{ id: string }>('SELECT id FROM integrations')).rows)
        await deleteSchedule(h.testEnv.client, row.id).catch(() => undefined);
    }
  });
});
