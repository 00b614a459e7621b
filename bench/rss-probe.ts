import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { memStatus } from './proc.js';

/**
 * Where the idle worker's memory comes from. Each step runs in a fresh node process (with the tsx
 * loader when this file runs as .ts, without it when run from tsc output) and reports VmRSS / VmHWM and V8's heap figures once it got that far:
 *
 *   empty          node + the tsx loader, nothing imported
 *   imports        every module src/worker/main.ts loads (Temporal worker & client, pg, AWS SDK, …)
 *   worker         + NativeConnection + createExportWorker(workflowsPath) (bundles the workflows with
 *                    webpack at start, as main.ts does), polling for 3 s
 *   worker+gc      the same, then a full GC before reading (how much of it is garbage V8 kept)
 *   prebundled     + createExportWorker with a workflowBundle built beforehand in another process
 *   prebundled+gc  the same, then a full GC
 *   activities     + createExportWorker with no workflows at all (an activity-only worker process)
 *
 *   npx tsx bench/rss-probe.ts      (after `eval "$(bash scripts/services.sh env)"`)
 *   node <tsc outDir>/bench/rss-probe.js   (compiled, e.g. the dir `npm run bench -- --compiled` prints)
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..');
const { values: opts } = parseArgs({ options: { step: { type: 'string' }, bundle: { type: 'string' } } });

interface Report {
  step: string;
  rss: number;
  hwm: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

async function child(step: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (step !== 'empty') {
    await import('../src/worker/worker.js');
    await import('@temporalio/client');
    await import('../src/db/migrate.js');
    await import('../src/temporal/schedules.js');
    await import('../src/logging.js');
  }
  if (step.startsWith('worker') || step.startsWith('prebundled') || step === 'activities') {
    const { NativeConnection } = await import('@temporalio/worker');
    const { createExportWorker } = await import('../src/worker/worker.js');
    const { loadEnv, partSizeBytes } = await import('../src/config/env.js');
    const { keyringFromEnv } = await import('../src/config/keyring.js');
    const { createPool } = await import('../src/db/pool.js');
    const { BENCH_NAMESPACE, benchDatabaseUrl } = await import('./setup.js');
    const env = loadEnv();
    const pool = createPool(benchDatabaseUrl(env));
    const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
    const worker = await createExportWorker({
      connection,
      namespace: BENCH_NAMESPACE,
      taskQueue: `rss-probe-${randomUUID().slice(0, 8)}`,
      pool,
      keyring: keyringFromEnv(env),
      partSize: partSizeBytes(env),
      ...(step.startsWith('prebundled') ? { extra: { workflowBundle: { codePath: opts.bundle! } } } : {}),
      ...(step === 'activities' ? { extra: { workflowsPath: undefined } } : {}),
    });
    const running = worker.run();
    await new Promise((r) => setTimeout(r, 3_000));
    if (step.endsWith('+gc') && gc) gc();
    await new Promise((r) => setTimeout(r, 500));
    send(step);
    worker.shutdown();
    await running;
    await connection.close();
    await pool.end();
    return;
  }
  if (gc) gc();
  send(step);
}

function send(step: string): void {
  const m = process.memoryUsage();
  const s = memStatus(process.pid)!;
  const report: Report = { step, rss: s.rss, hwm: s.hwm, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
  process.send!(report);
}

async function driver(): Promise<void> {
  // Build the workflow bundle once, in a process of its own, the way a build step would.
  const bundlePath = path.join(os.tmpdir(), `ua-export-workflow-bundle-${process.pid}.js`);
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const { WORKFLOWS_PATH } = await import('../src/worker/worker.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} } });
  writeFileSync(bundlePath, code);
  console.error(`workflow bundle: ${(code.length / 2 ** 20).toFixed(1)} MiB at ${bundlePath}`);

  const steps = ['empty', 'imports', 'worker', 'worker+gc', 'prebundled', 'prebundled+gc', 'activities'];
  const rows: Report[] = [];
  for (const step of steps) {
    const r = await new Promise<Report>((resolve, reject) => {
      // Under tsx this file is .ts; compiled with tsc (see --compiled in export-bench.ts) it is plain .js.
      const self = fileURLToPath(import.meta.url);
      const c = fork(self, ['--step', step, '--bundle', bundlePath], {
        cwd: ROOT,
        execPath: process.execPath,
        execArgv: [
          ...(self.endsWith('.ts') ? ['--import', 'tsx'] : []),
          ...(step.endsWith('+gc') || step === 'empty' || step === 'imports' ? ['--expose-gc'] : []),
        ],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      let got: Report | null = null;
      c.on('message', (m) => (got = m as Report));
      c.on('exit', (code) => (got ? resolve(got) : reject(new Error(`step ${step} exited ${code} without a report`))));
    });
    rows.push(r);
    console.error(`  ${step}: RSS ${(r.rss / 2 ** 20).toFixed(1)} MiB`);
  }
  const mib = (b: number) => (b / 2 ** 20).toFixed(1).padStart(8);
  console.log('step              VmRSS    VmHWM  heapUsed heapTotal  external arrayBuf   (MiB)');
  for (const r of rows)
    console.log(`${r.step.padEnd(14)} ${mib(r.rss)} ${mib(r.hwm)} ${mib(r.heapUsed)} ${mib(r.heapTotal)} ${mib(r.external)} ${mib(r.arrayBuffers)}`);
}

if (opts.step) await child(opts.step);
else await driver();
