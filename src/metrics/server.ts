import http from 'node:http';
import { registry } from './export-metrics.js';
import { fetchSdkMetrics } from './sdk-metrics.js';

/** Well inside a Prometheus scrape's default timeout (10 s), so the product's own metrics still get through. */
const SDK_METRICS_TIMEOUT_MS = 2_000;

/**
 * Serves GET /metrics: the product's metrics followed by the Temporal SDK runtime's own Prometheus
 * output (the Rust core exposes it on `sdkMetricsAddress`), so one scrape target has both.
 */
export async function metricsText(sdkMetricsAddress?: string): Promise<string> {
  let text = await registry.metrics();
  if (sdkMetricsAddress) {
    const sdk = await fetchSdkMetrics(sdkMetricsAddress, SDK_METRICS_TIMEOUT_MS);
    text += sdk === null ? '\n# Temporal SDK metrics unavailable\n' : `\n${sdk}`;
  }
  return text;
}

export function startMetricsServer(host: string, port: number, sdkMetricsAddress?: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metricsText(sdkMetricsAddress).then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
