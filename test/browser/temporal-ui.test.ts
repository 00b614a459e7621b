import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cancelBackfill, startBackfill } from '../../src/backfills/service.js';
import { addDays } from '../../src/export/days.js';
import { eventsForDay, insertEvents, insertMetrics, metricsForDay } from '../../src/dev/generate.js';
import { exportWorkflowId } from '../../src/temporal/ids.js';
import { formatBytes, formatCount } from '../../src/temporal/format.js';
import { workflowUiUrl } from '../../src/temporal/links.js';
import { backfillProgressQuery, type backfillWorkflow, type exportDayWorkflow } from '../../workflows/index.js';
import { openBrowser, openUserMetadata, waitVisibleWithReload, workflowsListUrl, type UiSession } from '../helpers/browser.js';
import { setupHarness, type Harness, type RunningWorker } from '../helpers/harness.js';

/**
 * What an operator sees in the Temporal Web UI (the dev server's, at TEMPORAL_UI_URL), driven with a
 * real Chromium: workflows found by the UaIntegrationId search attribute, the summaries and details the
 * product's starters set, and a running backfill's live progress (setCurrentDetails).
 * Screenshots of every step go to test-artifacts/screenshots/.
 */

let h: Harness;
let ui: UiSession;
let uiBase: string;
let namespace: string;
const cleanup: WorkflowHandle[] = [];

beforeAll(async () => {
  h = await setupHarness('browser');
  uiBase = h.env.TEMPORAL_UI_URL;
  namespace = h.env.TEMPORAL_NAMESPACE;
  ui = await openBrowser();
});

afterEach(async ({ task }) => {
  if (task.result?.state === 'fail') await ui?.screenshot(`failed-${task.name}`).catch(() => undefined);
});

afterAll(async () => {
  // Nothing may be left running on the shared dev server, even when a test failed halfway.
  for (const handle of cleanup) {
    const d = await handle.describe().catch(() => null);
    if (d?.status.name === 'RUNNING') await handle.terminate('browser test cleanup').catch(() => undefined);
  }
  await ui?.close();
  await h?.close();
});

const detailsLine = (f: { table: string; state: string; rows: number | null; bytes: number | null }) =>
  `${f.table}: ${f.state} · ${formatCount(f.rows ?? 0)} rows · ${formatBytes(f.bytes ?? 0)}`;

describe('Temporal Web UI', () => {
  let worker: RunningWorker;

  it('finds a finished export by its integration id and shows its summary and details', async () => {
    worker = await h.startWorker();
    const { page } = ui;
    const integration = await h.integration({ settings: { includeEventsWithoutProfile: true } });
    const day = '2026-03-10';
    await insertEvents(h.pool, eventsForDay(integration.appId, day, 250, 11));
    await insertMetrics(h.pool, metricsForDay(integration.appId, day, 3, 11));

    // A one-day backfill through the product's own starter: its per-day child is the export operators look for.
    const started = await startBackfill(h.testEnv.client, {
      integrationId: integration.id,
      from: day,
      to: day,
      concurrency: 1,
      taskQueue: h.taskQueue,
      uiUrl: uiBase,
      namespace,
    });
    const backfill = h.testEnv.client.workflow.getHandle<typeof backfillWorkflow>(started.workflowId);
    cleanup.push(backfill);
    expect((await backfill.result()).completedDays).toBe(1);
    const exportId = exportWorkflowId(integration.id, day);
    const exported = await h.testEnv.client.workflow.getHandle<typeof exportDayWorkflow>(exportId).result();
    expect(exported.files.map((f) => f.state)).toEqual(['exported', 'exported']);

    // 1. The workflow list, filtered by the integration's search attribute.
    await page.goto(workflowsListUrl(uiBase, namespace, `UaIntegrationId = '${integration.id}'`));
    const exportLink = page.getByRole('link', { name: exportId, exact: true });
    await waitVisibleWithReload(page, exportLink);
    await page.getByRole('link', { name: started.workflowId, exact: true }).waitFor();
    // Only this integration's runs: its one-day backfill and the day's export. It has no webhook, so
    // the backfill raises no `backfill.completed` alert and starts no alert workflow.
    await page.getByText(/^2 Workflows$/).waitFor();
    await ui.screenshot('01-workflows-by-integration-id');

    // 2. The finished per-day export.
    await exportLink.click();
    await page.waitForURL((url) => url.pathname.includes(`/workflows/${encodeURIComponent(exportId)}/`));
    await page.getByTestId('workflow-id-heading').getByText(exportId).waitFor();
    expect((await page.getByTestId('execution-status').innerText()).trim().toLowerCase()).toBe('completed');
    // The timeline labels each activity with the summary the workflow gave it.
    // (A day this small fits one part: each table is one read-and-put activity.)
    await page.getByText('ua_events · read; one request if it fits one part').first().waitFor();
    await page.getByText('campaign_metrics · read; one request if it fits one part').first().waitFor();
    await ui.screenshot('02-finished-export');

    const meta = await openUserMetadata(page);
    await meta.summary.getByText(`Backfill export of ${day} (ua_events, campaign_metrics) for integration ${integration.id}`).waitFor();
    // Current details are read live from the workflow (a query the running worker answers).
    for (const f of exported.files) await meta.currentDetails.getByText(detailsLine(f)).first().waitFor();
    await ui.screenshot('03-finished-export-summary');
  });

  it('shows a running backfill with its progress, until it is cancelled', async () => {
    // Slow parts keep the backfill running: each table of each day takes at least 3 s.
    await worker?.stop();
    await h.startWorker({ partDelayMs: 3000 });
    const { page } = ui;
    const integration = await h.integration({ settings: { includeEventsWithoutProfile: true } });
    const from = '2026-04-01';
    const to = addDays(from, 4);
    for (let i = 0; i < 5; i++) {
      const day = addDays(from, i);
      await insertEvents(h.pool, eventsForDay(integration.appId, day, 3000, 100 + i));
      await insertMetrics(h.pool, metricsForDay(integration.appId, day, 3, 100 + i));
    }

    const started = await startBackfill(h.testEnv.client, {
      integrationId: integration.id,
      from,
      to,
      concurrency: 1,
      taskQueue: h.taskQueue,
      uiUrl: uiBase,
      namespace,
    });
    const backfill = h.testEnv.client.workflow.getHandle<typeof backfillWorkflow>(started.workflowId);
    cleanup.push(backfill);
    expect(started.uiUrl).toBe(workflowUiUrl(uiBase, namespace, started.workflowId));
    // Wait for the first day to finish so the progress has rows to show.
    await expect.poll(async () => (await backfill.query(backfillProgressQuery)).completedDays, { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(1);

    // The link the API hands out (BackfillHandleInfo.uiUrl) opens the running backfill.
    await page.goto(started.uiUrl);
    await page.getByTestId('workflow-id-heading').getByText(started.workflowId).waitFor();
    expect((await page.getByTestId('execution-status').innerText()).trim().toLowerCase()).toBe('running');
    // The timeline shows the per-day children by their summaries.
    await page.getByText(`Backfill export of ${from} (ua_events, campaign_metrics) for integration ${integration.id}`).first().waitFor();
    await ui.screenshot('04-running-backfill-timeline');

    const meta = await openUserMetadata(page);
    await meta.summary.getByText(`Backfill ${from} → ${to} (ua_events, campaign_metrics) for integration ${integration.id}`).waitFor();
    await meta.details.getByText('Exports 5 day(s), 1 at a time, each as its own per-day export workflow.').waitFor();
    const progress = meta.currentDetails.getByText(/[1-4] \/ 5 days · [\d.]+( k| M)? rows · [\d.]+ (KiB|MiB)/).first();
    await progress.waitFor();
    await meta.currentDetails.getByText(`running: ${from} → ${to} (ua_events, campaign_metrics)`).first().waitFor();
    expect((await backfill.describe()).status.name).toBe('RUNNING');
    await ui.screenshot('05-running-backfill-progress');

    // Cancel through the product's API and wait for the backfill (and its children) to close.
    await cancelBackfill(h.testEnv.client, integration.id, started.workflowId);
    const err = await backfill.result().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((await backfill.describe()).status.name).toBe('CANCELLED');
    // The per-day children were cancelled with it (visibility may lag a moment behind the close).
    const running = async () => {
      const ids: string[] = [];
      for await (const wf of h.testEnv.client.workflow.list({ query: `UaIntegrationId = '${integration.id}' AND ExecutionStatus = 'Running'` }))
        ids.push(wf.workflowId);
      return ids;
    };
    await expect.poll(running, { timeout: 15_000, interval: 250 }).toEqual([]);

    await page.reload();
    await page
      .getByTestId('execution-status')
      .getByText(/cancel/i)
      .waitFor();
    const after = await openUserMetadata(page);
    await after.currentDetails
      .getByText(/cancelled: /)
      .first()
      .waitFor();
    await ui.screenshot('06-cancelled-backfill');
  });
});
