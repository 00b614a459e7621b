import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, utcDayOf } from '../../src/export/days.js';
import { deleteSchedule } from '../../src/temporal/schedules.js';
import { setupHarness, type Harness } from '../helpers/harness.js';
import { testApi, type TestApi } from './api-helpers.js';

/**
 * POST …/backfills/:backfillId/pause and …/resume on the real Temporal and Postgres, with no worker on
 * the task queue: the signals are recorded in the backfill's history at once (the workflow applies them
 * when a worker runs it), an unknown backfill is a 404 and a finished one a 409. What the workflow
 * does with them is tested in workflows-backfill-pause.test.ts.
 */
let h: Harness;
let api: TestApi;
let integrationId: string;

beforeAll(async () => {
  h = await setupHarness('bf-pause');
  api = await testApi(h);
  const res = await api.call('POST', '/v1/integrations', {
    appId: randomUUID(),
    endpointUrl: h.env.LOCAL_S3_ENDPOINT,
    bucket: h.bucket,
    folder: `pause-${randomUUID().slice(0, 8)}`,
    accessKeyId: h.env.LOCAL_S3_ACCESS_KEY_ID,
    secretAccessKey: h.env.LOCAL_S3_SECRET_ACCESS_KEY,
  });
  expect(res.statusCode, res.body).toBe(201);
  integrationId = res.json().id;
});

afterAll(async () => {
  if (integrationId) await deleteSchedule(h.testEnv.client, integrationId).catch(() => undefined);
  await api?.close();
  await h?.close();
});

describe('backfill pause and resume over the API', () => {
  it('records pause and resume for a running backfill; 404 for an unknown one, 409 once it finished', async () => {
    const yesterday = addDays(utcDayOf(new Date()), -1);
    const started = await api.call('POST', `/v1/integrations/${integrationId}/backfills`, { from: addDays(yesterday, -2), to: yesterday });
    expect(started.statusCode, started.body).toBe(202);
    const { backfillId } = started.json<{ backfillId: string }>();
    const base = `/v1/integrations/${integrationId}/backfills/${backfillId}`;

    const paused = await api.call('POST', `${base}/pause`);
    expect(paused.statusCode, paused.body).toBe(202);
    expect(paused.json()).toMatchObject({ backfillId, paused: true, runId: expect.any(String) });
    const resumed = await api.call('POST', `${base}/resume`);
    expect(resumed.statusCode, resumed.body).toBe(202);
    expect(resumed.json()).toMatchObject({ backfillId, paused: false });

    const history = await h.testEnv.client.workflow.getHandle(backfillId).fetchHistory();
    const signals = (history.events ?? []).flatMap((e) =>
      e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName] : [],
    );
    expect(signals).toEqual(['pauseBackfill', 'resumeBackfill']);

    // No worker polls, so only the ledger can say how far it got: whether it is paused is unknown.
    const read = await api.call('GET', base);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toMatchObject({ status: 'running', progressSource: 'ledger', paused: null });

    const unknown = await api.call('POST', `/v1/integrations/${integrationId}/backfills/ua-backfill-${integrationId}-2020-01-01-2020-01-02-all/pause`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<{ message: string }>().message).toMatch(/does not exist/);
    const otherIntegration = await api.call('POST', `/v1/integrations/${integrationId}/backfills/ua-backfill-${randomUUID()}-2020-01-01-2020-01-02-all/resume`);
    expect(otherIntegration.statusCode).toBe(404);

    await h.testEnv.client.workflow.getHandle(backfillId).terminate('test: end the backfill');
    const finished = await api.call('POST', `${base}/resume`);
    expect(finished.statusCode).toBe(409);
    expect(finished.json()).toMatchObject({ error: 'backfill_finished' });
    expect(finished.json<{ message: string }>().message).toMatch(/already finished \(.+\): there is nothing to resume/);
  });
});
