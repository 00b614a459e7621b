import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The product compiled once per suite run (tsc, incremental, into the chaos instance's directory) and
 * its workflows bundled from that build, so every worker and API process the suite starts runs plain
 * `node` on JavaScript, as the Dockerfile's image does. A TypeScript loader in each process transforms
 * the whole module graph again at every start, which made each worker (re)start the largest share of a
 * scenario's time on a busy machine (docs/RELIABILITY.md).
 *
 * The build lives under the checkout, so the compiled code finds package.json, node_modules,
 * migrations and the calendar assets by walking up as it does from src/.
 */
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Build {
  workerEntry: string;
  apiEntry: string;
  bundlePath: string;
}

export async function buildProduct(dir: string, log: (line: string) => void = () => undefined): Promise<Build> {
  const out = path.join(dir, 'out');
  mkdirSync(dir, { recursive: true });
  const tsconfig = path.join(dir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.json'),
      compilerOptions: { rootDir: ROOT, outDir: out, sourceMap: false, incremental: true, tsBuildInfoFile: path.join(dir, 'tsbuildinfo') },
      include: ['src', 'workflows', 'activities'].map((d) => path.join(ROOT, d)),
    }),
  );
  const t0 = Date.now();
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', tsconfig], { cwd: ROOT, maxBuffer: 16 << 20 }).catch((err: { stdout?: string; message: string }) => {
    // A type error elsewhere must not hide what the suite tests: tsc still emits; only a missing entry is fatal.
    log(`[chaos] tsc reported errors (emitted anyway): ${(err.stdout ?? err.message).split('\n').slice(0, 3).join(' | ')}`);
  });
  const bundlePath = path.join(dir, 'workflows.js');
  await run(process.execPath, [path.join(out, 'src', 'worker', 'bundle-workflows.js'), bundlePath], { cwd: ROOT, maxBuffer: 16 << 20 });
  log(`[chaos] product compiled and workflows bundled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { workerEntry: path.join(out, 'src', 'worker', 'main.js'), apiEntry: path.join(out, 'src', 'api', 'main.js'), bundlePath };
}
