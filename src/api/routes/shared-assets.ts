import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { PROJECT_ROOT } from '../../paths.js';
import { readPageAssets, servePageAssets } from './page-assets.js';

/**
 * The browser modules the console and the export calendar both import (src/api/shared/, under
 * /shared/), so the two pages format figures and days with one piece of code.
 */
export const SHARED_DIR = path.join(PROJECT_ROOT, 'src', 'api', 'shared');

const sharedAssets: FastifyPluginAsync = async (app) => {
  servePageAssets(app, await readPageAssets(SHARED_DIR, '/shared'));
};

export default sharedAssets;
