import { afterEach, describe, expect, it } from 'vitest';
import { fetchSdkMetrics } from '../../src/metrics/sdk-metrics.js';
import { metricsText } from '../../src/metrics/server.js';
import { closeLocalEndpoints, localEndpoint as endpoint } from '../helpers/local-http.js';

afterEach(closeLocalEndpoints);

// As large as the runtime's page gets, in many reads.
const PAGE = Array.from({ length: 3_000 }, (_, i) => `temporal_request{operation="Op${i}",namespace="default"} ${i}`).join('\n') + '\n';

describe('fetchSdkMetrics', () => {
  it('returns the whole page, as served', async () => {
    const sdk = await endpoint((req, res) => {
      expect(req.url).toBe('/metrics');
      res.writeHead(200, { 'content-type': 'text/plain' });
      // Several writes: the body reaches the reader in more than one chunk.
      for (let i = 0; i < PAGE.length; i += 10_000) res.write(PAGE.slice(i, i + 10_000));
      res.end();
    });
    expect(await fetchSdkMetrics(sdk.address, 2_000)).toBe(PAGE);
  });

  it('keeps multi-byte characters split across reads whole', async () => {
    const text = `# HELP temporal_x ${'é'.repeat(40_000)}\n`;
    const sdk = await endpoint((_req, res) => {
      const bytes = Buffer.from(text);
      res.write(bytes.subarray(0, 1001));
      res.end(bytes.subarray(1001));
    });
    expect(await fetchSdkMetrics(sdk.address, 2_000)).toBe(text);
  });

  it('gives null for an error status', async () => {
    const sdk = await endpoint((_req, res) => res.writeHead(503).end('starting'));
    expect(await fetchSdkMetrics(sdk.address, 2_000)).toBeNull();
  });

  it('gives null when nothing listens', async () => {
    const sdk = await endpoint(() => undefined);
    await sdk.close();
    expect(await fetchSdkMetrics(sdk.address, 2_000)).toBeNull();
  });

  it('gives null when the answer does not come in time, and drops the request', async () => {
    let closed = false;
    const sdk = await endpoint((req) => req.socket.on('close', () => (closed = true)));
    expect(await fetchSdkMetrics(sdk.address, 150)).toBeNull();
    expect(sdk.requests()).toBe(1);
    await expect.poll(() => closed).toBe(true);
  });

  it('gives null for a body past any metrics page (8 MiB; src/http/request.ts stops reading it)', async () => {
    const sdk = await endpoint((_req, res) => {
      res.on('error', () => undefined);
      res.end(Buffer.alloc(9 * 1024 * 1024, 0x61));
    });
    expect(await fetchSdkMetrics(sdk.address, 5_000)).toBeNull();
  });
});

describe('metricsText', () => {
  it("appends the runtime's page after the product's own metrics", async () => {
    const sdk = await endpoint((_req, res) => res.end(PAGE));
    const text = await metricsText(sdk.address);
    expect(text).toMatch(/^# HELP ua_export_rows_exported_total /m);
    expect(text.endsWith(`\n${PAGE}`)).toBe(true);
    expect(text.indexOf('ua_export_rows_exported_total')).toBeLessThan(text.indexOf('temporal_request'));
  });

  it('says the runtime metrics are unavailable, and still serves its own, when the runtime fails', async () => {
    const sdk = await endpoint((_req, res) => res.writeHead(500).end());
    const text = await metricsText(sdk.address);
    expect(text).toMatch(/^# HELP ua_export_rows_exported_total /m);
    expect(text).toMatch(/\n# Temporal SDK metrics unavailable\n$/);
  });
});
