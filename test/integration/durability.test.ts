import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDayWorkflow } from '../../workflows/index.js';
import { eventsForDay, insertEvents } from '../../src/dev/generate.js';
import { objectKeys } from '../../src/export/keys.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import type { Checkpoint } from '../../src/export/stream-parts.js';
import { expectedEventsCsv } from '../helpers/expected-csv.js';
import { historyText, setupHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await setupHarness('durable');
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await h?.close();
});

/** Starts a worker process on the harness's task queue and resolves once it polls. */
function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(path.resolve('test/helpers/worker-process.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DATABASE_URL: h.databaseUrl, TEMPORAL_TASK_QUEUE: h.taskQueue, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}

describe('a worker killed in the middle of a multi-part upload', () => {
  it('is replaced, resumes from its checkpoint and yields a byte-identical file with no upload left open', async () => {
    const integration = await h.integration({ settings: { includeEventsWithoutProfile: true } });
    const day = '2026-04-10';
    const rows = [...eventsForDay(integration.appId, day, 45_000, 21)];
    await insertEvents(h.pool, rows);
    const expected = expectedEventsCsv(rows);
    const partSize = 5 * 1024 * 1024;
    const workerEnv = { PART_SIZE_MIB: String(partSize / 2 ** 20) };
    // Enough parts that, two in flight at a time, the upload is still running when the first checkpoint lands.
    expect(Buffer.byteLength(expected)).toBeGreaterThan(5 * partSize);

    // Slow parts down so the kill lands between parts, after at least one checkpoint.
    const first = await spawnWorker({ ...workerEnv, UA_EXPORT_TEST_PART_DELAY_MS: '2500' });
    const handle = await h.testEnv.client.workflow.start(exportDayWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: exportWorkflowId(integration.id, day),
      args: [{ integrationId: integration.id, day, kind: 'manual', tables: ['ua_events'] }],
    });

    let checkpoint: Checkpoint | undefined;
    const deadline = Date.now() + 60_000;
    while (!checkpoint && Date.now() < deadline) {
      const d = await handle.describe();
      const pending = d.raw.pendingActivities?.find((a) => a.activityType?.name === 'uploadParts');
      const payload = pending?.heartbeatDetails?.payloads?.[0]?.data;
      // Liveness heartbeats before the first part carry no details.
      const parsed = payload && payload.length > 0 ? (JSON.parse(Buffer.from(payload).toString('utf8')) as Checkpoint | null) : null;
      if (parsed?.parts?.length) checkpoint = parsed;
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(checkpoint?.parts.length).toBeGreaterThanOrEqual(1);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    const keys = objectKeys(integration.bucket, integration.folder, 'ua_events', day);
    // Nothing is visible while the upload is unfinished.
    expect(await h.listKeys(keys.dir)).toEqual([]);

    await spawnWorker(workerEnv);
    const started = Date.now();
    const result = await handle.result();
    expect(Date.now() - started).toBeLessThan(90_000);

    const bytes = await h.getBytes(keys.dataKey);
    expect(bytes.toString('utf8')).toBe(expected);
    const manifest = JSON.parse(await h.getText(keys.manifestKey));
    expect(manifest.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(manifest.rows).toBe(rows.length);
    expect(result.files[0]!.parts).toBeGreaterThanOrEqual(3);
    expect(await h.openUploads(keys.dir)).toEqual([]);

    // The second attempt resumed rather than starting over.
    const history = await handle.fetchHistory();
    const uploadStarts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    expect(uploadStarts.some((e) => (e.activityTaskStartedEventAttributes!.attempt ?? 1) >= 2)).toBe(true);
    expect(historyText(history)).toContain('"resumed":true');
  });
});
