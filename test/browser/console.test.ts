import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../../src/api/server.js';
import { eventsForDay, insertEvents, insertMetrics, metricsForDay } from '../../src/dev/generate.js';
import { addDays, utcDayOf } from '../../src/export/days.js';
import { EVENT_TYPE_GROUPS, EVENT_TYPES } from '../../src/export/event-types.js';
import { objectKeys } from '../../src/export/keys.js';
import { recordPaused } from '../../src/ops/schedule-pauses.js';
import { createLogger } from '../../src/logging.js';
import { scheduleId } from '../../src/temporal/ids.js';
import { axeViolations, openBrowser, SCREENSHOT_DIR, type UiSession } from '../helpers/browser.js';
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
const appId = randomUUID();
const folder = `console-${randomUUID().slice(0, 8)}`;
let integrationId: string | null = null;
// The second integration: csv_gzip, an alert webhook and chosen event groups, set up through the form.
let secondId: string | null = null;
const secondFolder = `console-gz-${randomUUID().slice(0, 8)}`;
// The alert webhook's receiver: what it was sent.
let receiver: Server;
let receiverUrl: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

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
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/ua-export`;
  ui = await openBrowser();
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
  for (const id of [integrationId, secondId]) {
    if (id) await fetch(`${api.url}/v1/integrations/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
  }
  await new Promise((resolve) => receiver?.close(resolve));
  await ui?.close();
  await api?.close();
  await h?.close();
});

/** Status lines follow API calls that change Temporal schedules: allow them a loaded machine's time. */
const STATUS_WAIT = { timeout: 20_000 };

/** An API call with the test's token, for checking what the console saved. */
async function apiGet<T>(path: string): Promise<T> {
  const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

const shot = (name: string) => ui.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });

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
    expect(await page.locator('#part-checksum').innerText()).toBe(
      'Uploaded parts will carry CRC32 checksums: this provider refused a wrong one, and the connection is TLS or loopback.',
    );
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
    await page.locator('#schedule-pauses').getByText('still paused: “bucket migration”').waitFor();
    const paused = await h.testEnv.client.schedule.getHandle(scheduleId(integrationId!)).describe();
    expect(paused.state).toMatchObject({ paused: true, note: 'bucket migration' });

    // The range picker enforces the API's rules before sending: today is refused.
    await page.getByLabel('Last day (UTC)').fill(TODAY);
    await page.locator('#export-to-error').getByText('must be before today').waitFor();
    expect(await page.getByRole('button', { name: 'Export', exact: true }).isDisabled()).toBe(true);
  });

  it('sets up csv_gzip, an alert webhook and chosen event groups; what the API stores matches the toggles', async () => {
    const { page } = ui;
    await page.goto(`${api.url}/console#new`);
    await page.getByRole('heading', { name: 'Set up an integration', level: 2 }).waitFor();
    await page.getByLabel('App ID').fill(appId);
    await page.getByLabel('Access Key ID').fill(h.env.LOCAL_S3_ACCESS_KEY_ID);
    await page.getByLabel('Secret Access Key').fill(h.env.LOCAL_S3_SECRET_ACCESS_KEY);
    await page.getByLabel('S3 Bucket Name').fill(h.bucket);
    await page.getByLabel('Folder Inside the Bucket').fill(secondFolder);
    await page.getByLabel('S3 Endpoint URL').fill(h.env.LOCAL_S3_ENDPOINT);

    // Delivery format: compression is offered for Parquet only.
    expect(await page.getByLabel('File format').inputValue()).toBe('csv');
    await page.getByLabel('File format').selectOption('parquet');
    expect(await page.getByLabel('Parquet compression').inputValue()).toBe('zstd');
    await page.getByLabel('File format').selectOption('csv_gzip');
    expect(await page.getByLabel('Parquet compression').count()).toBe(0);
    await page.getByLabel('Look-back days').fill('5');
    expect(await page.getByLabel('Pause after failed days').inputValue()).toBe('3');
    await page.getByLabel('Webhook URL').fill(receiverUrl);
    await page.getByLabel('Message format').selectOption('slack');
    await page.getByLabel('Signing secret').fill('console-alert-secret');
    expect(await page.getByLabel('Signing secret').getAttribute('type')).toBe('password');

    // Event types: from "all, including later" to every type listed, then a group off and one type off.
    const all = page.locator('#event-types-all');
    expect(await all.isChecked()).toBe(true);
    expect(await page.locator('#group-install').count()).toBe(0);
    await all.uncheck();
    for (const g of EVENT_TYPE_GROUPS) expect(await page.locator(`#group-${g.group}`).isChecked(), g.group).toBe(true);
    expect(await page.locator('input[id^="type-"]:checked').count()).toBe(EVENT_TYPES.length);
    await page.locator('#group-trial').uncheck();
    for (const t of EVENT_TYPE_GROUPS[1].types) expect(await page.locator(`#type-${t}`).isChecked(), t).toBe(false);
    await page.locator('#type-subscription_paused').uncheck();
    // A group with some of its types on is shown as mixed.
    expect(await page.locator('#group-subscription').evaluate((el) => (el as unknown as { indeterminate: boolean }).indeterminate)).toBe(true);
    expect(await page.getByLabel('All subscriptions (9 of 10)').count()).toBe(1);
    expect(await axeViolations(page)).toEqual([]);
    await shot('console-07-new-fields');
    await page.getByRole('button', { name: 'Create integration' }).click();

    await page.getByRole('heading', { name: `App ${appId}`, level: 1 }).waitFor();
    secondId = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('integration');
    expect(secondId).toMatch(/^[0-9a-f-]{36}$/);
    const trial: readonly string[] = EVENT_TYPE_GROUPS[1].types;
    const saved = await apiGet<Record<string, unknown> & { settings: { eventTypes: string[] | null } }>(`/v1/integrations/${secondId}`);
    // The API keeps the list in its own order: compare as sets.
    expect([...saved.settings.eventTypes!].sort()).toEqual(EVENT_TYPES.filter((t) => !trial.includes(t) && t !== 'subscription_paused').sort());
    expect(saved).toMatchObject({
      format: 'csv_gzip',
      compression: null,
      lookbackDays: 5,
      autoPauseAfterFailedDays: 3,
      alerts: { format: 'slack', hasSecret: true },
    });
    // The webhook comes back masked and the secret not at all.
    expect(JSON.stringify(saved)).not.toContain('console-alert-secret');
    expect((saved.alerts as { webhookUrl: string }).webhookUrl).not.toBe(receiverUrl);

    // On the settings form: the toggles as saved, the secret and URL empty with what is kept.
    expect(await page.locator('#event-types-all').isChecked()).toBe(false);
    expect(await page.locator('#group-trial').isChecked()).toBe(false);
    expect(await page.locator('#type-subscription_paused').isChecked()).toBe(false);
    expect(await page.locator('#type-install').isChecked()).toBe(true);
    expect(await page.getByLabel('File format').inputValue()).toBe('csv_gzip');
    expect(await page.getByLabel('Signing secret').inputValue()).toBe('');
    expect(await page.getByLabel('Signing secret').getAttribute('placeholder')).toContain('never shown');
    expect(await page.getByLabel('Webhook URL').inputValue()).toBe('');
  });

  it("sends a test alert, shows a bad webhook URL's API message next to it, and goes back to all event types", async () => {
    expect(secondId).not.toBeNull();
    const { page } = ui;
    await page.goto(`${api.url}/console#integration=${secondId}`);
    await page.getByRole('heading', { name: `App ${appId}`, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Send test alert' }).click();
    await page.locator('#alert-test-result').getByText('Delivered: the receiver answered 204', { exact: false }).waitFor();
    // The receiver got it as a signed Slack message.
    expect(received).toHaveLength(1);
    expect(received[0]!.headers['x-ua-export-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(received[0]!.headers['x-ua-export-delivery']).toMatch(/^alert\.test:/);
    expect(JSON.parse(received[0]!.body)).toHaveProperty('text');

    // A webhook the API refuses: its rule under the Webhook URL field; nothing saved.
    const url = page.getByLabel('Webhook URL');
    await url.fill('http://169.254.169.254/latest/hook');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const error = page.locator('#f-alerts-webhookUrl-error');
    await error.waitFor();
    expect(await error.innerText()).toContain('must not resolve to a cloud instance-metadata address');
    expect(await url.getAttribute('aria-invalid')).toBe('true');
    expect(await url.getAttribute('aria-describedby')).toContain('f-alerts-webhookUrl-error');
    expect(await axeViolations(page)).toEqual([]);
    await shot('console-08-webhook-refused');

    // A new secret with no URL: said before anything is sent.
    await url.fill('');
    await page.getByLabel('Signing secret').fill('another-secret');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await error.getByText('type the webhook URL again').waitFor();
    await page.getByLabel('Signing secret').fill('');

    // Back to every type, including ones added later: the API stores null again.
    await page.locator('#event-types-all').check();
    expect(await page.locator('#group-trial').count()).toBe(0);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.locator('#status').innerText(), STATUS_WAIT).toBe('Changes saved.');
    const saved = await apiGet<{ settings: { eventTypes: unknown }; alerts: { hasSecret: boolean } }>(`/v1/integrations/${secondId}`);
    expect(saved.settings.eventTypes).toBeNull();
    expect(saved.alerts.hasSecret).toBe(true);
  });

  it('shows an auto-paused schedule in the list and the panel, and resumes it with catch-up of the missed days', async () => {
    expect(secondId).not.toBeNull();
    const { page } = ui;
    // What the daily run does after repeated configuration failures (workflows/scheduled-export.ts):
    // failed days in the ledger, the auto-pause mark, the schedule paused and the pause recorded.
    const missed = DAYS[0]!;
    for (const table of TABLES) {
      await h.pool.query(
        `INSERT INTO export_runs (integration_id, table_name, day, workflow_id, run_id, kind, status, error, finished_at)
         VALUES ($1, $2, $3, $4, 'r1', 'scheduled', 'failed', 'the secret access key does not match', now())`,
        [secondId, table, missed, `console-test-failed-day-${secondId}`],
      );
    }
    await h.pool.query(
      `UPDATE integrations SET auto_paused_at = now(), auto_paused_since_day = $2, auto_pause_reason = 'the secret access key does not match' WHERE id = $1`,
      [secondId, missed],
    );
    await h.testEnv.client.schedule.getHandle(scheduleId(secondId!)).pause('auto-paused by the console test');
    await recordPaused(h.pool, secondId!, 'auto-paused by the console test');

    await page.goto(`${api.url}/console`);
    const listed = page.locator(`tr[data-id="${secondId}"]`);
    await listed.waitFor();
    expect(await listed.locator('td').nth(4).innerText()).toBe(`Auto-paused since ${missed}: the secret access key does not match`);
    await listed.getByRole('link', { name: appId, exact: true }).click();
    await page.getByRole('heading', { name: `App ${appId}`, level: 1 }).waitFor();
    await page.locator('#auto-paused').getByText(`Auto-paused since ${missed}`).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await shot('console-09-auto-paused');

    await page.getByRole('button', { name: 'Resume and catch up missed days' }).click();
    const catchUp = page.locator('#catch-up');
    // Every day from the auto-pause's first failed day to yesterday is undelivered: all three.
    await catchUp.getByText(`Catching up ${missed} → ${DAYS[2]} (3 missed of 3 days)`).waitFor(STATUS_WAIT);
    const href = await catchUp.getByRole('link').getAttribute('href');
    const backfillId = decodeURIComponent(href!.split('/').at(-1)!);
    expect((await h.testEnv.client.schedule.getHandle(scheduleId(secondId!)).describe()).state.paused).toBe(false);
    // The catch-up backfill runs live under Manual export, to completion, in the integration's format.
    const progress = page.locator('#export-progress');
    await progress.getByText('completed', { exact: true }).waitFor({ timeout: 60_000 });
    expect((await h.testEnv.client.workflow.getHandle(backfillId).describe()).status.name).toBe('COMPLETED');
    const key = await page.locator(`#export-files tr[data-day="${missed}"][data-table="ua_events"] code.key`).innerText();
    expect(key).toBe(objectKeys(h.bucket, secondFolder, 'ua_events', missed, 'csv_gzip').dataKey);
    expect(key.endsWith('.csv.gz')).toBe(true);
    expect(await h.listKeys(key)).toEqual([key]);
    // The mark is gone: the page and the list say the schedule runs again.
    await expect.poll(() => page.locator('#auto-paused').count(), STATUS_WAIT).toBe(0);
    // The pause it ended is listed, closed, with the auto-pause's note.
    const pause = await page.locator('#schedule-pauses li').first().innerText();
    expect(pause).toContain('“auto-paused by the console test”');
    expect(pause).not.toContain('still paused');
    expect(await axeViolations(page)).toEqual([]);
    await shot('console-10-caught-up');
  });

  it('cancels a longer manual export: the backfill shows cancelled in the page and in Temporal', async () => {
    expect(integrationId).not.toBeNull();
    const { page } = ui;
    await page.goto(`${api.url}/console#integration=${integrationId}`);
    await page.getByRole('heading', { name: `App ${appId}`, level: 1 }).waitFor();
    // Sixty days before the test's data: long enough that it is still running when cancelled.
    await page.getByLabel('First day (UTC)').fill(addDays(TODAY, -64));
    await page.getByLabel('Last day (UTC)').fill(addDays(TODAY, -5));
    await page.getByRole('button', { name: 'Export 60 days' }).click();
    const progress = page.locator('#export-progress');
    await progress.getByText('running', { exact: true }).waitFor();
    const href = await progress.getByRole('link', { name: 'Backfill workflow in Temporal UI' }).getAttribute('href');
    const backfillId = decodeURIComponent(href!.split('/').at(-1)!);
    await progress.getByRole('button', { name: 'Cancel export' }).click();
    await progress.getByText('cancelled', { exact: true }).waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('#status').innerText(), STATUS_WAIT).toMatch(/^Export .* cancelled: \d+ of 60 days done/);
    expect((await h.testEnv.client.workflow.getHandle(backfillId).describe()).status.name).toBe('CANCELLED');
    expect(await progress.getByRole('button', { name: 'Cancel export' }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await shot('console-11-cancelled');
  });
});
