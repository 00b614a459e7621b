import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { WorkerStatus } from '../../lib/task-queue-pollers.js';
import { registry } from '../../../metrics/export-metrics.js';
import { metricsText } from '../../../metrics/server.js';

const requests = new Counter({
  name: 'ua_export_api_requests_total',
  help: 'HTTP requests answered by the API, by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});
const duration = new Histogram({
  name: 'ua_export_api_request_seconds',
  help: 'HTTP request duration, by method and route pattern',
  labelNames: ['method', 'route'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

// Read on scrape from the API's cached DescribeTaskQueue. The registry is per process and the gauge
// can be registered once only, so the newest API instance's reader serves it.
let readWorkers: (() => Promise<WorkerStatus>) | null = null;
new Gauge({
  name: 'ua_export_task_queue_pollers',
  help: 'Workers polling the task queue recently, by task type (workflow, activity), as Temporal records them; 0 means nothing runs',
  labelNames: ['task_queue', 'type'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    if (!readWorkers) return;
    // Temporal unreachable: no sample rather than a false 0 (that is what ua_export_api_* and /readyz show).
    const w = await readWorkers().catch(() => null);
    if (!w) return;
    this.set({ task_queue: w.taskQueue, type: 'workflow' }, w.pollers.workflow);
    this.set({ task_queue: w.taskQueue, type: 'activity' }, w.pollers.activity);
  },
});
/**
 * Prometheus scrape endpoint (no token: the API listens on loopback by default and the figures are
 * aggregates). In `npm start` the worker shares this process, so its export metrics appear here too.
 */
const metrics: FastifyPluginAsyncTypebox = async (app) => {
  const reader = () => app.ua.workers.get();
  readWorkers = reader;
  app.addHook('onClose', async () => {
    if (readWorkers === reader) readWorkers = null;
  });
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern, not the URL: ids in paths would explode the label set.
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    void reply.header('content-type', registry.contentType).header('cache-control', 'no-store');
    return metricsText();
  });
};

export default metrics;
