import { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities, type StartFileInput } from '../../activities/index.js';
import { objectKeys } from '../../src/export/keys.js';
import { MAX_LIVE_UPLOAD_AGE_MS } from '../../src/export/recovery-bounds.js';
import type { Integration } from '../../src/integrations/repo.js';
import { sweepOrphanUploads } from '../../src/s3/orphan-uploads.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import { workflowRunningVia } from '../../src/worker/workflow-liveness.js';
import { setupHarness, type Harness } from '../helpers/harness.js';

/**
 * The orphaned-upload sweep against the real S3 service and Temporal: only uploads of our own keys,
 * of a day no live workflow exports, are aborted; the customer's uploads under the same prefix and
 * the days being exported stay open.
 */
let h: Harness;
beforeAll(async () => {
  h = await setupHarness('orphans');
});
afterAll(async () => {
  await h?.close();
});

const CURRENT = '2026-03-10';
const DEAD = '2026-03-08';
const LIVE = '2026-03-09';

async function openUpload(key: string): Promise<string> {
  const out = await h.s3.send(new CreateMultipartUploadCommand({ Bucket: h.bucket, Key: key }));
  return out.UploadId!;
}

/** Our stray uploads for three days, plus the customer's own uploads under the integration's folder. */
async function strays(integration: Integration) {
  const data = (table: 'ua_events' | 'campaign_metrics', day: string) => objectKeys(integration.bucket, integration.folder, table, day).dataKey;
  const dir = objectKeys(integration.bucket, integration.folder, 'ua_events', DEAD).dir;
  const folderPath = dir.slice(0, -`/ua_events/dt=${DEAD}`.length);
  const keys = {
    deadEvents: data('ua_events', DEAD),
    deadMetrics: data('campaign_metrics', DEAD),
    live: data('ua_events', LIVE),
    current: data('campaign_metrics', CURRENT),
    foreignBeside: `${dir}/notes.csv`,
    foreignDeeper: `${folderPath}/archive/ua_events/dt=${DEAD}/ua_events_${DEAD}.csv`,
  };
  expect(keys.foreignDeeper.startsWith(folderPath)).toBe(true);
  for (const key of Object.values(keys)) await openUpload(key);
  return keys;
}

const folderPath = (i: Integration) => `${objectKeys(i.bucket, i.folder, 'ua_events', DEAD).dir.split('/ua_events/')[0]}/`;
const openKeys = async (prefix: string) => (await h.openUploads(prefix)).map((u) => u.key).sort();

describe('sweepOrphanUploads', () => {
  it('aborts our uploads of a day whose workflow is not running, keeps live days, the current day and foreign keys', async () => {
    const integration = await h.integration();
    const k = await strays(integration);
    const asked: string[] = [];
    const running = async (id: string) => {
      asked.push(id);
      return id === exportWorkflowId(integration.id, LIVE);
    };
    const base = {
      s3: h.s3,
      bucketField: integration.bucket,
      folder: integration.folder,
      currentDay: CURRENT,
      workflowIdOf: (day: string) => exportWorkflowId(integration.id, day),
      workflowRunning: running,
      maxLiveAgeMs: MAX_LIVE_UPLOAD_AGE_MS,
    };

    const first = await sweepOrphanUploads({ ...base, now: new Date() });
    expect(first.aborted.map((u) => u.key).sort()).toEqual([k.deadEvents, k.deadMetrics].sort());
    expect(first.aborted.every((u) => u.reason === 'owner-not-running' && u.day === DEAD)).toBe(true);
    expect(first.keptLive).toBe(1);
    // Asked once per day, and never about the current day or a key that is not ours.
    expect(asked.sort()).toEqual([exportWorkflowId(integration.id, DEAD), exportWorkflowId(integration.id, LIVE)].sort());
    expect(await openKeys(folderPath(integration))).toEqual([k.current, k.foreignBeside, k.foreignDeeper, k.live].sort());

    // Past the longest time a live attempt can hold an upload, even a running day's upload is an orphan;
    // the current day and the customer's uploads still are not ours to touch.
    const later = await sweepOrphanUploads({ ...base, now: new Date(Date.now() + MAX_LIVE_UPLOAD_AGE_MS + 60_000) });
    expect(later.aborted.map((u) => [u.key, u.reason])).toEqual([[k.live, 'older-than-any-live-attempt']]);
    expect(await openKeys(folderPath(integration))).toEqual([k.current, k.foreignBeside, k.foreignDeeper].sort());
  });

  it("when Temporal cannot be asked, keeps another day's upload until it is older than any live attempt", async () => {
    const integration = await h.integration();
    const k = await strays(integration);
    const base = {
      s3: h.s3,
      bucketField: integration.bucket,
      folder: integration.folder,
      currentDay: CURRENT,
      workflowIdOf: (day: string) => exportWorkflowId(integration.id, day),
      workflowRunning: () => Promise.resolve(null),
      maxLiveAgeMs: MAX_LIVE_UPLOAD_AGE_MS,
    };
    expect((await sweepOrphanUploads({ ...base, now: new Date() })).aborted).toEqual([]);
    const later = await sweepOrphanUploads({ ...base, now: new Date(Date.now() + MAX_LIVE_UPLOAD_AGE_MS + 60_000) });
    expect(later.aborted.map((u) => u.key).sort()).toEqual([k.deadEvents, k.deadMetrics, k.live].sort());
  });
});

describe('startFile', () => {
  it("sweeps the integration's folder, asking Temporal which days are being exported", async () => {
    const integration = await h.integration({ bucket: `${h.bucket}/customer-prefix` });
    const k = await strays(integration);
    // A day being exported right now: a workflow with the day's id, running (no worker polls its queue).
    const live = await h.testEnv.client.workflow.start('exportDayWorkflow', {
      taskQueue: `${h.taskQueue}-nobody`,
      workflowId: exportWorkflowId(integration.id, LIVE),
      args: [{ integrationId: integration.id, day: LIVE, kind: 'manual' }],
    });
    try {
      const activities = createActivities({
        pool: h.pool,
        keyring: h.keyring,
        partSize: 5 * 1024 * 1024,
        workflowRunning: workflowRunningVia(h.testEnv.client),
      });
      const file = objectKeys(integration.bucket, integration.folder, 'ua_events', CURRENT);
      const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
      const input: StartFileInput = {
        integrationId: integration.id,
        table: 'ua_events',
        day: CURRENT,
        workflowId: exportWorkflowId(integration.id, CURRENT),
        runId: 'run-1',
        kind: 'manual',
        bucket: file.bucket,
        key: file.dataKey,
        manifestKey: file.manifestKey,
      };
      const started = await env.run<[StartFileInput], { uploadId: string }, typeof activities.startFile>(activities.startFile, input);
      const open = await h.openUploads('customer-prefix/');
      expect(open.map((u) => u.key).sort()).toEqual([file.dataKey, k.current, k.foreignBeside, k.foreignDeeper, k.live].sort());
      expect(open.find((u) => u.key === file.dataKey)?.uploadId).toBe(started.uploadId);
    } finally {
      await live.terminate('test over');
    }
  });
});
