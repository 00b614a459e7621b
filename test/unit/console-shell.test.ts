import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import consoleShell, { CONSOLE_DIR, VENDOR } from '../../src/api/routes/console/index.js';
import sharedAssets from '../../src/api/routes/shared-assets.js';

/**
 * The console's shell route on a bare Fastify: every page file and the vendored library are served
 * without a token, the CSP allows the import map by its exact hash and no other inline script, and
 * every import in the page's modules resolves to a URL the route (or the shared modules' route)
 * serves (so a missing or renamed module fails here, not in a browser).
 */
let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify();
  await app.register(consoleShell);
  await app.register(sharedAssets);
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

describe('console shell', () => {
  it('serves the page with a CSP that allows exactly its import map', async () => {
    const res = await get('/console');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = res.body;
    const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]!;
    const hash = createHash('sha256').update(map, 'utf8').digest('base64');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("connect-src 'self'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(html.match(/<script\b(?![^>]*\bsrc=)[^>]*>/g)).toEqual(['<script type="importmap">']);
    // Unchanged files come back as 304.
    const again = await get('/console', { 'if-none-match': String(res.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect((await get('/console/')).headers.location).toBe('/console');
  });

  it('serves every import of every module, through the import map for bare names', async () => {
    const html = (await get('/console')).body;
    const importMap = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]!) as { imports: Record<string, string> };
    expect(Object.values(importMap.imports).sort()).toEqual(
      Object.keys(VENDOR)
        .map((n) => `/console/vendor/${n}`)
        .sort(),
    );
    const entry = /<script type="module" src="([^"]+)"><\/script>/.exec(html)![1]!;
    const seen = new Set<string>();
    const queue = [entry];
    while (queue.length > 0) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
      for (const m of res.body.matchAll(/(?:^|;)\s*(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?["']([^"']+)["']/gm)) {
        const spec = m[1]!;
        const resolved = spec.startsWith('.') ? new URL(spec, `http://x${url}`).pathname : importMap.imports[spec];
        expect(resolved, `${url} imports ${spec}`).toBeDefined();
        queue.push(resolved!);
      }
    }
    // The page's own modules and the three vendored ones, all reached from main.js.
    const own = (await import('node:fs')).readdirSync(CONSOLE_DIR).filter((f) => f.endsWith('.js'));
    for (const f of own) expect(seen, f).toContain(`/console/${f}`);
    for (const n of Object.keys(VENDOR)) expect(seen).toContain(`/console/vendor/${n}`);
  });

  it('serves the stylesheet and the API schemas the form reads', async () => {
    const css = await get('/console/app.css');
    expect(css.statusCode).toBe(200);
    expect(css.body).toBe(await readFile(path.join(CONSOLE_DIR, 'app.css'), 'utf8'));
    const schemas = (await get('/console/schemas.json')).json<
      Record<'createIntegration' | 'patchIntegration' | 'startBackfill', { properties: Record<string, unknown> }>
    >();
    expect(Object.keys(schemas.createIntegration.properties)).toContain('secretAccessKey');
    expect(Object.keys(schemas.patchIntegration.properties)).toContain('enabled');
    expect(Object.keys(schemas.startBackfill.properties)).toEqual(expect.arrayContaining(['from', 'to', 'tables']));
    // Type declarations next to the modules are for the tests, not the browser.
    expect((await get('/console/fields.d.ts')).statusCode).toBe(404);
  });
});
