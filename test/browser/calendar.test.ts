import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { WorkflowHandle } from '@temporalio/client';
import type { Download, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../../src/api/server.js';
import { startBackfill } from '../../src/backfills/service.js';
import { eventsForDay, insertEvents, insertMetrics, metricsForDay } from '../../src/dev/generate.js';
import { addDays, utcDayOf } from '../../src/export/days.js';
import { objectKeys } from '../../src/export/keys.js';
import type { Integration } from '../../src/integrations/repo.js';
import { ledgerForRange, recordRunFinish, recordRunStart } from '../../src/ledger/export-runs.js';
import { createLogger } from '../../src/logging.js';
import { backfillWorkflowId, exportWorkflowId } from '../../src/temporal/ids.js';
import { formatBytes, formatCount } from '../../src/temporal/format.js';
import { workflowUiUrl } from '../../src/temporal/links.js';
import type { backfillWorkflow } from '../../workflows/index.js';
import { axeViolations, openBrowser, SCREENSHOT_DIR, type UiSession } from '../helpers/browser.js';
import { setupHarness, type Harness } from '../helpers/harness.js';

/**
 * The export calendar page in a real Chromium, against the API listening on a real port and real
 * exports: the overview strips, an integration's month grid with the right state per day, its
 * workflow and file links, and a backfill of two missing days started from the page until they are
 * exported. Screenshots go to test-artifacts/screenshots/calendar-*.png.
 */
const TOKEN = `calendar-ui-${randomUUID()}`;
const TABLES = ['ua_events', 'campaign_metrics'] as const;

let h: Harness;
let api: RunningApi;
let ui: UiSession;
const logs: string[] = [];
const cleanup: WorkflowHandle[] = [];

let integration: Integration;
// Days relative to yesterday (UTC), so they sit in the page's default range (the last 731 days).
const Y = addDays(utcDayOf(new Date()), -1);
const exported = [addDays(Y, -12), addDays(Y, -11), addDays(Y, -10)];
const empty = addDays(Y, -9);
const failed = addDays(Y, -8);
const missing = [addDays(Y, -7), addDays(Y, -6)];
const eventCounts = [120, 250, 40];

beforeAll(async () => {
  h = await setupHarness('calendar-ui');
  await h.startWorker();
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  api = await startApi({
    env: { ...h.env, TEMPORAL_TASK_QUEUE: h.taskQueue, API_HOST: '127.0.0.1', API_PORT: 0, API_TOKENS: TOKEN, LOG_LEVEL: 'info' },
    pool: h.pool,
    keyring: h.keyring,
    client: h.testEnv.client,
    logger: createLogger('info', sink),
  });
  ui = await openBrowser();

  // Three days with data and one without, exported for real by a backfill on the worker.
  integration = await h.integration({ settings: { includeEventsWithoutProfile: true } });
  for (const [i, day] of exported.entries()) {
    await insertEvents(h.pool, eventsForDay(integration.appId, day, eventCounts[i]!, 30 + i));
    await insertMetrics(h.pool, metricsForDay(integration.appId, day, 2 + i, 30 + i));
  }
  const seeded = await startBackfill(h.testEnv.client, {
    integrationId: integration.id,
    from: exported[0]!,
    to: empty,
    concurrency: 4,
    taskQueue: h.taskQueue,
    uiUrl: h.env.TEMPORAL_UI_URL,
    namespace: h.env.TEMPORAL_NAMESPACE,
  });
  const seededHandle = h.testEnv.client.workflow.getHandle<typeof backfillWorkflow>(seeded.workflowId);
  cleanup.push(seededHandle);
  expect((await seededHandle.result()).completedDays).toBe(4);
  // A failed day, as the ledger records one.
  for (const table of TABLES) {
    const run = { integrationId: integration.id, table, day: failed, workflowId: exportWorkflowId(integration.id, failed), runId: randomUUID() };
    const keys = objectKeys(integration.bucket, integration.folder, table, failed);
    await recordRunStart(h.pool, { ...run, kind: 'backfill', objectKey: keys.dataKey, manifestKey: keys.manifestKey });
    await recordRunFinish(h.pool, run, { status: 'failed', error: 'SlowDown: simulated storage failure' });
  }
  // Two missing days that have data, for the page to backfill.
  for (const [i, day] of missing.entries()) {
    await insertEvents(h.pool, eventsForDay(integration.appId, day, 60 + i, 50 + i));
    await insertMetrics(h.pool, metricsForDay(integration.appId, day, 2, 50 + i));
  }
});

afterEach(async ({ task }) => {
  if (task.result?.state === 'fail') await ui?.screenshot(`calendar-failed-${task.name}`).catch(() => undefined);
});

afterAll(async () => {
  for (const handle of cleanup) {
    const d = await handle.describe().catch(() => null);
    if (d?.status.name === 'RUNNING') await handle.terminate('calendar test cleanup').catch(() => undefined);
  }
  await ui?.close();
  await api?.close();
  await h?.close();
});

const viewportShot = (name: string) => ui.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
/** The integration's panel from its top, as a viewport-sized screenshot (the full page is ~5000 px tall). */
const detailShot = async (name: string) => {
  await ui.page.locator('#detail').evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
  await viewportShot(name);
};

describe('export calendar page', () => {
  it('asks for a token when it has none, and refuses a wrong one', async () => {
    const page = await ui.context.newPage();
    try {
      await page.goto(`${api.url}/calendar`);
      await page.locator('#login').waitFor({ state: 'visible' });
      await page.locator('#token').fill('not-the-token');
      await page.getByRole('button', { name: 'Use token' }).click();
      await page.getByText('The API refused this token').waitFor();
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'calendar-00-login.png') });
      await page.locator('#token').fill(TOKEN);
      await page.getByRole('button', { name: 'Use token' }).click();
      await page.locator(`.row[data-id="${integration.id}"]`).waitFor();
    } finally {
      await page.close();
    }
  });

  it('draws every integration as a strip, then one integration as a month grid with rows, sizes and links', async () => {
    const { page } = ui;
    await page.goto(`${api.url}/calendar#token=${encodeURIComponent(TOKEN)}`);
    const row = page.locator(`.row[data-id="${integration.id}"]`);
    await row.waitFor();
    await page.waitForFunction(() => (globalThis as { document?: { body: { dataset: Record<string, string> } } }).document?.body.dataset.overview === 'drawn');
    // The token left the address bar (and never reached the server: it was only in the fragment).
    expect(page.url()).toBe(`${api.url}/calendar`);
    const m = await page.evaluate<Record<string, number>>('window.__calendar.metrics');
    console.log(
      `calendar overview: ${m.rows} integrations × ${m.days} days fetched in ${m.fetchMs} ms, drawn in ${m.overviewRenderMs} ms (${m.overviewPaintMs} ms to the painted frame)`,
    );
    expect(m.days).toBe(731);
    const { rows: count } = await h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM integrations');
    expect(m.rows).toBe(count[0]!.n);
    expect(await row.locator('.counts').innerText()).toBe('1 failed · 726 missing');
    await viewportShot('calendar-01-overview');

    // Filtering narrows the list to this integration.
    await page.locator('#filter').fill(integration.appId);
    await expect.poll(() => page.locator('.row').count()).toBe(1);
    await viewportShot('calendar-02-overview-filtered');

    await row.locator('.name').click();
    const cell = (day: string) => page.locator(`#months .day[data-day="${day}"]`);
    await cell(exported[0]!).waitFor();
    expect(page.url()).toBe(`${api.url}/calendar#integration=${integration.id}`);

    const ledger = await ledgerForRange(h.pool, integration.id, exported[0]!, Y, [...TABLES]);
    const sum = (day: string, f: 'rows' | 'bytes') => ledger.filter((e) => e.day === day).reduce((s, e) => s + (e[f] ?? 0), 0);
    for (const [i, day] of exported.entries()) {
      const c = cell(day);
      expect(await c.getAttribute('class')).toContain('s-x');
      expect(await c.getAttribute('data-state')).toBe('exported');
      expect(await c.locator('.l').innerText()).toBe('X');
      expect(await c.locator('.n').innerText()).toBe(`${formatCount(sum(day, 'rows'))} rows`);
      expect(await c.locator('.b').innerText()).toBe(formatBytes(sum(day, 'bytes')));
      expect(await c.getAttribute('title')).toContain(`ua_events: succeeded · ${eventCounts[i]} rows`);
    }
    expect(await cell(empty).getAttribute('data-state')).toBe('empty');
    expect(await cell(empty).locator('.l').innerText()).toBe('E');
    expect(await cell(empty).locator('.n').innerText()).toBe('0 rows');
    expect(await cell(failed).getAttribute('data-state')).toBe('failed');
    expect(await cell(failed).locator('.l').innerText()).toBe('F');
    expect(await cell(failed).getAttribute('title')).toContain('SlowDown: simulated storage failure');
    for (const day of [...missing, Y]) {
      expect(await cell(day).getAttribute('data-state')).toBe('missing');
      expect(await cell(day).locator('.l').innerText()).toBe('M');
    }
    // Only missing and failed days can be selected for a backfill.
    expect(await cell(exported[0]!).getAttribute('class')).not.toContain('selectable');
    expect(await cell(failed).getAttribute('class')).toContain('selectable');
    expect(await cell(missing[0]!).getAttribute('class')).toContain('selectable');

    // A day's detail: rows and size per table, its workflow in the Temporal UI, its files.
    const day = exported[1]!;
    await cell(day).click();
    const info = page.locator('#day-info');
    await info.getByText(`${day} · exported`).waitFor();
    await info.getByText(`${sum(day, 'rows').toLocaleString('en-US')} rows · ${formatBytes(sum(day, 'bytes'))} in 2 files`).waitFor();
    const entry = ledger.find((e) => e.day === day && e.table === 'ua_events')!;
    expect(entry.workflowId).toBe(exportWorkflowId(integration.id, day));
    const wf = info.locator('a.wf-link');
    expect(await wf.count()).toBe(1);
    expect(await wf.getAttribute('href')).toBe(workflowUiUrl(h.env.TEMPORAL_UI_URL, h.env.TEMPORAL_NAMESPACE, entry.workflowId!, entry.runId!));
    expect(await wf.getAttribute('href')).toMatch(
      new RegExp(`^${escapeRe(workflowUiUrl(h.env.TEMPORAL_UI_URL, h.env.TEMPORAL_NAMESPACE, exportWorkflowId(integration.id, day)))}/`),
    );
    await detailShot('calendar-03-integration');

    // The file link: a presigned URL the page opens, downloading the exact bytes in the bucket.
    const downloaded = new Promise<{ download: Download; tab: Page }>((resolve) =>
      ui.context.once('page', (tab) => tab.once('download', (download) => resolve({ download, tab }))),
    );
    await info.locator('.tbl[data-table="ua_events"]').getByRole('button', { name: 'Download CSV' }).click();
    const { download, tab } = await downloaded;
    expect(download.suggestedFilename()).toBe(`ua_events_${day}.csv`);
    expect(download.url()).toContain(entry.key!.split('/').map(encodeURIComponent).join('/'));
    const bytes = await readFile(await download.path());
    expect(bytes.equals(await h.getBytes(entry.key!))).toBe(true);
    // Back to the calendar's tab: a tab in the background gets no animation frames.
    await tab.close();
    await page.bringToFront();
    await page.locator('#status').getByText(`Link to ${entry.key} issued`).waitFor();
  });

  it('backfills the selected missing days from the page until they are exported', async () => {
    const { page } = ui;
    const cell = (day: string) => page.locator(`#months .day[data-day="${day}"]`);
    const backfill = page.locator('#backfill');
    expect(await backfill.isDisabled()).toBe(true);

    // A failed day toggles on and off; exported days never select.
    await cell(failed).click();
    expect(await cell(failed).getAttribute('aria-pressed')).toBe('true');
    await cell(failed).click();
    expect(await cell(failed).getAttribute('aria-pressed')).toBe('false');
    await cell(exported[0]!).click();
    expect(await cell(exported[0]!).getAttribute('class')).not.toContain('selected');

    for (const day of missing) await cell(day).click();
    for (const day of missing) expect(await cell(day).getAttribute('class')).toContain('selected');
    expect(await backfill.innerText()).toBe('Backfill 2 selected days (1 range)');
    expect(await backfill.isEnabled()).toBe(true);
    await detailShot('calendar-04-selected');

    await backfill.click();
    const link = page.locator('#backfill-results a.bf-link');
    await link.waitFor();
    const backfillId = backfillWorkflowId(integration.id, missing[0]!, missing[1]!, 'all');
    expect(await link.getAttribute('href')).toBe(workflowUiUrl(h.env.TEMPORAL_UI_URL, h.env.TEMPORAL_NAMESPACE, backfillId));
    await page.locator('#backfill-results').getByText(`Backfill of ${missing[0]} → ${missing[1]} (2 days) started`).waitFor();
    // The backfill exists in Temporal and exports both days.
    const handle = h.testEnv.client.workflow.getHandle<typeof backfillWorkflow>(backfillId);
    cleanup.push(handle);
    expect((await handle.describe()).status.name).toMatch(/RUNNING|COMPLETED/);
    expect((await handle.result()).completedDays).toBe(2);

    // The page refreshes the ledger by itself: the two days turn exported, in the grid and the strip.
    for (const day of missing) await page.locator(`#months .day[data-day="${day}"][data-state="exported"]`).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator(`.row[data-id="${integration.id}"] .counts`).innerText()).toBe('1 failed · 724 missing');
    const after = await ledgerForRange(h.pool, integration.id, missing[0]!, missing[1]!, [...TABLES]);
    expect(after.map((e) => e.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(await backfill.isDisabled()).toBe(true);
    await cell(missing[0]!).click();
    await page.locator('#day-info').getByText(`${missing[0]} · exported`).waitFor();
    await detailShot('calendar-05-backfilled');
    await ui.screenshot('calendar-06-full-page');
  });

  it('never logs the token or a secret', () => {
    expect(logs.length).toBeGreaterThan(5);
    for (const line of logs) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain(h.env.LOCAL_S3_SECRET_ACCESS_KEY);
    }
  });

  it('follows nextCursor through many small pages and draws every integration once, in app-id order', async () => {
    // Enough integrations for several pages of 3, the last one short.
    const count = async () => (await h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM integrations')).rows[0]!.n;
    while ((await count()) < 8 || (await count()) % 3 === 0) await h.integration();
    const { rows } = await h.pool.query<{ id: string }>('SELECT id FROM integrations ORDER BY app_id, id');
    const page = await ui.context.newPage();
    try {
      const requests: URL[] = [];
      page.on('request', (r) => {
        const url = new URL(r.url());
        if (url.pathname === '/v1/calendar') requests.push(url);
      });
      await page.goto(`${api.url}/calendar?limit=3#token=${encodeURIComponent(TOKEN)}`);
      await page.waitForFunction(
        () => (globalThis as { document?: { body: { dataset: Record<string, string> } } }).document?.body.dataset.overview === 'drawn',
      );
      const drawn = await page.locator('#rows .row').evaluateAll((els) => els.map((el) => el.getAttribute('data-id')));
      expect(drawn).toEqual(rows.map((r) => r.id));
      // One request per page, each of 3, every one after the first with the cursor the one before gave.
      const pages = Math.ceil(rows.length / 3);
      expect(requests).toHaveLength(pages);
      expect(requests.map((u) => u.searchParams.get('limit'))).toEqual(Array(pages).fill('3'));
      expect(requests.map((u) => u.searchParams.has('cursor'))).toEqual([false, ...Array(pages - 1).fill(true)]);
      expect(new Set(requests.map((u) => u.searchParams.get('cursor'))).size).toBe(pages);
      expect(await page.evaluate<number>('window.__calendar.metrics.pages')).toBe(pages);
      expect(page.url()).toBe(`${api.url}/calendar?limit=3`);
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'calendar-07-pages.png') });
    } finally {
      await page.close();
    }
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
