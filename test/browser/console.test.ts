import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../../src/api/server.js';
import { eventsForDay, insertEvents, insertMetrics, metricsForDay } from '../../src/dev/generate.js';
import { addDays, utcDayOf } from '../../src/export/days.js';
import { objectKeys } from '../../src/export/keys.js';
import { createLogger } from '../../src/logging.js';
import { scheduleId } from '../../src/temporal/ids.js';
import { openBrowser, SCREENSHOT_DIR, type UiSession } from '../helpers/browser.js';
import { setupHarness, type Harness } from '../helpers/harness.js';

/**
 * The console in a real Chromium against the API on a real port, a real worker, Temporal and the local
 * S3: an integration set up through the form, its connection test passing, a 3-day manual export run
 * to completion with its files in the bucket, the integration turned off and its Temporal schedule
 * paused, all with the keyboard only; then a wrong secret failing the test with its message and the
 * API's validation shown next to the field. axe-core checks every view for WCAG A/AA violations.
 * Screenshots go to test-artifacts/screenshots/console-*.png.
 */
const TOKEN = `console-ui-${randomUUID()}`;
const TABLES = ['ua_events', 'campaign_metrics'] as const;
const TODAY = utcDayOf(new Date());
// The console's default manual-export range: the three days before today (UTC).
const DAYS = [addDays(TODAY, -3), addDays(TODAY, -2), addDays(TODAY, -1)];
const EVENTS = [40, 55, 70];

let h: Harness;
let api: RunningApi;
let ui: UiSession;
let axeSource: string;
const appId = randomUUID();
const folder = `console-${randomUUID().slice(0, 8)}`;
let integrationId: string | null = null;

beforeAll(async () => {
  h = await setupHarness('console-ui');
  await h.startWorker();
  const sink = new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
  api = await startApi({
    env: { ...h.env, TEMPORAL_TASK_QUEUE: h.taskQueue, API_HOST: '127.0.0.1', API_PORT: 0, API_TOKENS: TOKEN, LOG_LEVEL: 'warn' },
    pool: h.pool,
    keyring: h.keyring,
    client: h.testEnv.client,
    logger: createLogger('warn', sink),
  });
  ui = await openBrowser();
  axeSource = await readFile(join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  for (const [i, day] of DAYS.entries()) {
    await insertEvents(h.pool, eventsForDay(appId, day, EVENTS[i]!, 70 + i));
    await insertMetrics(h.pool, metricsForDay(appId, day, 2, 70 + i));
  }
});

afterEach(async ({ task }) => {
  if (task.result?.state === 'fail') await ui?.screenshot(`console-failed-${task.name}`).catch(() => undefined);
});

afterAll(async () => {
  // Through the API: it cancels anything still running, then removes the schedule and the row.
  if (integrationId) await fetch(`${api.url}/v1/integrations/${integrationId}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
  await ui?.close();
  await api?.close();
  await h?.close();
});

/** Status lines follow API calls that change Temporal schedules: allow them a loaded machine's time. */
const STATUS_WAIT = { timeout: 20_000 };

const shot = (name: string) => ui.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });

/** WCAG 2.x A and AA rules of axe-core on the page as it is now: the violations, by rule and element. */
async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') does not apply.
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }
    ).axe;
    const r = await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  return found;
}

/** Moves focus with Tab only until `target` has it: proof that a keyboard user can reach it. */
async function tabTo(page: Page, target: Locator, maxPresses = 120): Promise<void> {
  const handle = await target.elementHandle();
  if (!handle) throw new Error('tabTo: target not found');
  for (let i = 0; i < maxPresses; i++) {
    if (await handle.evaluate((el) => el === (el.ownerDocument as unknown as { activeElement: unknown }).activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`tabTo: not reached with ${maxPresses} Tab presses`);
}

/** Tab to a text input and type into it (replacing what it held). */
async function typeInto(page: Page, target: Locator, text: string): Promise<void> {
  await tabTo(page, target);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(text);
}

describe('console', () => {
  it('asks for a token when it has none, refuses a wrong one, and passes axe on the sign-in view', async () => {
    const page = await ui.context.newPage();
    try {
      await page.goto(`${api.url}/console`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await page.getByLabel('API token').fill('not-the-token');
      await page.getByRole('button', { name: 'Use token' }).click();
      await page.getByText('The API refused this token').waitFor();
      await page.getByLabel('API token').fill(TOKEN);
      await page.getByRole('button', { name: 'Use token' }).click();
      await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
    } finally {
      await page.close();
    }
  });

  it('sets up, tests, exports 3 days, and turns off an integration, with the keyboard only', async () => {
    const { page } = ui;
    await page.goto(`${api.url}/console#token=${encodeURIComponent(TOKEN)}`);
    await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
    // The token left the address bar: it was only ever in the fragment and is now in sessionStorage.
    expect(page.url()).toBe(`${api.url}/console`);
    expect(await axeViolations(page)).toEqual([]);
    await shot('console-01-list');

    // The list's own button, right after its heading (where focus lands): the page may already list
    // many integrations, and the header's link sits behind the focus point.
    await tabTo(page, page.locator('.section-head').getByRole('link', { name: 'Set up an integration' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Set up an integration', level: 2 }).waitFor();
    // The five dashboard fields, each found by its <label>.
    await typeInto(page, page.getByLabel('App ID'), appId);
    await typeInto(page, page.getByLabel('Access Key ID'), h.env.LOCAL_S3_ACCESS_KEY_ID);
    await typeInto(page, page.getByLabel('Secret Access Key'), h.env.LOCAL_S3_SECRET_ACCESS_KEY);
    expect(await page.getByLabel('Secret Access Key').getAttribute('type')).toBe('password');
    await typeInto(page, page.getByLabel('S3 Bucket Name'), h.bucket);
    await typeInto(page, page.getByLabel('Folder Inside the Bucket'), folder);
    await typeInto(page, page.getByLabel('S3 Endpoint URL'), h.env.LOCAL_S3_ENDPOINT);
    // Region and path-style sit under "Advanced"; the defaults suit the local S3.
    await tabTo(page, page.getByText('Advanced', { exact: true }));
    await page.keyboard.press('Enter');
    await page.getByLabel('Region').waitFor();
    expect(await page.getByLabel('Region').inputValue()).toBe('us-east-1');
    expect(await page.getByLabel('Path-style requests').isChecked()).toBe(true);
    await tabTo(page, page.getByLabel('Include events without profile'));
    await page.keyboard.press('Space');
    expect(await page.getByLabel('Include events without profile').isChecked()).toBe(true);
    expect(await page.getByLabel('All types, including ones added later').isChecked()).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await shot('console-02-form');
    await tabTo(page, page.getByRole('button', { name: 'Create integration' }));
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { name: `App ${appId}`, level: 1 }).waitFor();
    integrationId = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('integration');
    expect(integrationId).toMatch(/^[0-9a-f-]{36}$/);
    const { rows } = await h.pool.query<{ bucket: string; folder: string; settings: { includeEventsWithoutProfile: boolean; eventTypes: unknown } }>(
      'SELECT bucket, folder, settings FROM integrations WHERE id = $1',
      [integrationId],
    );
    expect(rows[0]).toMatchObject({ bucket: h.bucket, folder, settings: { includeEventsWithoutProfile: true, eventTypes: null } });
    await expect.poll(() => page.locator('#status').innerText(), STATUS_WAIT).toBe(`Integration created for app ${appId}.`);

    // Test connection: every probe step passes.
    await tabTo(page, page.getByRole('button', { name: 'Test connection' }));
    await page.keyboard.press('Enter');
    await page.getByText('Connection works.').waitFor();
    expect(await page.locator('.step.passed').count()).toBe(6);
    await expect.poll(() => page.locator('#status').innerText(), STATUS_WAIT).toBe('Connection test passed: every step succeeded.');

    // Manual export of the default range: the three days before today.
    expect(await page.getByLabel('First day (UTC)').inputValue()).toBe(DAYS[0]);
    expect(await page.getByLabel('Last day (UTC)').inputValue()).toBe(DAYS[2]);
    await tabTo(page, page.getByRole('button', { name: 'Export 3 days' }));
    await page.keyboard.press('Enter');
    const progress = page.locator('#export-progress');
    await progress.getByText('completed', { exact: true }).waitFor({ timeout: 60_000 });
    expect(await progress.getByText('3 of 3').count()).toBe(1);
    const files = page.locator('#export-files');
    await files.waitFor();
    for (const day of DAYS) {
      for (const table of TABLES) {
        const row = files.locator(`tr[data-day="${day}"][data-table="${table}"]`);
        expect(await row.locator('td').nth(2).innerText()).toBe('succeeded');
        const key = objectKeys(h.bucket, folder, table, day).dataKey;
        expect(await row.locator('code.key').innerText()).toBe(key);
        expect(await h.listKeys(key)).toEqual([key]);
      }
    }
    const eventsRow = files.locator(`tr[data-day="${DAYS[1]}"][data-table="ua_events"]`);
    expect(await eventsRow.locator('td').nth(3).innerText()).toBe(String(EVENTS[1]));
    // Its file through a presigned link, as the calendar gives it: the same bytes as in the bucket.
    await tabTo(page, eventsRow.getByRole('button', { name: 'Get download link' }));
    await page.keyboard.press('Enter');
    const link = eventsRow.locator('a.file-link');
    await link.waitFor();
    const downloaded = await (await fetch((await link.getAttribute('href'))!)).text();
    expect(downloaded).toBe(await h.getText(objectKeys(h.bucket, folder, 'ua_events', DAYS[1]!).dataKey));
    expect(downloaded.trimEnd().split('\n')).toHaveLength(EVENTS[1]! + 1);
    expect(await axeViolations(page)).toEqual([]);
    await shot('console-03-exported');

    // Off: the integration is disabled and its Temporal schedule paused.
    const toggle = page.locator(`#page-enabled-${integrationId}`);
    expect(await toggle.isChecked()).toBe(true);
    await tabTo(page, toggle);
    await page.keyboard.press('Space');
    await expect.poll(() => page.locator('#status').innerText(), STATUS_WAIT).toBe(`Integration for app ${appId} turned off: its schedule is paused.`);
    expect(await toggle.isChecked()).toBe(false);
    const described = await h.testEnv.client.schedule.getHandle(scheduleId(integrationId!)).describe();
    expect(described.state.paused).toBe(true);
    await page.locator('#schedule-state').getByText('Paused').waitFor();
    // The list says so too.
    await tabTo(page, page.getByRole('link', { name: 'All integrations' }));
    await page.keyboard.press('Enter');
    const listed = page.locator(`tr[data-id="${integrationId}"]`);
    await listed.waitFor();
    expect(await listed.locator('td').nth(4).innerText()).toBe('Off');
    expect(await listed.locator('td').nth(3).innerText()).toContain('Last export succeeded');
    expect(await listed.getByRole('link', { name: /^Calendar/ }).getAttribute('href')).toBe(`/calendar#integration=${integrationId}`);
    expect(decodeURIComponent((await listed.getByRole('link', { name: /^Runs in Temporal UI/ }).getAttribute('href'))!)).toContain(
      `/workflows?query=UaIntegrationId = '${integrationId}'`,
    );
    await shot('console-04-list-off');
  });

  it("shows a wrong secret's failed connection test, the API's validation next to its field, and pauses the schedule with a note", async () => {
    expect(integrationId).not.toBeNull();
    const { page } = ui;
    await page.goto(`${api.url}/console#integration=${integrationId}`);
    await page.getByRole('heading', { name: `App ${appId}`, level: 1 }).waitFor();
    // The stored secret is never shown: the field is empty, with a placeholder saying it is kept.
    const secret = page.getByLabel('Secret Access Key');
    expect(await secret.inputValue()).toBe('');
    expect(await secret.getAttribute('placeholder')).toContain('never shown');

    // A bucket name the API refuses: its rule appears under the field, nothing is saved.
    await page.getByLabel('S3 Bucket Name').fill('Not_A_Bucket');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const bucketError = page.locator('#f-bucket-error');
    await bucketError.waitFor();
    expect(await page.getByLabel('S3 Bucket Name').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('S3 Bucket Name').getAttribute('aria-describedby')).toContain('f-bucket-error');
    expect((await bucketError.innerText()).length).toBeGreaterThan(10);
    expect((await h.pool.query<{ bucket: string }>('SELECT bucket FROM integrations WHERE id = $1', [integrationId])).rows[0]!.bucket).toBe(h.bucket);
    await shot('console-05-validation');

    // A wrong secret: saved (it is write-only), then the connection test fails and says what to fix.
    await page.getByLabel('S3 Bucket Name').fill(h.bucket);
    await secret.fill('wrong-secret-for-the-console-test');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.locator('#status').innerText(), STATUS_WAIT).toBe('Changes saved.');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Connection failed.').waitFor();
    const failedStep = page.locator('.step.failed').first();
    expect(await failedStep.locator('.fix').innerText()).toContain('the secret access key does not match');
    await expect.poll(() => page.locator('#status').innerText(), STATUS_WAIT).toContain('Connection test failed');
    expect(await axeViolations(page)).toEqual([]);
    await shot('console-06-wrong-secret');

    // Schedule: on again, then paused with a note, which Temporal keeps on the schedule.
    await page.locator(`#page-enabled-${integrationId}`).click();
    await page.locator('#schedule-state').getByText('Active').waitFor();
    await page.getByLabel(/^Note/).fill('bucket migration');
    await page.getByRole('button', { name: 'Pause schedule' }).click();
    await page.locator('#schedule-state').getByText('Note: “bucket migration”.').waitFor();
    const paused = await h.testEnv.client.schedule.getHandle(scheduleId(integrationId!)).describe();
    expect(paused.state).toMatchObject({ paused: true, note: 'bucket migration' });

    // The range picker enforces the API's rules before sending: today is refused.
    await page.getByLabel('Last day (UTC)').fill(TODAY);
    await page.locator('#export-to-error').getByText('must be before today').waitFor();
    expect(await page.getByRole('button', { name: 'Export', exact: true }).isDisabled()).toBe(true);
  });
});
