import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { PROJECT_ROOT } from '../../../paths.js';
import { StartBackfillBody } from '../../schemas/backfills.js';
import { CreateIntegrationBody, PatchIntegrationBody } from '../../schemas/integrations.js';
import { pageCsp, readPageAssets, servePageAssets, type PageAsset } from '../page-assets.js';

/**
 * The console's shell: its HTML, ES modules and stylesheet from src/api/console/, and the UI library
 * (Preact, its hooks, htm) served from node_modules under /console/vendor/, all read once at start.
 * They hold no data, so they need no token; the page reads the token from the URL fragment (never sent
 * to the server) or asks for it, and calls /v1 with it. No CDN and no build step: the browser loads
 * the modules as they are, and the import map in index.html names the vendored files.
 */
export const CONSOLE_DIR = path.join(PROJECT_ROOT, 'src', 'api', 'console');

/** The vendored modules: URL under /console/vendor/ → file in node_modules. */
export const VENDOR = {
  'preact.mjs': 'preact/dist/preact.mjs',
  'hooks.mjs': 'preact/hooks/dist/hooks.mjs',
  'htm.mjs': 'htm/dist/htm.mjs',
} as const;

/** The inline import map is the page's only inline script: the CSP allows exactly its bytes by hash. */
export function importMapHash(html: string): string {
  const m = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('src/api/console/index.html has no import map');
  return `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`;
}

/** Only the page's own files and the API's own origin; the import map is the one inline script allowed. */
export function consoleCsp(html: string): string {
  return pageCsp([importMapHash(html)]);
}

export async function consoleAssets(): Promise<PageAsset[]> {
  const assets = await readPageAssets(CONSOLE_DIR, '/console');
  for (const [name, file] of Object.entries(VENDOR)) {
    assets.push({
      url: `/console/vendor/${name}`,
      body: await readFile(path.join(PROJECT_ROOT, 'node_modules', file)),
      type: 'text/javascript; charset=utf-8',
    });
  }
  return assets;
}

/**
 * The API's own TypeBox schemas (JSON Schema) for the bodies the console sends: the form sends only
 * fields the schema has, and the page reads the tables from the backfill schema, so the page and the
 * API cannot drift apart silently.
 */
export const CONSOLE_SCHEMAS = {
  createIntegration: CreateIntegrationBody,
  patchIntegration: PatchIntegrationBody,
  startBackfill: StartBackfillBody,
};

const consoleShell: FastifyPluginAsync = async (app) => {
  const assets = await consoleAssets();
  const html = assets.find((a) => a.url === '/console');
  if (!html) throw new Error('src/api/console/index.html is missing');
  const csp = consoleCsp(html.body.toString('utf8'));
  servePageAssets(app, assets, { url: '/console', csp });
  const schemas = JSON.stringify(CONSOLE_SCHEMAS);
  app.get('/console/schemas.json', { schema: { hide: true } }, async (_req, reply) =>
    reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-cache').send(schemas),
  );
};

export default consoleShell;
