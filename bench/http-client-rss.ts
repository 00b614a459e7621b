import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { httpRequest } from '../src/http/request.js';
import { fetchSdkMetrics } from '../src/metrics/sdk-metrics.js';
import { memStatus } from './proc.js';

/**
 * What the worker's own HTTP calls cost in resident memory: the /metrics handler's read of the Temporal
 * SDK runtime's page (a GET of ~62 KB) and an alert's webhook POST (a ~1.5 KB JSON), each made 12 times
 * with fetch and with the node:http client the worker uses (src/http/request.ts, as
 * src/metrics/sdk-metrics.ts and src/alerts/deliver.ts call it). Each case runs in a fresh node with
 * the Dockerfile's V8 flags, against a local server in this process, and reports VmRSS before, after
 * calls 1, 3, 4, 6 and 12, and VmHWM.
 *
 *   npx tsx bench/http-client-rss.ts [--calls 12]
 *
 * docs/BENCHMARKS.md, "What a metrics scrape cost", has the figures and why fetch's jump comes.
 */
const CASES = ['get:fetch', 'get:node-http', 'post:fetch', 'post:node-http'] as const;
type Case = (typeof CASES)[number];
const DOCKERFILE_FLAGS = ['--max-semi-space-size=2', '--optimize-for-size'];
const MIB = 1024 * 1024;

const { values: opts } = parseArgs({ options: { child: { type: 'string' }, port: { type: 'string' }, calls: { type: 'string', default: '12' } } });
const calls = Number(opts.calls);
if (!Number.isInteger(calls) || calls < 1) throw new Error(`--calls must be a whole number ≥ 1, got ${opts.calls}`);

const PAGE = Array.from({ length: 1_000 }, (_, i) => `temporal_request{operation="Op${i}",namespace="default"} ${i}`).join('\n') + '\n';
const ALERT = JSON.stringify({ id: 'ua-daily-x:export.failed', event: 'export.failed', error: 'x'.repeat(1_400) });

async function child(which: Case, port: number): Promise<void> {
  const mib = () => (memStatus(process.pid)?.rss ?? 0) / MIB;
  const samples: Record<string, number> = { before: mib() };
  for (let i = 1; i <= calls; i++) {
    if (which === 'get:fetch') {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) });
      await res.text();
    } else if (which === 'get:node-http') {
      if ((await fetchSdkMetrics(`127.0.0.1:${port}`, 2_000)) === null) throw new Error('metrics page not read');
    } else if (which === 'post:fetch') {
      const res = await fetch(`http://127.0.0.1:${port}/hook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: ALERT,
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel();
    } else {
      await httpRequest(`http://127.0.0.1:${port}/hook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ALERT, timeoutMs: 10_000 });
    }
    // Time for V8's background compile of a hot function to land, as between real scrapes or alerts.
    await new Promise((r) => setTimeout(r, 200));
    if ([1, 3, 4, 6, calls].includes(i)) samples[`after ${i}`] = mib();
  }
  samples.VmHWM = (memStatus(process.pid)?.hwm ?? 0) / MIB;
  process.send!(samples);
}

async function main(): Promise<void> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => (req.method === 'GET' ? res.writeHead(200, { 'content-type': 'text/plain' }).end(PAGE) : res.writeHead(204).end()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  console.log(`node ${process.version}, flags ${DOCKERFILE_FLAGS.join(' ')}; ${calls} calls per case; RSS in MiB`);
  for (const which of CASES) {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', which, '--port', String(port), '--calls', String(calls)], {
      execArgv: [...process.execArgv, ...DOCKERFILE_FLAGS],
    });
    const samples = await new Promise<Record<string, number>>((resolve, reject) => {
      proc.once('message', (m) => resolve(m as Record<string, number>));
      proc.once('exit', (code) => reject(new Error(`${which}: child exited with ${code} before reporting`)));
    });
    proc.kill();
    console.log(
      `${which.padEnd(15)} ${Object.entries(samples)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(' · ')}`,
    );
  }
  server.closeAllConnections();
  server.close();
}

if (opts.child) await child(opts.child as Case, Number(opts.port));
else await main();
