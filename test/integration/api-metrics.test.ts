import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDayWorkflow } from '../../workflows/index.js';
import { eventsForDay, insertEvents } from '../../src/dev/generate.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import { setupHarness, type Harness } from '../helpers/harness.js';
import { testApi, type TestApi } from './api-helpers.js';

let h: Harness;
let api: TestApi;
beforeAll(async () => {
  h = await setupHarness('apimetrics');
  await h.startWorker();
  api = await testApi(h);
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

describe('GET /metrics on the API', () => {
  it("counts requests by route pattern and shows the in-process worker's export metrics", async () => {
    const integration = await h.integration({ settings: { includeEventsWithoutProfile: true } });
    await insertEvents(h.pool, eventsForDay(integration.appId, '2026-08-01', 42, 3));
    await h.testEnv.client.workflow.execute(exportDayWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: exportWorkflowId(integration.id, '2026-08-01'),
      args: [{ integrationId: integration.id, day: '2026-08-01', kind: 'manual', tables: ['ua_events'] }],
    });
    expect((await api.call('GET', `/v1/integrations/${integration.id}`)).statusCode).toBe(200);
    expect((await api.call('GET', `/v1/integrations/${integration.id}`, undefined, { token: 'wrong' })).statusCode).toBe(401);

    const res = await api.call('GET', '/metrics', undefined, { token: null });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^ua_export_api_requests_total\{method="GET",route="\/v1\/integrations\/:id",status="200"\} 1$/m);
    expect(res.body).toMatch(/^ua_export_api_requests_total\{method="GET",route="\/v1\/integrations\/:id",status="401"\} 1$/m);
    expect(res.body).toMatch(/^ua_export_rows_exported_total\{table="ua_events"\} 42$/m);
    expect(res.body).toMatch(/^ua_export_process_resident_memory_bytes \d+/m);
    expect(res.body).not.toContain(integration.id);
  });
});
