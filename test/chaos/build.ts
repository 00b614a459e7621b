import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The product compiled once per suite run (tsc into the chaos instance's directory) and its workflows
 * bundled, so every worker and API process the suite starts runs plain `node` on JavaScript, as the
 * Dockerfile's image does. A TypeScript loader in each process transforms the whole module graph again
 * at every start, which made each worker (re)start the largest share of a scenario's time on a busy
 * machine (docs/RELIABILITY.md).
 *
 * The build lives under the checkout, so the compiled code finds package.json, node_modules,
 * migrations and the calendar assets by walking up as it does from src/. It is reused while the
 * sources it came from are unchanged (a hash of them, the lockfile and tsconfig.json).
 */
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const SOURCES = ['src', 'workflows', 'activities'];

export interface Build {
  workerEntry: string;
  apiEntry: string;
  bundlePath: string;
}

function sourceHash(): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(ROOT, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.isFile())
        h.update(`${r}\0`)
          .update(readFileSync(path.join(ROOT, r)))
          .update('\0');
    }
  };
  SOURCES.forEach(walk);
  for (const f of ['package-lock.json', 'tsconfig.json']) h.update(`${f}\0`).update(readFileSync(path.join(ROOT, f)));
  return h.digest('hex');
}

export async function buildProduct(dir: string, log: (line: string) => void = () => undefined): Promise<Build> {
  const out = path.join(dir, 'out');
  const build: Build = {
    workerEntry: path.join(out, 'src', 'worker', 'main.js'),
    apiEntry: path.join(out, 'src', 'api', 'main.js'),
    bundlePath: path.join(dir, 'workflows.js'),
  };
  const keyFile = path.join(dir, 'source-hash');
  const key = sourceHash();
  if (existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key && Object.values(build).every((f) => existsSync(f))) {
    log('[chaos] build: sources unchanged since the last build, reusing it');
    return build;
  }
  mkdirSync(dir, { recursive: true });
  const tsconfig = path.join(dir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.json'),
      compilerOptions: { rootDir: ROOT, outDir: out, sourceMap: false },
      include: SOURCES.map((d) => path.join(ROOT, d)),
    }),
  );
  const t0 = Date.now();
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  // The bundler reads the workflow sources itself, so it need not wait for tsc: both at once.
  await Promise.all([
    run(process.execPath, [tsc, '-p', tsconfig], { cwd: ROOT, maxBuffer: 16 << 20 }).catch((err: { stdout?: string; message: string }) => {
      // A type error elsewhere must not hide what the suite tests: tsc still emits; a missing entry fails below.
      log(`[chaos] tsc reported errors (emitted anyway): ${(err.stdout ?? err.message).split('\n').slice(0, 3).join(' | ')}`);
    }),
    run(process.execPath, ['--import', 'tsx', 'src/worker/bundle-workflows.ts', build.bundlePath], { cwd: ROOT, maxBuffer: 16 << 20 }),
  ]);
  for (const f of Object.values(build)) if (!existsSync(f)) throw new Error(`the chaos build has no ${f}`);
  writeFileSync(keyFile, key);
  log(`[chaos] product compiled and workflows bundled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return build;
}
