import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { PROJECT_ROOT } from '../../../paths.js';

/**
 * The calendar page's shell: HTML, one script and one stylesheet from src/api/calendar/, read once at
 * start. They hold no data, so they need no token; the script reads the token from the URL fragment
 * (never sent to the server) or asks for it, and calls /v1 with it.
 */
export const ASSET_DIR = path.join(PROJECT_ROOT, 'src', 'api', 'calendar');

const ASSETS = [
  { url: '/calendar', file: 'index.html', type: 'text/html; charset=utf-8' },
  { url: '/calendar/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { url: '/calendar/app.css', file: 'app.css', type: 'text/css; charset=utf-8' },
] as const;

/** Only the page's own files and the API's own origin; no inline script, no framing, no referrer. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const shell: FastifyPluginAsync = async (app) => {
  for (const asset of ASSETS) {
    const body = await readFile(path.join(ASSET_DIR, asset.file));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    app.get(asset.url, { schema: { hide: true } }, async (req, reply) => {
      void reply
        .header('content-type', asset.type)
        .header('cache-control', 'no-cache')
        .header('etag', etag)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer');
      if (asset.file === 'index.html') void reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY');
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(body);
    });
  }
  // Fragments survive redirects, so /calendar/#token=… still lands on the page with its token.
  app.get('/calendar/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/calendar', 302));
};

export default shell;
