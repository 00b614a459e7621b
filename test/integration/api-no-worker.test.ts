import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupHarness, type Harness } from '../helpers/harness.js';
import { testApi, waitFor, type TestApi } from './api-helpers.js';

/**
 * The API while no worker polls its task queue (all crashed or stopped): it still answers, from what
 * Temporal and the ledger know, says that no worker is polling, and never waits on one.
 */
let h: Harness;
let api: TestApi;
beforeAll(async () => {
  h = await setupHarness('noworker');
  // No cache, so the test sees the worker the moment it starts polling.
  api = await testApi(h, { deps: { workerStatusTtlMs: 0, temporalTimeoutMs: 5_000 } });
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

const pollerLine = (metrics: string, type: string) =>
  new RegExp(`^ua_export_task_queue_pollers\\{task_queue="${h.taskQueue}",type="${type}"\\} (\\d+)$`, 'm').exec(metrics)?.[1];

describe('no worker polls the task queue', () => {
  it('answers GET of a running backfill with 200, its status and polling false; metrics and calendar say so; a worker turns it true', async () => {
    const integration = await h.integration();
    const started = await api.call('POST', `/v1/integrations/${integration.id}/backfills`, { from: '2026-03-01', to: '2026-03-03', tables: ['ua_events'] });
    expect(started.statusCode, started.body).toBe(202);
    const { backfillId } = started.json<{ backfillId: string }>();
    const url = `/v1/integrations/${integration.id}/backfills/${backfillId}`;

    const t0 = Date.now();
    const res = await api.call('GET', url);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      backfillId,
      status: 'running',
      from: '2026-03-01',
      to: '2026-03-03',
      tables: ['ua_events'],
      totalDays: 3,
      completedDays: 0,
      progressSource: 'ledger',
      worker: { taskQueue: h.taskQueue, polling: false, lastAccessTime: null, pollers: { workflow: 0, activity: 0 } },
    });
    expect((await api.call('GET', `/v1/integrations/${integration.id}/backfills`)).statusCode).toBe(200);

    const metrics = (await api.call('GET', '/metrics', undefined, { token: null })).body;
    expect(pollerLine(metrics, 'workflow')).toBe('0');
    expect(pollerLine(metrics, 'activity')).toBe('0');

    const calendar = await api.call('GET', '/v1/calendar');
    expect(calendar.statusCode, calendar.body).toBe(200);
    expect(calendar.json()).toMatchObject({ worker: { taskQueue: h.taskQueue, polling: false } });

    await h.startWorker();
    const live = await waitFor(
      async () => {
        const r = await api.call('GET', url);
        const body = r.json<{ worker: { polling: boolean }; progressSource: string }>();
        return r.statusCode === 200 && body.worker.polling ? body : null;
      },
      30_000,
      'the worker to be seen polling',
    );
    expect(['workflow', 'result']).toContain(live.progressSource);
    const after = (await api.call('GET', '/metrics', undefined, { token: null })).body;
    expect(Number(pollerLine(after, 'workflow'))).toBeGreaterThanOrEqual(1);
    expect((await api.call('GET', '/v1/calendar')).json()).toMatchObject({ worker: { polling: true } });

    const done = await waitFor(
      async () => {
        const r = (await api.call('GET', url)).json<{ status: string; completedDays: number; progressSource: string }>();
        return r.status !== 'running' ? r : null;
      },
      60_000,
      'the backfill to finish',
    );
    expect(done).toMatchObject({ status: 'completed', completedDays: 3, progressSource: 'result' });
  });
});
