// Ad-hoc (not committed): RSS at ready of the Docker-like worker under flag variants.
import path from 'node:path';
import { buildDockerLikeWorker } from './compiled-worker.js';
import { spawnWorker } from './worker-process.js';
import { freePorts } from './free-ports.js';
import { memStatus } from './proc.js';
const ROOT = path.resolve(import.meta.dirname, '..');
const d = buildDockerLikeWorker(ROOT, console.error);
const variants: [string, string[], Record<string, string>][] = JSON.parse(process.argv[2]!);
for (const [name, flags, env] of variants) {
  const [m, s] = await freePorts(2);
  const w = await spawnWorker({ root: ROOT, entry: d.entry, nodeFlags: flags, logFile: `/tmp/bigday-exp/${name}.log`,
    env: { ...process.env, ...d.env, ...env, WORKER_METRICS_PORT: String(m), TEMPORAL_SDK_METRICS_ADDRESS: `127.0.0.1:${s}`, DATABASE_URL: process.env.DATABASE_URL!.replace(/\/[^/]+$/, '/ua_export_bench'), TEMPORAL_NAMESPACE: 'ua-export-bench', TEMPORAL_TASK_QUEUE: `probe-${name}` } });
  await new Promise((r) => setTimeout(r, 5000));
  const a = memStatus(w.pid)!;
  console.log(`${name}: ready ${(w.atReady.rss / 2 ** 20).toFixed(1)} MiB, +5s ${(a.rss / 2 ** 20).toFixed(1)} MiB, threads ${a.threads}`);
  await w.stop();
}
import('node:fs').then((fs) => fs.rmSync(d.dir, { recursive: true, force: true }));
