import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Compiles the project with tsc into a temp dir and returns the compiled worker entry (src/worker/main.js),
 * so a measurement runs the worker as the Dockerfile does (plain node, no tsx loader in the process).
 */
export function buildCompiledWorker(root: string, log: (msg: string) => void): string {
  const out = path.join(os.tmpdir(), `ua-export-bench-build-${process.pid}`);
  log(`compiling with tsc into ${out}`);
  const t0 = performance.now();
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json', '--outDir', out, '--sourceMap', 'false'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // tsc still emits when other files have type errors; only a missing entry is fatal.
    log(
      `tsc reported errors (emitted anyway): ${String((err as { stdout?: Buffer }).stdout ?? '')
        .split('\n')
        .slice(0, 3)
        .join(' | ')}`,
    );
  }
  for (const name of ['node_modules', 'migrations', 'package.json', '.local']) {
    const link = path.join(out, name);
    if (!existsSync(link)) symlinkSync(path.join(root, name), link);
  }
  const entry = path.join(out, 'src', 'worker', 'main.js');
  if (!existsSync(entry)) throw new Error(`tsc did not produce ${entry}`);
  log(`compiled in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  return entry;
}
