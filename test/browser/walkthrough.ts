/**
 * The newcomer's walk through the console (issue 13's "Done when"), driven in Debian's Chromium:
 * open the console link `npm start` printed, set up a second integration to the local bucket through
 * the form, test its connection, export a date range and watch it finish. Not a test file (CI does
 * this in test/browser/console.test.ts against its own API): run it by hand against a running
 * `npm start`. It only uses the page, like a person would; screenshots go to
 * test-artifacts/screenshots/walkthrough-*.png.
 *
 *   bash scripts/run.sh tsx test/browser/walkthrough.ts '<console link>' <S3 endpoint> [bucket]
 *
 * The S3 endpoint and bucket are the ones `npm start` printed; the access key and secret default to
 * the local ones (LOCAL_S3_ACCESS_KEY_ID / LOCAL_S3_SECRET_ACCESS_KEY, see .env.example).
 */
import { randomUUID } from 'node:crypto';
import { openBrowser } from '../helpers/browser.js';

const [link, endpoint, bucket = 'ua-export-demo'] = process.argv.slice(2);
if (!link || !endpoint) {
  process.stderr.write("usage: tsx test/browser/walkthrough.ts '<console link>' <S3 endpoint> [bucket]\n");
  process.exit(2);
}
const accessKeyId = process.env.LOCAL_S3_ACCESS_KEY_ID ?? 'ua-export-local';
const secret = process.env.LOCAL_S3_SECRET_ACCESS_KEY ?? 'ua-export-local-secret';
const folder = `walkthrough-${randomUUID().slice(0, 8)}`;
const say = (msg: string) => process.stdout.write(`[walkthrough] ${msg}\n`);

const ui = await openBrowser();
const { page } = ui;
try {
  await page.goto(link);
  await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
  const rows = page.locator('table.integrations tbody tr');
  say(`opened ${new URL(link).origin}/console: ${await rows.count()} integration(s) listed`);
  // The demo app's data, so the export has rows to write.
  const appId = (await rows.first().locator('th').innerText()).trim();
  await ui.screenshot('walkthrough-1-list');

  await page.locator('.section-head').getByRole('link', { name: 'Set up an integration' }).click();
  await page.getByLabel('App ID').fill(appId);
  await page.getByLabel('Access Key ID').fill(accessKeyId);
  await page.getByLabel('Secret Access Key').fill(secret);
  await page.getByLabel('S3 Bucket Name').fill(bucket);
  await page.getByLabel('Folder Inside the Bucket').fill(folder);
  await page.getByLabel('S3 Endpoint URL').fill(endpoint);
  await ui.screenshot('walkthrough-2-form');
  await page.getByRole('button', { name: 'Create integration' }).click();
  await page.getByRole('heading', { name: `App ${appId}`, level: 1 }).waitFor();
  const id = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('integration');
  say(`created integration ${id} for app ${appId} → ${bucket}/${folder} at ${endpoint}`);

  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.locator('#probe-result').waitFor();
  const steps = await page.locator('#probe-result li').allInnerTexts();
  say(`test connection: ${(await page.locator('#probe-result p').first().innerText()).trim()}`);
  for (const s of steps) say(`  ${s.replace(/\s+/g, ' ').trim()}`);
  await ui.screenshot('walkthrough-3-tested');

  const from = await page.getByLabel('First day (UTC)').inputValue();
  const to = await page.getByLabel('Last day (UTC)').inputValue();
  const exportButton = page.locator('.range-form button[type="submit"]');
  say(`manual export ${from} → ${to}: clicking "${(await exportButton.innerText()).trim()}"`);
  const started = Date.now();
  await exportButton.click();
  const progress = page.locator('#export-progress');
  await progress.waitFor();
  for (;;) {
    const status = (await progress.locator('h3 span').innerText()).trim();
    const done = (await progress.locator('dd').first().innerText()).trim();
    say(`  ${Math.round((Date.now() - started) / 1000)} s: ${status}, ${done} days done`);
    if (status !== 'running' && status !== 'cancelling') break;
    await page.waitForTimeout(2000);
  }
  await page.locator('#export-files').waitFor();
  for (const r of await page.locator('#export-files tbody tr').all()) {
    const cells = (await r.locator('td').allInnerTexts()).map((c) => c.replace(/\s+/g, ' ').trim());
    say(
      `  ${cells.slice(0, 5).join(' | ')} | ${await r
        .locator('code.key')
        .innerText()
        .catch(() => '(no file)')}`,
    );
  }
  say(`status line: ${await page.locator('#status').innerText()}`);
  await ui.screenshot('walkthrough-4-exported');
} finally {
  await ui.close();
}
