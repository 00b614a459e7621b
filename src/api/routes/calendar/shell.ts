import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { PROJECT_ROOT } from '../../../paths.js';
import { pageCsp, readPageAssets, servePageAssets } from '../page-assets.js';

/**
 * The calendar page's shell: HTML, one script and one stylesheet from src/api/calendar/, read once at
 * start. They hold no data, so they need no token; the script reads the token from the URL fragment
 * (never sent to the server) or asks for it, and calls /v1 with it.
 */
export const ASSET_DIR = path.join(PROJECT_ROOT, 'src', 'api', 'calendar');

const shell: FastifyPluginAsync = async (app) => {
  servePageAssets(app, await readPageAssets(ASSET_DIR, '/calendar'), { url: '/calendar', csp: pageCsp() });
};

export default shell;
