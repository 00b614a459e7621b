import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
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

/** How the Dockerfile's final stage starts the worker: its node flags and the environment it sets. */
export interface DockerWorkerSpec {
  nodeFlags: string[];
  env: Record<string, string>;
}

/**
 * Reads the Dockerfile's last stage: every `ENV K=V` and the node flags of its `CMD`. Measurements
 * (bench, soak) take the worker's start command from here, so a flag changed in the Dockerfile is what
 * they measure, with no second copy to keep in step.
 */
export function dockerWorkerSpec(dockerfile: string): DockerWorkerSpec {
  const stages = dockerfile.split(/^FROM\s/m);
  const last = stages[stages.length - 1] ?? '';
  const env: Record<string, string> = {};
  for (const m of last.matchAll(/^ENV\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)\s*$/gm)) env[m[1]!] = m[2]!;
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(last);
  if (!cmd) throw new Error('Dockerfile: no CMD ["node", …] in its last stage');
  const argv = JSON.parse(cmd[1]!) as string[];
  if (argv[0] !== 'node' || !argv[argv.length - 1]?.endsWith('worker/main.js')) throw new Error(`Dockerfile: CMD is not node … worker/main.js: ${cmd[1]}`);
  return { nodeFlags: argv.slice(1, -1), env };
}

export interface DockerLikeWorker extends DockerWorkerSpec {
  entry: string;
  bundle: string;
  /** The build's directory: remove it when done (its links are removed, never followed). */
  dir: string;
}

/**
 * Builds what the Dockerfile builds (tsc output and the prebuilt workflow bundle) and returns how its
 * CMD runs the worker, with the environment the image sets: NODE_ENV=production, WORKFLOW_BUNDLE_PATH
 * pointing at this build's bundle, MALLOC_ARENA_MAX and whatever else its ENV lines say. Production
 * refuses plain-http and loopback endpoints, which the local S3 service is, so those two are allowed.
 */
export function buildDockerLikeWorker(root: string, log: (msg: string) => void): DockerLikeWorker {
  const spec = dockerWorkerSpec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
  const entry = buildCompiledWorker(root, log);
  const dir = path.resolve(path.dirname(entry), '..', '..');
  const bundle = path.join(dir, 'workflow-bundle.js');
  execFileSync(process.execPath, [path.join(path.dirname(entry), 'bundle-workflows.js'), bundle], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    entry,
    bundle,
    dir,
    nodeFlags: spec.nodeFlags,
    env: { ...spec.env, WORKFLOW_BUNDLE_PATH: bundle, ALLOW_PLAIN_HTTP_ENDPOINTS: 'true', ALLOW_PRIVATE_ENDPOINTS: 'true' },
  };
}
