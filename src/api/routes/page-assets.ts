import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/**
 * How the browser pages (the console, the export calendar) and the modules they share are served:
 * static files read once at start, with an ETag, no-cache (so a new release is picked up at once),
 * nosniff and no referrer; the page itself with its CSP and no framing. They hold no data, so they
 * need no token.
 */

export interface PageAsset {
  url: string;
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export const contentType = (file: string): string | undefined => TYPES[path.extname(file)];

/** Every servable file of `dir` under `prefix`/, and its index.html (if any) at `prefix` itself. */
export async function readPageAssets(dir: string, prefix: string): Promise<PageAsset[]> {
  const assets: PageAsset[] = [];
  for (const file of (await readdir(dir)).sort()) {
    const type = contentType(file);
    if (!type) continue;
    assets.push({ url: file === 'index.html' ? prefix : `${prefix}/${file}`, body: await readFile(path.join(dir, file)), type });
  }
  return assets;
}

/**
 * Only the page's own files and the API's own origin; no inline script (but `scriptHashes`, the
 * console's import map), no framing, no referrer.
 */
export function pageCsp(scriptHashes: string[] = []): string {
  return [
    "default-src 'none'",
    ['script-src', "'self'", ...scriptHashes].join(' '),
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Serves `assets`; the one at `page.url` gets `page.csp`, and `page.url`/ redirects to it. */
export function servePageAssets(app: FastifyInstance, assets: readonly PageAsset[], page?: { url: string; csp: string }): void {
  for (const asset of assets) {
    const etag = `"${createHash('sha256').update(asset.body).digest('base64url').slice(0, 27)}"`;
    const isPage = asset.url === page?.url;
    app.get(asset.url, { schema: { hide: true } }, async (req, reply) => {
      void reply
        .header('content-type', asset.type)
        .header('cache-control', 'no-cache')
        .header('etag', etag)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer');
      if (isPage) void reply.header('content-security-policy', page.csp).header('x-frame-options', 'DENY');
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(asset.body);
    });
  }
  // Fragments survive redirects, so /console/#token=… still lands on the page with its token.
  if (page) app.get(`${page.url}/`, { schema: { hide: true } }, async (_req, reply) => reply.redirect(page.url, 302));
}
