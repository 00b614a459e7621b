import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';

/**
 * Browser tests drive Debian's Chromium (apt package `chromium`, installed by scripts/ensure-chromium.sh)
 * through playwright-core: Playwright never downloads a browser here.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots land here (git-ignored); CI keeps test-artifacts/ as the run's artifacts. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));

/** Default wait for anything the UI has to fetch and render. */
export const UI_TIMEOUT = 30_000;

// The machine has no network beyond package registries: without the background-networking flags
// Chromium keeps dialing Google services (and logging the refused connections). Playwright itself
// gives every launch a fresh temporary profile (--user-data-dir) and removes it on close.
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface UiSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Full-page screenshot of the current page to test-artifacts/screenshots/<name>.png; returns the path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<UiSession> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: run \`bash scripts/ensure-chromium.sh\` (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  // UTC so screenshots read the same on every machine.
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, timezoneId: 'UTC', locale: 'en-US' });
  context.setDefaultTimeout(UI_TIMEOUT);
  context.setDefaultNavigationTimeout(UI_TIMEOUT);
  const page = await context.newPage();
  return {
    browser,
    context,
    page,
    async screenshot(name) {
      const path = join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/** The Temporal Web UI's workflow list for a namespace, filtered by a visibility query. */
export function workflowsListUrl(uiBase: string, namespace: string, query: string): string {
  return `${uiBase.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/**
 * Waits until `locator` is visible, reloading the page every `reloadEveryMs` meanwhile: for what the UI
 * only fetches on load (visibility lists, a workflow's current details).
 */
export async function waitVisibleWithReload(page: Page, locator: Locator, opts: { timeout?: number; reloadEveryMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeout ?? UI_TIMEOUT);
  const every = opts.reloadEveryMs ?? 5_000;
  for (;;) {
    const left = deadline - Date.now();
    try {
      await locator.first().waitFor({ state: 'visible', timeout: Math.max(1, Math.min(every, left)) });
      return;
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await page.reload({ waitUntil: 'domcontentloaded' });
    }
  }
}

/**
 * The workflow page's "User Metadata" tab (Temporal UI 2.x): summary, details and current details, each
 * rendered as markdown in its own iframe. Opens the tab and returns the three frames.
 */
export async function openUserMetadata(page: Page): Promise<{ summary: FrameLocator; details: FrameLocator; currentDetails: FrameLocator }> {
  await page.getByTestId('user-metadata-tab').click();
  await page.getByTestId('user-metadata').waitFor({ state: 'visible' });
  return {
    summary: page.frameLocator('#user-metadata-summary'),
    details: page.frameLocator('#user-metadata-details'),
    currentDetails: page.frameLocator('#user-metadata-current-details'),
  };
}

let axeSource: string | undefined;

/** WCAG 2.x A and AA rules of axe-core on the page as it is now: the violations, by rule and element. */
export async function axeViolations(page: Page): Promise<string[]> {
  axeSource ??= await readFile(join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') does not apply.
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }
    ).axe;
    const r = await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}
